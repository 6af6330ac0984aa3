"""``python -m stylist.fashion.video``: a clip in, a video out with the same frame count, size, rate and
audio; side by side; user errors are one line, raised before any frame."""

import json
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import MODANET_CCP, needs_shared
from stylist.cli import REPO_ROOT
from stylist.cli.video import side_by_side, video_from_config
from stylist.fashion import part_index
from stylist.fashion.stream import StreamFrame, frame_array
from stylist.fashion.clips import make_clip
from stylist.utils import StylistError
from stylist.videoio import open_video, write_video
from test_videoio import with_audio

PHOTO = MODANET_CCP / "images" / "0000801.jpg"


@pytest.fixture
def street_clip(tmp_path):
    photo = np.asarray(Image.open(PHOTO).convert("RGB"))
    frames = make_clip([photo], motions=["pan"], frames_per_shot=6, size=(128, 96)).frames
    with_audio(tmp_path / "clip.mp4", frames, fps=24)
    return tmp_path / "clip.mp4"


@needs_shared("data", "modanet_ccp", "images", "0000801.jpg")
def test_video_round_trip_keeps_frames_size_rate_and_audio(compose_cfg, tmp_path, street_clip):
    overrides = [f"input={street_clip}", "height=null", "progress=false", "parts=[top,pants]", "segment_every=3",
                 f"output={tmp_path / 'out.mp4'}"]  # fmt: skip
    record = video_from_config(compose_cfg("fashion_video", overrides))
    out = open_video(tmp_path / "out.mp4")
    frames = list(out)
    assert (out.frames, out.size, out.fps, out.has_audio) == (6, (128, 96), Fraction(24), True)
    assert len(frames) == 6 and record["frames"] == 6
    original = list(open_video(street_clip))
    assert max(np.abs(a.astype(int) - b).mean() for a, b in zip(frames, original)) > 2  # something was restyled
    saved = json.loads((tmp_path / "out.json").read_text())
    assert saved["fps_per_stage"]["total"] > 0 and saved["audio"]


def test_side_by_side_shows_input_parts_output():
    frame = torch.rand(1, 3, 20, 16)
    class_map = torch.zeros(20, 16, dtype=torch.long)
    class_map[5:15, 4:12] = part_index("top")
    class_map[15:, :] = part_index("bag")
    out = StreamFrame(input=frame, image=1 - frame, class_map=class_map, mask=torch.zeros(1, 1, 20, 16), segmented=True, cut=True)
    panel = side_by_side(out, ["top"])
    assert panel.shape == (20, 48, 3)
    assert np.array_equal(panel[:, :16], frame_array(frame)) and np.array_equal(panel[:, 32:], frame_array(1 - frame))
    assert np.array_equal(panel[16:, 16:32], frame_array(frame)[16:])  # the bag is not a chosen part: not painted
    assert not np.array_equal(panel[8, 16 + 8], frame_array(frame)[8, 8])  # the top is


def test_user_errors_come_before_any_work(compose_cfg, tmp_path):
    frames = [np.full((32, 32, 3), 128, np.uint8)] * 3
    write_video(tmp_path / "grey.mp4", frames, 25)
    cases = {
        f"input={tmp_path / 'missing.mp4'}": "does not exist",
        "output=out.avi": "must end in",
        "parts=[hat]": "unknown part",
        "height=15": "even number",
        "style=no_such_model": "no shipped model or file 'no_such_model'",
        "max_frames=-1": "max_frames must be a whole number >= 1",  # was an islice traceback
        "feather=-1": "feather must be a whole number >= 0",
    }
    for override, message in cases.items():
        overrides = [f"input={tmp_path / 'grey.mp4'}", f"output={tmp_path / 'out.mp4'}", override]
        with pytest.raises(StylistError, match=message):
            video_from_config(compose_cfg("fashion_video", overrides))
    assert not (tmp_path / "out.mp4").exists()


def test_command_prints_one_line_error(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "stylist.fashion.video", f"input={tmp_path / 'missing.mp4'}", f"hydra.run.dir={tmp_path}"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [f"error: video {tmp_path / 'missing.mp4'} does not exist"]
