"""Resizing, padding to multiples of 16 with ignored labels, and training crops."""

import numpy as np
import torch
from PIL import Image

from stylist.segmentation.modanet import IGNORE_INDEX
from stylist.segmentation.transforms import EvalTransform, TrainTransform, fit_pair


def _pair(height=60, width=40):
    mask = np.zeros((height, width), dtype=np.uint8)
    mask[10:30, 5:20] = 9
    return Image.new("RGB", (width, height), (255, 0, 0)), mask


def test_eval_transform_pads_to_16_with_ignore():
    image, mask = EvalTransform(long_side=50)(*_pair())
    assert image.shape == (3, 64, 48) and mask.shape == (64, 48)
    assert (mask[50:] == IGNORE_INDEX).all() and (mask[:, 34:] == IGNORE_INDEX).all()
    assert (image[:, 50:] == 0).all() and set(mask[:50, :33].unique().tolist()) == {0, 9}


def test_train_transform_crops_multiples_of_16():
    transform = TrainTransform(long_side=64, crop_size=(48, 32), scale_range=(0.5, 1.5))
    for _ in range(5):
        image, mask = transform(*_pair())
        assert image.shape == (3, 48, 32) and mask.shape == (48, 32) and mask.dtype == torch.long
        assert set(mask.unique().tolist()) <= {0, 9, IGNORE_INDEX}


def test_fit_pair_keeps_aspect_inside_the_canvas():
    image, mask = fit_pair(*_pair(), (32, 32))
    assert image.shape == (3, 32, 32)
    assert (mask[:, 22:] == IGNORE_INDEX).all() and (mask[:, :21] != IGNORE_INDEX).all()
