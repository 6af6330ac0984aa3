"""stylist.app handlers called directly: segment, restyle only the ticked parts, webcam stream, and a
message (never an exception) for bad uploads and missing choices."""

import numpy as np
import pytest
import torch
from PIL import Image

pytest.importorskip("gradio", reason="the app extra (gradio) is not installed")

from conftest import MODANET_CCP, needs_shared  # noqa: E402
from stylist import app  # noqa: E402
from stylist.fashion import feather_mask, part_index  # noqa: E402
from stylist.fashion.stream import frame_array  # noqa: E402

PHOTO = MODANET_CCP / "images" / "0000801.jpg"


def test_bad_uploads_give_messages(tmp_path):
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "notes.jpg").write_text("not an image")
    Image.new("RGB", (8, 8)).save(tmp_path / "tiny.png")
    huge = tmp_path / "huge.png"
    Image.new("1", (8000, 6000)).save(huge)  # 48 megapixels in a small file
    for name, message in [("empty.jpg", "is empty"), ("notes.jpg", "not an image"), ("tiny.png", "at least 16 px"),
                          ("huge.png", "megapixels")]:  # fmt: skip
        overlay, update, state, text = app.find_parts(str(tmp_path / name), None)
        assert overlay is None and state is None and update["choices"] == [] and message in text, (name, text)
    assert "upload a photo" in app.find_parts(None, None)[3]
    assert "find the garments" in app.restyle_photo(None, ["top"], "johnson", "starry_night_fast", None)[1]


def test_style_choices_follow_the_method():
    assert app.style_choices("johnson")["choices"] == app.johnson_styles() and "starry_night_fast" in app.johnson_styles()
    assert "swirls" in app.style_choices("wct")["choices"]


@needs_shared("data", "modanet_ccp", "images", "0000801.jpg")
def test_find_parts_then_restyle_only_the_top(tmp_path):
    overlay, update, state, text = app.find_parts(str(PHOTO), None)
    assert overlay.shape[0] == app.WORK_SIZE and "top" in [value for _, value in update["choices"]]
    assert update["value"] == [] and "top" in text
    photo = frame_array(state["photo"])
    result, text = app.restyle_photo(state, ["top"], "johnson", "starry_night_fast", None, color="none", alpha=1.0)
    assert result.shape == photo.shape and "Timings" in text and "segment" in text and "stylize" in text
    top = state["class_map"] == part_index("top")
    outside = (feather_mask(top.float()[None, None], 3)[0, 0] == 0).numpy()
    assert np.array_equal(result[outside], photo[outside])
    assert np.abs(result.astype(int) - photo)[top.numpy()].mean() > 10
    weak, _ = app.restyle_photo(state, ["top"], "johnson", "starry_night_fast", None, alpha=0.3)
    assert np.abs(weak.astype(int) - photo)[top.numpy()].mean() < 0.5 * np.abs(result.astype(int) - photo)[top.numpy()].mean()
    (tmp_path / "bad.png").write_text("no")
    assert "not an image" in app.restyle_photo(state, ["top"], "wct", None, str(tmp_path / "bad.png"))[1]
    assert "wct or gatys" in app.restyle_photo(state, ["top"], "johnson", None, str(PHOTO))[1]
    assert "tick at least one" in app.restyle_photo(state, [], "johnson", "starry_night_fast", None)[1]


@needs_shared("data", "modanet_ccp", "images", "0000801.jpg")
def test_webcam_frames_stream():
    frame = np.asarray(Image.open(PHOTO).convert("RGB").resize((275, 416)))
    stream = None
    for shift in range(3):
        out, stream, text = app.webcam_frame(np.roll(frame, 2 * shift, axis=1), ["top"], "starry_night_fast", stream)
    assert out.shape == (app.WORK_SIZE, 254, 3) and stream.frames == 3 and "fps" in text
    out, rebuilt, _ = app.webcam_frame(frame, ["pants"], "starry_night_fast", stream)
    assert rebuilt is not stream and rebuilt.frames == 1
    assert app.webcam_frame(frame, [], "starry_night_fast", stream)[2] == "Tick at least one part."
