"""``python -m stylist.app``: an interactive fashion style change demo in the browser (Gradio, offline).

Photo tab: upload a street photo (or pick a sample), see the garments the segmenter finds as a
coloured overlay, tick the parts to restyle, pick a method (``johnson``: a shipped model, one
pass; ``wct``: any style image, one pass; ``gatys``: any style image, optimised for a number of
iterations), a shipped style or an uploaded style image, the colour mode and the style strength,
and get the result with the time of each stage. Webcam tab: frames from the browser's camera go
through :class:`~stylist.fashion.stream.FashionStream`.

The handlers are plain functions (:func:`find_parts`, :func:`restyle_photo`, :func:`webcam_frame`)
that return messages instead of raising, so the page shows a line of text for a bad upload (not an
image, empty, too large), never a stack trace. Needs the ``app`` extra: ``pip install stylist[app]``.

    python -m stylist.app [--port 7860] [--host 127.0.0.1]
"""

from __future__ import annotations

import argparse
import functools
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from stylist.cli import build_method, user_errors_exit
from stylist.fashion import COLOR_MODES, CLASS_NAMES, method_stylize, part_shares, restyle
from stylist.fashion.core import Stylize
from stylist.fashion.stream import FashionStream, frame_array, frame_tensor, segmenter_probabilities
from stylist.image import KNOWN_IMAGES, resize_longest
from stylist.utils import StylistError

__all__ = [
    "WORK_SIZE", "MAX_UPLOAD_BYTES", "MAX_UPLOAD_PIXELS", "METHODS", "samples", "johnson_styles", "style_images", "style_choices",
    "read_upload", "find_parts", "restyle_photo", "webcam_frame", "build_demo", "serve", "main",
]  # fmt: skip

#: Longest side (px) photos are restyled at.
WORK_SIZE = 384
#: Uploads larger than this many bytes or pixels are refused with a message.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_UPLOAD_PIXELS = 40_000_000
METHODS = ("johnson", "wct", "gatys")
_SHARED_PHOTOS = Path(__file__).resolve().parents[2] / "shared" / "data" / "modanet_ccp" / "images"
_SAMPLE_IDS = (801, 803, 806, 810)


def samples() -> dict[str, str]:
    """``{label: path or known image name}``: street photos from ``../shared`` when present, and a
    sample image that ships with scikit-image."""
    found = {f"street photo {i}": str(_SHARED_PHOTOS / f"{i:07d}.jpg") for i in _SAMPLE_IDS}
    return {**{k: v for k, v in found.items() if Path(v).is_file()}, "astronaut (scikit-image)": "astronaut"}


def johnson_styles() -> list[str]:
    """Shipped single-style Johnson models (a multi-style one needs a mix, which the page does not offer)."""
    from stylist.models import shipped

    return sorted(name for name, meta in shipped().items() if meta.get("kind") == "johnson" and not meta.get("styles"))


def style_images() -> list[str]:
    """Style images known by name (the paintings in ``../shared`` when present, and a generated one)."""
    from stylist.image import resolve_image

    names = []
    for name in KNOWN_IMAGES:
        try:
            resolve_image(name)
            names.append(name)
        except StylistError:
            continue
    return [n for n in names if n in ("starry_night", "the_scream", "shipwreck")] + ["swirls"]


def style_choices(method: str) -> dict[str, Any]:
    """Update of the style menu for a method: shipped models for Johnson, style images otherwise."""
    choices = johnson_styles() if method == "johnson" else style_images()
    return {"__type__": "update", "choices": choices, "value": choices[0] if choices else None}


def read_upload(path: str | os.PathLike, max_side: int = WORK_SIZE) -> torch.Tensor:
    """An uploaded image as ``1 x 3 x H x W`` in [0, 1], longest side at most ``max_side``.

    Raises:
        StylistError: empty file, too large (bytes or pixels), not an image, or smaller than 16 px.
    """
    path = Path(path)
    if not path.is_file():
        raise StylistError(f"{path.name}: no such file")
    size = path.stat().st_size
    if size == 0:
        raise StylistError(f"{path.name} is empty")
    if size > MAX_UPLOAD_BYTES:
        raise StylistError(f"{path.name} is {size / 2**20:.0f} MB; the limit is {MAX_UPLOAD_BYTES // 2**20} MB")
    try:
        with Image.open(path) as img:
            if img.width * img.height > MAX_UPLOAD_PIXELS:
                raise StylistError(f"{path.name} is {img.width}x{img.height} px; the limit is {MAX_UPLOAD_PIXELS // 10**6} megapixels")
            array = np.asarray(img.convert("RGB"))
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise StylistError(f"{path.name} is not an image this demo can read (JPEG, PNG, WebP, ...)") from None
    if min(array.shape[:2]) < 16:
        raise StylistError(f"{path.name} is {array.shape[1]}x{array.shape[0]} px; at least 16 px per side is needed")
    image = frame_tensor(array)
    return resize_longest(image, max_side) if max(image.shape[-2:]) > max_side else image


def _load_photo(upload: str | None, sample: str | None) -> torch.Tensor:
    if upload:
        return read_upload(upload)
    if sample:
        spec = samples().get(sample, sample)
        from stylist.image import load_image

        return load_image(spec, size=WORK_SIZE)
    raise StylistError("upload a photo or pick a sample first")


@functools.lru_cache(maxsize=1)
def _segmenter() -> torch.nn.Module:
    from stylist.segmentation import load_segmenter

    return load_segmenter()


@functools.lru_cache(maxsize=8)
def _method(method: str, iterations: int, alpha: float) -> Stylize:
    """A stylize function per method and settings (the method built from its ``conf/method`` file),
    kept with its models loaded."""
    overrides = {"johnson": [], "wct": [f"method.alpha={alpha}"],
                 "gatys": [f"method.iterations={iterations}", "loss.style_weight=1e5"]}  # fmt: skip
    if method not in overrides:
        raise StylistError(f"unknown method '{method}'; choose one of {', '.join(METHODS)}")
    return method_stylize(build_method(method, overrides[method]), progress=False)


def find_parts(upload: str | None, sample: str | None) -> tuple[np.ndarray | None, dict[str, Any], dict[str, Any] | None, str]:
    """Segment the photo: ``(overlay, checkbox update, state, message)``.

    ``overlay`` is the photo with the garments painted and named; the checkbox update lists the parts
    found (largest first, none ticked); ``state`` carries the photo and its class map
    to :func:`restyle_photo`.
    """
    from stylist.segmentation import overlay, segment

    try:
        photo = _load_photo(upload, sample)
    except StylistError as err:
        return None, {"__type__": "update", "choices": [], "value": []}, None, f"**Error:** {err}"
    start = time.perf_counter()
    class_map, _ = segment(photo, _segmenter(), flip=True, scales=[1.0])  # 2 passes, not the default 6: interactive
    seconds = time.perf_counter() - start
    found = part_shares(class_map)
    choices = [(f"{part} ({100 * share:.0f}%)", part) for part, share in found.items()]
    state = {"photo": photo, "class_map": class_map, "segment_s": seconds}
    message = f"Found {', '.join(found) or 'no garments'} in {seconds:.2f} s. Tick the parts to restyle."
    return frame_array(overlay(photo, class_map)[None]), {"__type__": "update", "choices": choices, "value": []}, state, message


def restyle_photo(
    state: dict[str, Any] | None,
    parts: list[str] | None,
    method: str,
    style: str | None,
    style_upload: str | None,
    iterations: int = 60,
    color: str = "none",
    alpha: float = 1.0,
) -> tuple[np.ndarray | None, str]:
    """Restyle the ticked parts: ``(result, message with per-stage timings)``.

    ``alpha`` is the style strength: WCT's own content/style trade-off, and for the other methods
    the blend ``photo + alpha * (stylised - photo)`` inside the parts.
    """
    try:
        if state is None:
            raise StylistError("find the garments of a photo first")
        if not parts:
            raise StylistError("tick at least one part to restyle")
        if color not in COLOR_MODES:
            raise StylistError(f"colour mode must be one of {', '.join(COLOR_MODES)}")
        if style_upload:
            if method == "johnson":
                raise StylistError("johnson uses a trained model per style: pick wct or gatys for an uploaded style image")
            read_upload(style_upload, max_side=1024)  # a clear message for a bad file
            style = style_upload
        if not style:
            raise StylistError("pick a style")
        if method == "johnson" and style not in johnson_styles():
            raise StylistError(f"johnson styles are the shipped models: {', '.join(johnson_styles())}")
        stylise = _method(method, int(iterations), float(alpha) if method == "wct" else 1.0)
        if method != "wct" and alpha < 1:
            full = stylise
            stylise = lambda photo, s, masks: photo + alpha * (full(photo, s, masks) - photo)  # noqa: E731
        result = restyle(state["photo"], state["class_map"], {part: style for part in parts}, stylise, color=color)
    except StylistError as err:
        return None, f"**Error:** {err}"
    seconds = {"segment": state["segment_s"], **result.seconds}
    timings = " · ".join(f"{stage} {1000 * value:.0f} ms" for stage, value in seconds.items())
    return frame_array(result.image), f"Restyled {', '.join(result.restyled) or 'nothing'} with {method}. Timings: {timings}."


def webcam_frame(
    frame: np.ndarray | None, parts: list[str] | None, style: str, stream: FashionStream | None
) -> tuple[np.ndarray | None, FashionStream | None, str]:
    """One webcam frame through the stream: ``(output frame, stream state, fps message)``. The stream
    is rebuilt when the parts or the style change."""
    if frame is None:
        return None, stream, ""
    if not parts:
        return frame, None, "Tick at least one part."
    if frame.ndim != 3 or frame.shape[2] < 3:
        return None, None, "**Error:** the camera frame is not an RGB image"
    frame = np.ascontiguousarray(frame[..., :3].astype(np.uint8))
    if max(frame.shape[:2]) > WORK_SIZE:
        frame = frame_array(resize_longest(frame_tensor(frame), WORK_SIZE))
    styles = {part: style for part in parts}
    if stream is None or stream.styles != styles:  # a new frame size is taken for a cut by the stream itself
        stream = FashionStream(segmenter_probabilities(_segmenter()), _method("johnson", 0, 1.0), styles)
    out = stream.process(frame)
    rates = stream.fps()
    return frame_array(out.image), stream, f"{rates['total']:.1f} fps (" + ", ".join(
        f"{stage} {rate:.0f}" for stage, rate in rates.items() if stage != "total") + " fps per stage)"  # fmt: skip


def build_demo() -> Any:
    """The Gradio page (not launched)."""
    import gradio as gr

    part_names = list(CLASS_NAMES[1:])
    with gr.Blocks(title="stylist: fashion style change", analytics_enabled=False) as demo:
        gr.Markdown("# Fashion style change\nRestyle only the clothes of a street photo; every other pixel stays as it was.")
        with gr.Tab("Photo"):
            with gr.Row():
                with gr.Column():
                    upload = gr.File(label="Upload a street photo", file_types=["image"], type="filepath", elem_id="photo-upload")
                    sample = gr.Dropdown(list(samples()), value=None, label="or pick a sample", elem_id="sample")
                    find = gr.Button("Find garments", variant="primary", elem_id="find")
                    painted = gr.Image(label="garments found", format="png", interactive=False, elem_id="overlay")
                    parts = gr.CheckboxGroup(choices=[], label="restyle these parts", elem_id="parts")
                with gr.Column():
                    method = gr.Radio(list(METHODS), value="johnson", label="method", elem_id="method")
                    style = gr.Dropdown(johnson_styles(), value=(johnson_styles() or [None])[0], label="style", elem_id="style")
                    style_upload = gr.File(label="or upload a style image (wct, gatys)", file_types=["image"], type="filepath")
                    iterations = gr.Slider(10, 300, value=60, step=10, label="gatys iterations")
                    color = gr.Radio(list(COLOR_MODES), value="none", label="colour (garment: keep its colours; style: keep its shading)")
                    alpha = gr.Slider(0, 1, value=1.0, step=0.05, label="style strength (alpha)")
                    run = gr.Button("Restyle", variant="primary", elem_id="restyle")
                    result = gr.Image(label="result", format="png", interactive=False, elem_id="result")
            message = gr.Markdown(elem_id="message")
            state = gr.State(None)
            find.click(find_parts, [upload, sample], [painted, parts, state, message])
            method.change(style_choices, method, style)
            run.click(restyle_photo, [state, parts, method, style, style_upload, iterations, color, alpha], [result, message])
        with gr.Tab("Webcam"):
            gr.Markdown("Frames from your camera go through the streaming pipeline (segment every 12th frame, flow in between).")
            with gr.Row():
                camera = gr.Image(sources=["webcam"], streaming=True, type="numpy", label="camera")
                live = gr.Image(label="restyled", interactive=False)
            cam_parts = gr.CheckboxGroup(part_names, value=["top", "pants"], label="restyle these parts")
            cam_style = gr.Dropdown(johnson_styles(), value=(johnson_styles() or [None])[-1], label="style (Johnson)")
            rate = gr.Markdown()
            stream_state = gr.State(None)
            camera.stream(webcam_frame, [camera, cam_parts, cam_style, stream_state], [live, stream_state, rate])
    return demo


def serve(host: str = "127.0.0.1", port: int = 7860, block: bool = True) -> Any:
    """Build and launch the page (offline: no analytics, no web fonts, no share link); returns the
    running demo (``block=False``: the server runs in a thread, stop it with ``demo.close()``)."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr

    theme = gr.themes.Default(font=["system-ui", "sans-serif"], font_mono=["monospace"])
    demo = build_demo()
    demo.launch(server_name=host, server_port=port, theme=theme, max_file_size=MAX_UPLOAD_BYTES, footer_links=[],
                ssr_mode=False, share=False, prevent_thread_lock=not block, quiet=not block)  # fmt: skip
    return demo


@user_errors_exit
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fashion style change demo (Gradio, offline).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7860)
    args = parser.parse_args(argv)
    serve(args.host, args.port)

if __name__ == "__main__":
    main()
