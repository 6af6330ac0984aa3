"""Joint image/mask transforms: resize by the long side, pad to a multiple of 16, train augmentation.

DeepLabV3+ needs sides divisible by its output stride (16); padded pixels get
:data:`~stylist.segmentation.modanet.IGNORE_INDEX` in the mask so they count for nothing.
Images come in as PIL RGB, masks as ``H x W`` uint8 arrays; outputs are a ``3 x H x W`` float
tensor in [0, 1] and a ``H x W`` long tensor.
"""

from __future__ import annotations

import math
import random
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from stylist.segmentation.modanet import IGNORE_INDEX

__all__ = ["MULTIPLE", "round_up", "resize_pair", "fit_pair", "pad_to_multiple", "EvalTransform", "TrainTransform"]

MULTIPLE = 16


def round_up(value: int, multiple: int = MULTIPLE) -> int:
    """The smallest multiple of ``multiple`` that is ``>= value``."""
    return int(math.ceil(value / multiple) * multiple)


def _scaled_size(width: int, height: int, long_side: float) -> tuple[int, int]:
    scale = long_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def resize_pair(image: Image.Image, mask: np.ndarray, long_side: float) -> tuple[Image.Image, np.ndarray]:
    """Resize so the longer side is ``long_side``: bilinear for the image, nearest for the mask."""
    size = _scaled_size(*image.size, long_side)
    image = image.resize(size, Image.BILINEAR)
    mask = np.asarray(Image.fromarray(mask).resize(size, Image.NEAREST))
    return image, mask


def fit_pair(image: Image.Image, mask: np.ndarray, size: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """Resize to fit inside ``size = (height, width)`` keeping the aspect ratio, then pad to it.

    Returns a ``3 x H x W`` image (padding 0) and a ``H x W`` long mask (padding ignored).
    """
    height, width = int(size[0]), int(size[1])
    scale = min(height / image.height, width / image.width)
    image, mask = resize_pair(image, mask, max(image.size) * scale)
    image_t, mask_t = _to_tensors(image, mask)
    h, w = image_t.shape[-2:]
    pad = (0, max(0, width - w), 0, max(0, height - h))
    return F.pad(image_t, pad)[:, :height, :width], F.pad(mask_t, pad, value=IGNORE_INDEX)[:height, :width]


def _to_tensors(image: Image.Image, mask: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    array = np.asarray(image, dtype=np.float32) / 255.0
    return torch.from_numpy(array).permute(2, 0, 1).contiguous(), torch.from_numpy(mask.astype(np.int64))


def pad_to_multiple(image: torch.Tensor, mask: torch.Tensor | None = None, multiple: int = MULTIPLE):
    """Pad ``... x H x W`` on the right and bottom to multiples of ``multiple`` (image 0, mask ignore)."""
    height, width = image.shape[-2:]
    pad = (0, round_up(width, multiple) - width, 0, round_up(height, multiple) - height)
    image = F.pad(image, pad)
    if mask is None:
        return image
    return image, F.pad(mask, pad, value=IGNORE_INDEX)


class EvalTransform:
    """Resize to ``long_side`` and pad to a multiple of 16 (deterministic)."""

    def __init__(self, long_side: int = 384) -> None:
        self.long_side = long_side

    def __call__(self, image: Image.Image, mask: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        return pad_to_multiple(*_to_tensors(*resize_pair(image, mask, self.long_side)))


class TrainTransform:
    """Random scale (of ``long_side``), random crop of ``crop_size`` (padded if needed), horizontal flip.

    Args:
        long_side: base size of the longer side before scaling.
        crop_size: ``(height, width)``, multiples of 16.
        scale_range: random factor on ``long_side``.
        flip: flip left-right with probability 0.5.
    """

    def __init__(
        self,
        long_side: int = 384,
        crop_size: Sequence[int] = (384, 256),
        scale_range: Sequence[float] = (0.75, 1.25),
        flip: bool = True,
    ) -> None:
        if any(int(c) % MULTIPLE for c in crop_size):
            raise ValueError(f"crop_size {tuple(crop_size)} must be multiples of {MULTIPLE}")
        self.long_side, self.crop_size = long_side, (int(crop_size[0]), int(crop_size[1]))
        self.scale_range, self.flip = tuple(scale_range), flip

    def __call__(self, image: Image.Image, mask: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        scale = random.uniform(*self.scale_range)
        image_t, mask_t = _to_tensors(*resize_pair(image, mask, self.long_side * scale))
        crop_h, crop_w = self.crop_size
        height, width = image_t.shape[-2:]
        pad = (0, max(0, crop_w - width), 0, max(0, crop_h - height))
        image_t, mask_t = F.pad(image_t, pad), F.pad(mask_t, pad, value=IGNORE_INDEX)
        top = random.randint(0, image_t.shape[-2] - crop_h)
        left = random.randint(0, image_t.shape[-1] - crop_w)
        image_t = image_t[:, top : top + crop_h, left : left + crop_w]
        mask_t = mask_t[top : top + crop_h, left : left + crop_w]
        if self.flip and random.random() < 0.5:
            image_t, mask_t = image_t.flip(-1), mask_t.flip(-1)
        return image_t.contiguous(), mask_t.contiguous()
