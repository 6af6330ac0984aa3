"""Streaming fashion style change: speed, temporal stability and exactness on clips with known motion.

A clip is made from ModaNet-format val photos (:func:`stylist.fashion.clips.make_clip`: a pan, a
zoom and a shake, cut from one photo to the next, frames ``H x W`` = 384 x 288 by default). Two
pipelines run on it in the same process, with the same segmenter and Johnson model:

* ``stream``: :class:`~stylist.fashion.stream.FashionStream` as shipped (segment every k-th frame,
  flow propagation, EMA of the probabilities, stabilised stylisation);
* ``independent``: every frame on its own (segment every frame, no smoothing, no stabilisation).

Reported per pipeline:

* ``fps``: frames per second end to end (all stages, model loading excluded) and per stage, by
  wall time; ``fps_by_cpu_time``: frames per CPU second of the process, which is what dedicated
  cores would give when the machine is shared (with ``--threads 1``: one dedicated core);
* ``warping_error``: mean over frames (cuts excluded) of the mean absolute difference, 0-1 RGB,
  between the output frame and the previous output frame warped by the KNOWN motion, over the
  pixels inside the chosen garments (ground-truth labels of the photo, drawn by the known motion)
  whose source lies inside the previous frame. ``input_warping_error`` is the same for the input
  frames: the floor that resampling alone gives;
* ``style_change``: mean absolute difference output - input inside the garments (the style must
  not be smoothed away);
* ``changed_outside``: pixels over all frames outside the composited mask (beyond the feather)
  that differ from the input (target: 0);
* ``part_iou``: IoU of the restyled-part masks with the ground-truth parts, mean over frames.

    python benchmarks/stream_eval.py [--segment-every 12] [--segment-scale 0.8] [--temporal 0.6] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image

from stylist.cli.records import machine_info, utc_now
from stylist.fashion import method_stylize, part_index
from stylist.fashion.clips import Clip, make_clip
from stylist.fashion.stream import FashionStream, StreamFrame, frame_array, segmenter_probabilities
from stylist.image import image_grid, save_image
from stylist.methods import Johnson
from stylist.segmentation import load_segmenter
from stylist.segmentation.modanet import ModaNetAnnotations
from stylist.utils import atomic_write

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "modanet_ccp"


def run(stream: FashionStream, clip: Clip) -> tuple[list[StreamFrame], float, float]:
    """Outputs of every frame, the end-to-end wall seconds and the CPU seconds of this process (the
    first frame is timed too)."""
    start, cpu_start = time.perf_counter(), time.process_time()
    outputs = [stream.process(frame) for frame in clip.frames]
    return outputs, time.perf_counter() - start, time.process_time() - cpu_start


def score(outputs: list[StreamFrame], clip: Clip, truth: list[np.ndarray]) -> dict:
    """Warping error, style change, exactness and part IoU of one pipeline's outputs."""
    warp_errors, input_errors, changes, ious, changed_outside = [], [], [], [], 0
    arrays = [frame_array(out.image).astype(np.float32) / 255 for out in outputs]
    for t, out in enumerate(outputs):
        inside = truth[t]
        outside = out.mask[0, 0] == 0
        changed_outside += int((out.image[0][:, outside] != out.input[0][:, outside]).any(dim=0).sum())
        restyled = out.mask[0, 0] > 0
        union = (restyled | torch.from_numpy(inside)).sum()
        ious.append(float((restyled & torch.from_numpy(inside)).sum() / union) if union else 1.0)
        frame = clip.frames[t].astype(np.float32) / 255
        if inside.any():
            changes.append(float(np.abs(arrays[t] - frame)[inside].mean()))
        if clip.is_cut(t):
            continue
        warped, valid = clip.warp_previous(arrays[t - 1], t)
        warped_input, _ = clip.warp_previous(clip.frames[t - 1].astype(np.float32) / 255, t)
        region = inside & valid
        if region.sum() < 100:
            continue
        warp_errors.append(float(np.abs(arrays[t] - warped)[region].mean()))
        input_errors.append(float(np.abs(frame - warped_input)[region].mean()))
    return {
        "warping_error": statistics.mean(warp_errors),
        "input_warping_error": statistics.mean(input_errors),
        "style_change": statistics.mean(changes),
        "changed_outside": changed_outside,
        "part_iou": statistics.mean(ious),
        "frames_scored": len(warp_errors),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, nargs="+", default=[801, 803, 806, 810, 821, 826])
    parser.add_argument("--parts", nargs="+", default=["top", "outer", "pants", "skirt", "dress"])
    parser.add_argument("--style", default="starry_night_fast", help="shipped Johnson model")
    parser.add_argument("--frames", type=int, default=20, help="frames per shot")
    parser.add_argument("--height", type=int, default=384)
    parser.add_argument("--width", type=int, default=288)
    parser.add_argument("--segment-every", type=int, default=12)
    parser.add_argument("--segment-scale", type=float, default=0.8, help="segmenter input scale (1: its training size)")
    parser.add_argument("--smoothing", type=float, default=0.5)
    parser.add_argument("--temporal", type=float, default=0.6)
    parser.add_argument("--threads", type=int, default=2, help="torch threads (1 is faster on a crowded machine)")
    parser.add_argument("--no-bf16", dest="bf16", action="store_false", help="run Johnson in float32")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/stream_eval.json"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)

    annotations = ModaNetAnnotations(DATA / "annotations" / "modanet_ccp_val.json")
    photos = [np.asarray(Image.open(DATA / "images" / f"{i:07d}.jpg").convert("RGB")) for i in args.photos]
    clip = make_clip(photos, frames_per_shot=args.frames, size=(args.height, args.width))
    chosen = np.array([part_index(part) for part in args.parts])
    truth = []
    for t in range(len(clip)):
        photo = clip.photos[clip.shots[t]]
        labels = cv2.resize(annotations.mask(args.photos[clip.shots[t]]).astype(np.uint8),
                            (photo.shape[1], photo.shape[0]), interpolation=cv2.INTER_NEAREST)  # fmt: skip
        truth.append(np.isin(clip.render(labels, t), chosen))

    start = time.perf_counter()
    probabilities = segmenter_probabilities(load_segmenter(), scales=(args.segment_scale,))
    stylise = method_stylize(Johnson(bf16=args.bf16), progress=False)
    stylise(torch.rand(1, 3, args.height, args.width), args.style, [])  # loads the model
    load_seconds = time.perf_counter() - start
    styles = {part: args.style for part in args.parts}
    settings = {
        "stream": dict(segment_every=args.segment_every, smoothing=args.smoothing, temporal=args.temporal),
        "independent": dict(segment_every=1, smoothing=0.0, temporal=0.0),
    }
    load_before = os.getloadavg()
    results, outputs = {}, {}
    for name, options in settings.items():
        stream = FashionStream(probabilities, stylise, styles, **options)
        outputs[name], seconds, cpu_seconds = run(stream, clip)
        per_stage_ms = {stage: 1000 * value / len(clip) for stage, value in stream.seconds.items()}
        results[name] = {
            "settings": options,
            "fps_end_to_end": len(clip) / seconds,
            "fps_by_cpu_time": len(clip) / cpu_seconds,
            "ms_per_frame": {**per_stage_ms, "end_to_end": 1000 * seconds / len(clip)},
            "fps_per_stage": stream.fps(),
            "segmented_frames": sum(out.segmented for out in outputs[name]),
            **score(outputs[name], clip, truth),
        }
        print(name, json.dumps(results[name]))
    summary = {
        "stream_fps": results["stream"]["fps_end_to_end"],
        "stream_fps_by_cpu_time": results["stream"]["fps_by_cpu_time"],
        "independent_fps": results["independent"]["fps_end_to_end"],
        "warping_error_ratio_independent_over_stream": results["independent"]["warping_error"]
        / results["stream"]["warping_error"],
        "changed_outside_all_frames": results["stream"]["changed_outside"] + results["independent"]["changed_outside"],
    }
    record = {
        "summary": summary,
        "results": results,
        "clip": {"photos": args.photos, "frames": len(clip), "size": [args.height, args.width],
                 "shots": "pan, zoom, shake in turn, cut between photos", "parts": args.parts, "style": args.style, "bf16": args.bf16,
                 "segment_scale": args.segment_scale},  # fmt: skip
        "model_load_s": load_seconds,
        "load_average_before_after": [load_before, os.getloadavg()],
        "machine": machine_info(),
        "date": utc_now(),
    }
    with atomic_write(args.out) as tmp:
        tmp.write_text(json.dumps(record, indent=1))
    picks = [t for shot in range(len(args.photos[:3])) for t in (shot * args.frames + 2, shot * args.frames + args.frames // 2)]
    rows = [[outputs["stream"][t].input for t in picks]] + [[outputs[n][t].image for t in picks] for n in settings]
    save_image(image_grid(rows, row_labels=["input", *settings], cell=args.height), args.out.with_suffix(".png"))
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
