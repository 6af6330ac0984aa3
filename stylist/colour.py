"""CIE Lab conversion and the global colour-statistics transfer used as the photorealistic baseline.

:func:`match_lab_statistics` (Reinhard et al., "Color transfer between images", 2001, in CIE Lab
rather than their l-alpha-beta space): every Lab channel ``x`` of the content becomes
``(x - mean_c) / std_c * std_s + mean_s`` with the style's mean and standard deviation; with
regions, each region takes the statistics of its matched style region.

Example:
    >>> out = match_lab_statistics(torch.rand(1, 3, 16, 16), torch.rand(1, 3, 8, 8))
    >>> out.shape
    torch.Size([1, 3, 16, 16])
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from skimage import color

from stylist.utils import StylistError

__all__ = ["rgb_to_lab", "lab_to_rgb", "match_lab_statistics"]


def rgb_to_lab(image: torch.Tensor) -> np.ndarray:
    """``1 x 3 x H x W`` RGB in [0, 1] to an ``H x W x 3`` float64 CIE Lab array (D65)."""
    return color.rgb2lab(image[0].detach().permute(1, 2, 0).double().clamp(0, 1).cpu().numpy())


def lab_to_rgb(lab: np.ndarray) -> torch.Tensor:
    """Inverse of :func:`rgb_to_lab`: ``H x W x 3`` Lab to ``1 x 3 x H x W`` float32 RGB in [0, 1]."""
    rgb = np.clip(color.lab2rgb(lab), 0, 1)
    return torch.from_numpy(rgb).permute(2, 0, 1)[None].float().contiguous()


def match_lab_statistics(
    content: torch.Tensor,
    style: torch.Tensor,
    masks: Sequence[torch.Tensor] | None = None,
    style_masks: Sequence[torch.Tensor] | None = None,
) -> torch.Tensor:
    """Give ``content`` (``1 x 3 x H x W``) the Lab mean and standard deviation of ``style``
    (``1 x 3 x h x w``), globally or per region (``masks[i]`` of the content, ``1 x 1 x H x W``,
    takes the statistics of ``style_masks[i]``, ``1 x 1 x h x w``; pixels in no region keep their
    colour). Returns ``1 x 3 x H x W`` in [0, 1]."""
    lab_c, lab_s = rgb_to_lab(content), rgb_to_lab(style)
    if masks is None:
        regions = [(np.ones(lab_c.shape[:2], bool), np.ones(lab_s.shape[:2], bool))]
    else:
        if style_masks is None or len(style_masks) != len(masks):
            raise StylistError("regional Lab transfer needs one style mask per content mask")
        regions = [(m[0, 0].numpy() > 0.5, s[0, 0].numpy() > 0.5) for m, s in zip(masks, style_masks)]
    out = lab_c.copy()
    for inside_c, inside_s in regions:
        if not inside_c.any() or not inside_s.any():
            continue
        source, target = lab_c[inside_c], lab_s[inside_s]
        out[inside_c] = (source - source.mean(0)) / (source.std(0) + 1e-6) * target.std(0) + target.mean(0)
    return lab_to_rgb(out)
