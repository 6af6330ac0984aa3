"""``python -m stylist.fashion.video``: restyle the chosen garments of a video or webcam stream.

Writes the video (the input's audio copied) and ``<stem>.json`` (frames, frames per second per
stage, settings). Everything a user can get wrong (input, output, parts, style, settings) is checked
before the first frame.
"""

from __future__ import annotations

import itertools
import logging
import time
from pathlib import Path
from typing import Any, Iterator

import cv2
import numpy as np
import hydra
import torch
from omegaconf import DictConfig

from stylist.cli import CONFIG_DIR, instantiate_method, user_errors_exit
from stylist.cli.fashion import chosen_styles
from stylist.cli.records import run_record, write_record
from stylist.fashion import method_stylize, part_index
from stylist.fashion.stream import FashionStream, StreamFrame, frame_array, segmenter_probabilities
from stylist.utils import StylistError, check_whole_number, seed_everything
from stylist.videoio import VIDEO_SUFFIXES, open_video, write_video

log = logging.getLogger("stylist.fashion.video")


def resized(frames: Iterator[np.ndarray], height: int | None) -> Iterator[np.ndarray]:
    """Frames resized (area filter) to ``height`` px, the width rounded to an even number."""
    for frame in frames:
        if height is None or frame.shape[0] == height:
            yield frame
            continue
        width = 2 * max(1, round(frame.shape[1] * height / frame.shape[0] / 2))
        yield cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)


def side_by_side(out: StreamFrame, parts: list[str]) -> np.ndarray:
    """input | the restyled parts over the input | output."""
    from stylist.segmentation import overlay

    chosen = torch.where(torch.isin(out.class_map, torch.tensor([part_index(p) for p in parts])), out.class_map, 0)
    masks = overlay(out.input, chosen, legend=False)[None]
    return np.concatenate([frame_array(out.input), frame_array(masks), frame_array(out.image)], axis=1)


def video_from_config(cfg: DictConfig) -> dict[str, Any]:
    """Run the stream described by ``cfg``; returns the JSON record it wrote."""
    seed_everything(cfg.seed)
    styles = chosen_styles(cfg)
    output = Path(cfg.output)
    if output.suffix.lower() not in VIDEO_SUFFIXES:
        raise StylistError(f"output must end in {', '.join(VIDEO_SUFFIXES)}, got {output}")
    if cfg.height is not None and (int(cfg.height) < 16 or int(cfg.height) % 2):
        raise StylistError(f"height must be an even number >= 16, got {cfg.height}")
    max_frames = cfg.max_frames
    if max_frames is not None:
        check_whole_number("max_frames", max_frames, 1, " (null: every frame)")
    source = open_video(cfg.input)

    start = time.perf_counter()
    from stylist.segmentation import load_segmenter

    probabilities = segmenter_probabilities(load_segmenter(cfg.segmenter), scales=(float(cfg.segment_scale),))
    stylise = method_stylize(  # a bad style fails here, before any frame
        instantiate_method(cfg.method), style_size=cfg.style_size, seed=cfg.seed, progress=False, styles=styles.values()
    )
    stream = FashionStream(
        probabilities, stylise, styles, segment_every=cfg.segment_every, smoothing=cfg.smoothing,
        temporal=cfg.temporal, feather=cfg.feather, color=cfg.color,
    )  # fmt: skip
    load_seconds = time.perf_counter() - start

    frames = resized(iter(source), cfg.height)
    if max_frames is not None:
        frames = itertools.islice(frames, max_frames)
    known = [n for n in (source.frames, max_frames) if n is not None]
    total = min(known) if known else None
    parts = list(styles)

    def results() -> Iterator[np.ndarray]:
        from tqdm import tqdm

        with tqdm(total=total, unit="frame", disable=not cfg.progress, desc="restyling") as bar:
            for out in stream(frames):
                bar.update()
                bar.set_postfix(fps=f"{stream.fps()['total']:.1f}", refresh=False)
                yield side_by_side(out, parts) if cfg.side_by_side else frame_array(out.image)

    start = time.perf_counter()
    try:
        count = write_video(output, results(), source.fps, audio_from=source.spec if source.has_audio else None)
    except KeyboardInterrupt:  # a webcam stream is stopped with Ctrl-C: nothing half-written is kept
        raise StylistError("interrupted; no video written") from None
    seconds = time.perf_counter() - start
    record = run_record(
        cfg,
        seconds_total=load_seconds + seconds,
        output=str(output),
        input=str(cfg.input),
        frames=count,
        fps=float(source.fps),
        audio=source.has_audio,
        fps_end_to_end=count / seconds,
        fps_per_stage=stream.fps(),
        load_s=load_seconds,
    )
    write_record(output.with_suffix(".json"), record)
    log.info("wrote %s: %d frames, %.1f fps end to end", output, count, record["fps_end_to_end"])
    return record


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="fashion_video")
@user_errors_exit
def main(cfg: DictConfig) -> None:
    record = video_from_config(cfg)
    print(record["output"])


if __name__ == "__main__":
    main()
