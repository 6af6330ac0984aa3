"""Confusion matrix and IoU against a hand-computed example."""

import math

import torch

from stylist.segmentation.metrics import confusion_matrix, iou_per_class, scores


def test_confusion_matrix_and_iou_by_hand():
    target = torch.tensor([[0, 0, 1, 1], [2, 2, 255, 0]])
    pred = torch.tensor([[0, 1, 1, 1], [2, 0, 2, 0]])
    matrix = confusion_matrix(pred, target, 4)
    # rows truth, columns prediction; the ignored pixel (255) is skipped
    assert matrix.tolist() == [[2, 1, 0, 0], [0, 2, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]]
    iou = iou_per_class(matrix)
    # class 0: 2 / (3 + 3 - 2); class 1: 2 / (2 + 3 - 2); class 2: 1 / (2 + 1 - 1); class 3: absent
    assert torch.allclose(iou[:3], torch.tensor([0.5, 2 / 3, 0.5], dtype=torch.float64))
    assert math.isnan(iou[3])
    result = scores(matrix, ("bg", "a", "b", "c"))
    assert math.isclose(result["miou"], (0.5 + 2 / 3 + 0.5) / 3)
    assert math.isclose(result["miou_no_background"], (2 / 3 + 0.5) / 2)
    assert math.isclose(result["pixel_accuracy"], 5 / 7)
