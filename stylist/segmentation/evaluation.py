"""Evaluate a segmenter on a ModaNet-format annotation file at full image resolution."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, Sequence

import torch

from stylist.segmentation.metrics import confusion_matrix, scores
from stylist.segmentation.modanet import CLASS_NAMES, NUM_CLASSES, ModaNetAnnotations, open_image_source
from stylist.segmentation.predict import Segmenter, segment
from stylist.segmentation.visualize import overlay
from stylist.utils import StylistError, get_logger

__all__ = ["evaluate_segmenter", "iou_table", "overlay_panel"]

log = get_logger(__name__)


def _image_tensor(pil: Any) -> torch.Tensor:
    import numpy as np

    return torch.from_numpy(np.asarray(pil, dtype=np.float32) / 255.0).permute(2, 0, 1)[None]


def evaluate_segmenter(
    segmenter: Segmenter,
    annotations: str | Path,
    root: str | Path,
    lmdb: str | Path | None = None,
    flip: bool | None = None,
    keep: int = 0,
    scales: Sequence[float] | None = None,
) -> tuple[dict[str, Any], torch.Tensor, list[dict[str, torch.Tensor]]]:
    """Per-class IoU, mIoU (with and without background) and pixel accuracy over every image.

    Predictions are made by :func:`~stylist.segmentation.predict.segment` at the photo's full
    resolution and compared with the rendered masks of ``annotations``; ``flip``/``scales``
    (``None``: the segmenter's own test-time settings) are recorded in the scores.

    Returns:
        ``(scores, confusion matrix, samples)``; ``samples`` holds the first ``keep`` images with
        their truth and prediction (``{"image", "truth", "pred"}``) for an overlay panel.
    """
    flip, scales = segmenter.test_time(flip, scales)
    data = ModaNetAnnotations(annotations)
    if not data.ids:
        raise StylistError(f"{annotations} lists no images: nothing to evaluate")
    if not data.has_annotations:
        warnings.warn(f"{annotations} has no annotations: every pixel counts as background")
    images = open_image_source(root, lmdb)
    matrix = torch.zeros(NUM_CLASSES, NUM_CLASSES, dtype=torch.long)
    samples = []
    for count, image_id in enumerate(data.ids, start=1):
        record = data.images[image_id]
        truth = torch.from_numpy(data.mask(image_id).astype("int64"))
        pil = images(record)
        if pil.size != (record.width, record.height):
            pil = pil.resize((record.width, record.height))
        image = _image_tensor(pil)
        pred, _ = segment(image, segmenter, flip=flip, scales=scales)
        matrix += confusion_matrix(pred, truth, NUM_CLASSES)
        if len(samples) < keep:
            samples.append({"image": image[0], "truth": truth, "pred": pred})
        if count % 25 == 0:
            log.info("evaluated %d/%d images", count, len(data.ids))
    result = scores(matrix)
    result["images"] = len(data.ids)
    result["flip"], result["scales"] = flip, list(scales)
    return result, matrix, samples


def _cell(value: float | None) -> str:
    return "n/a (absent)" if value is None or value != value else f"{value:.3f}"


def iou_table(result: dict[str, Any]) -> str:
    """A Markdown table of per-class IoU, then mIoU, mIoU without background and pixel accuracy."""
    lines = ["| class | IoU |", "|---|---:|"]
    lines += [f"| {name} | {_cell(result['iou'][name])} |" for name in CLASS_NAMES]
    lines += [
        f"| **mIoU (14 classes)** | **{result['miou']:.3f}** |",
        f"| mIoU without background | {result['miou_no_background']:.3f} |",
        f"| pixel accuracy | {result['pixel_accuracy']:.3f} |",
    ]
    return "\n".join(lines) + "\n"


def overlay_panel(samples: list[dict[str, torch.Tensor]], cell: int = 300) -> Any:
    """A PIL grid, one row per sample: photo | truth overlay | prediction overlay (with legends)."""
    from stylist.image import image_grid

    rows = []
    for sample in samples:
        height, width = sample["image"].shape[-2:]
        size = (cell, max(1, round(width * cell / height)))  # overlay at the cell's scale: legible legend
        image = torch.nn.functional.interpolate(sample["image"][None], size=size, mode="bilinear", antialias=True)[0]
        maps = [torch.nn.functional.interpolate(sample[k][None, None].float(), size=size, mode="nearest")[0, 0].long()
                for k in ("truth", "pred")]  # fmt: skip
        rows.append([image.clamp(0, 1), *(overlay(image.clamp(0, 1), m) for m in maps)])
    return image_grid(rows, col_labels=["photo", "ground truth", "prediction"], cell=round(cell * 1.05) + 110)
