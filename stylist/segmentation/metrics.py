"""Segmentation metrics from a confusion matrix (pure functions).

``C[t, p]`` counts pixels of true class ``t`` predicted as ``p`` (ignored pixels left out).
IoU of class ``c`` = ``C[c, c] / (sum_p C[c, p] + sum_t C[t, c] - C[c, c])``, NaN when the class
is neither present nor predicted; mIoU is the mean over the classes that are not NaN; pixel
accuracy = ``trace(C) / sum(C)``.
"""

from __future__ import annotations

import torch

from stylist.segmentation.modanet import CLASS_NAMES, IGNORE_INDEX

__all__ = ["confusion_matrix", "iou_per_class", "scores"]


def confusion_matrix(pred: torch.Tensor, target: torch.Tensor, num_classes: int,
                     ignore_index: int = IGNORE_INDEX) -> torch.Tensor:  # fmt: skip
    """``num_classes x num_classes`` int64 counts (rows: truth, columns: prediction).

    Args:
        pred, target: class maps of the same shape (any shape); ``target == ignore_index`` is skipped.

    Example:
        >>> confusion_matrix(torch.tensor([0, 1, 1]), torch.tensor([0, 1, 0]), 2).tolist()
        [[1, 1], [0, 1]]
    """
    valid = target != ignore_index
    index = target[valid].long() * num_classes + pred[valid].long()
    return torch.bincount(index, minlength=num_classes**2).reshape(num_classes, num_classes)


def iou_per_class(matrix: torch.Tensor) -> torch.Tensor:
    """Per-class IoU (float64, NaN for classes neither present nor predicted)."""
    matrix = matrix.double()
    intersection = matrix.diagonal()
    union = matrix.sum(0) + matrix.sum(1) - intersection
    return torch.where(union > 0, intersection / union.clamp(min=1), torch.full_like(union, float("nan")))


def scores(matrix: torch.Tensor, class_names: tuple[str, ...] = CLASS_NAMES) -> dict[str, object]:
    """``{"iou": {name: float}, "miou", "miou_no_background", "pixel_accuracy"}`` (class 0 = background)."""
    iou = iou_per_class(matrix)
    return {
        "iou": {name: float(value) for name, value in zip(class_names, iou)},
        "miou": float(iou.nanmean()),
        "miou_no_background": float(iou[1:].nanmean()),
        "pixel_accuracy": float(matrix.diagonal().sum().double() / matrix.sum().clamp(min=1)),
    }
