"""Colour-coded class maps, overlays with a legend, and a confusion-matrix plot."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from stylist.segmentation.modanet import CLASS_NAMES, IGNORE_INDEX
from stylist.plots import save_figure

__all__ = ["PALETTE", "colorize", "overlay", "plot_confusion", "plot_curves"]

#: RGB (0-255) per class; background black, ignored pixels (255) grey.
PALETTE: tuple[tuple[int, int, int], ...] = (
    (0, 0, 0), (230, 25, 75), (255, 225, 25), (128, 64, 0), (245, 130, 48), (0, 130, 200),
    (240, 50, 230), (70, 240, 240), (60, 60, 200), (60, 180, 75), (0, 128, 128),
    (145, 30, 180), (250, 190, 212), (170, 255, 195),
)  # fmt: skip
_IGNORE_RGB = (128, 128, 128)
_LEGEND_WIDTH = 110


def _lookup() -> torch.Tensor:
    table = torch.tensor([_IGNORE_RGB] * 256, dtype=torch.float32)
    table[: len(PALETTE)] = torch.tensor(PALETTE, dtype=torch.float32)
    return table / 255.0


def colorize(class_map: torch.Tensor) -> torch.Tensor:
    """Class map ``H x W`` (or ``B x H x W``) long -> RGB ``3 x H x W`` (``B x 3 x H x W``) in [0, 1].

    Example:
        >>> colorize(torch.zeros(2, 2, dtype=torch.long)).shape
        torch.Size([3, 2, 2])
    """
    rgb = _lookup()[class_map.long().clamp(0, 255).cpu()]
    return rgb.movedim(-1, -3).contiguous()


def _legend(classes: list[int], height: int) -> torch.Tensor:
    strip = Image.new("RGB", (_LEGEND_WIDTH, height), "white")
    draw, font = ImageDraw.Draw(strip), ImageFont.load_default()
    for row, index in enumerate(classes):
        top = 4 + row * 16
        draw.rectangle((4, top, 16, top + 12), fill=PALETTE[index])
        draw.text((20, top), CLASS_NAMES[index], fill="black", font=font)
    return torch.from_numpy(np.asarray(strip, dtype=np.float32) / 255.0).permute(2, 0, 1)


def overlay(image: torch.Tensor, class_map: torch.Tensor, alpha: float = 0.55, legend: bool = True) -> torch.Tensor:
    """Blend the colour-coded classes over the photo; background stays the photo.

    Args:
        image: ``1 x 3 x H x W`` or ``3 x H x W`` in [0, 1].
        class_map: ``H x W`` long (same size as the image).
        alpha: opacity of the class colours.
        legend: append a strip on the right naming the classes present.

    Returns:
        ``3 x H x W'`` in [0, 1] (``W' = W + 110`` with the legend).
    """
    image = image.reshape(3, *image.shape[-2:]).float().cpu()
    class_map = class_map.reshape(image.shape[-2:]).cpu()
    if class_map.shape != image.shape[-2:]:
        raise ValueError(f"class map {tuple(class_map.shape)} and image {tuple(image.shape[-2:])} differ in size")
    colour = colorize(class_map)
    painted = ((class_map > 0) & (class_map != IGNORE_INDEX)).float()[None] * alpha
    blended = image * (1 - painted) + colour * painted
    if not legend:
        return blended
    present = [int(c) for c in torch.unique(class_map) if 0 < int(c) < len(CLASS_NAMES)]
    return torch.cat([blended, _legend(present, image.shape[-2])], dim=-1)


def plot_confusion(matrix: torch.Tensor, path: str | os.PathLike, title: str = "confusion (rows: truth, row-normalised)") -> Path:
    """Write a row-normalised confusion matrix as a PNG (atomically)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matrix = matrix.double()
    normalised = (matrix / matrix.sum(1, keepdim=True).clamp(min=1)).numpy()
    fig, ax = plt.subplots(figsize=(7.5, 6.5), dpi=100)
    shown = ax.imshow(normalised, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(CLASS_NAMES)), CLASS_NAMES, rotation=60, ha="right")
    ax.set_yticks(range(len(CLASS_NAMES)), CLASS_NAMES)
    for t in range(len(CLASS_NAMES)):
        for p in range(len(CLASS_NAMES)):
            if normalised[t, p] >= 0.01:
                ax.text(p, t, f"{normalised[t, p]:.2f}", ha="center", va="center", fontsize=6,
                        color="white" if normalised[t, p] > 0.5 else "black")  # fmt: skip
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.colorbar(shown, ax=ax, fraction=0.046)
    fig.tight_layout()
    return save_figure(fig, path)


def plot_curves(log_dir: str | os.PathLike, path: str | os.PathLike, title: str = "DeepLabV3+ training") -> Path:
    """Plot ``train/loss`` (and its running mean), ``val/loss`` and ``val/miou`` from TensorBoard logs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(log_dir), size_guidance={"scalars": 0})
    events.Reload()
    tags = set(events.Tags()["scalars"])

    def series(tag: str) -> tuple[list[int], list[float]]:
        points = events.Scalars(tag) if tag in tags else []
        return [p.step for p in points], [p.value for p in points]

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), dpi=100)
    steps, values = series("train/loss")
    if values:
        left.plot(steps, values, alpha=0.3, label="train/loss")
        window = max(1, len(values) // 20)
        smooth = np.convolve(values, np.ones(window) / window, mode="valid")
        left.plot(steps[window - 1 :], smooth, label=f"train/loss (mean of {window})")
    left.plot(*series("val/loss"), "o-", label="val/loss")
    left.set_xlabel("step")
    left.set_ylabel("loss")
    left.legend()
    left.grid(alpha=0.3)
    for tag in ("val/miou", "val/miou_no_background", "val/pixel_accuracy"):
        right.plot(*series(tag), "o-", label=tag)
    right.set_xlabel("step")
    right.set_ylim(0, 1)
    right.legend()
    right.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    return save_figure(fig, path)
