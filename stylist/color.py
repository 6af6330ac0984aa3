"""Colour spaces and colour transfer shared by the methods, the fashion pipeline and the benchmarks:
RGB <-> YIQ (channel 0 is the luminance ``Y = 0.299 R + 0.587 G + 0.114 B``; ``I``, ``Q`` carry the
colour), RGB <-> CIELAB, and Lab colour transfer (global or per region).

CIE Lab conversion and colour-statistics transfers: the photorealistic baseline and a start for
Deep Photo Style Transfer.

:func:`match_lab_statistics` (Reinhard et al., "Color transfer between images", 2001, in CIE Lab
rather than their l-alpha-beta space): every Lab channel ``x`` of the content becomes
``(x - mean_c) / std_c * std_s + mean_s`` with the style's mean and standard deviation; with
regions, each region takes the statistics of its matched style region.
:func:`match_lab_histograms` matches each channel's whole distribution (quantile mapping) instead.

Example:
    >>> out = match_lab_statistics(torch.rand(1, 3, 16, 16), torch.rand(1, 3, 8, 8))
    >>> out.shape
    torch.Size([1, 3, 16, 16])

Example:
    >>> x = torch.rand(1, 3, 4, 4)
    >>> torch.allclose(yiq_to_rgb(rgb_to_yiq(x)), x, atol=1e-5)
    True
"""

from __future__ import annotations

import warnings
from typing import Callable, Sequence

import numpy as np
import torch
from skimage import color

from stylist.utils import StylistError

__all__ = ["rgb_to_yiq", "yiq_to_rgb", "rgb_to_lab", "lab_to_rgb", "match_lab_statistics", "match_lab_histograms"]

_RGB_TO_YIQ = torch.tensor([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])


def rgb_to_yiq(image: torch.Tensor) -> torch.Tensor:
    """``B x 3 x H x W`` RGB to YIQ (channel 0 is luminance)."""
    return torch.einsum("ij,bjhw->bihw", _RGB_TO_YIQ.to(image), image)


def yiq_to_rgb(image: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`rgb_to_yiq`."""
    return torch.einsum("ij,bjhw->bihw", torch.linalg.inv(_RGB_TO_YIQ).to(image), image)

def rgb_to_lab(image: torch.Tensor) -> np.ndarray:
    """``1 x 3 x H x W`` RGB in [0, 1] to an ``H x W x 3`` float64 CIE Lab array (D65)."""
    return color.rgb2lab(image[0].detach().permute(1, 2, 0).double().clamp(0, 1).cpu().numpy())


def lab_to_rgb(lab: np.ndarray) -> torch.Tensor:
    """Inverse of :func:`rgb_to_lab`: ``H x W x 3`` Lab to ``1 x 3 x H x W`` float32 RGB in [0, 1]."""
    with warnings.catch_warnings():  # out-of-gamut Lab values are clipped below, as the warning says
        warnings.simplefilter("ignore", UserWarning)
        rgb = np.clip(color.lab2rgb(lab), 0, 1)
    return torch.from_numpy(rgb).permute(2, 0, 1)[None].float().contiguous()


def _per_region(
    content: torch.Tensor,
    style: torch.Tensor,
    masks: Sequence[torch.Tensor] | None,
    style_masks: Sequence[torch.Tensor] | None,
    transfer: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> torch.Tensor:
    """Apply ``transfer(content_lab_pixels, style_lab_pixels) -> new content pixels`` globally or per
    region pair; pixels in no region keep their colour."""
    lab_c, lab_s = rgb_to_lab(content), rgb_to_lab(style)
    if masks is None:
        regions = [(np.ones(lab_c.shape[:2], bool), np.ones(lab_s.shape[:2], bool))]
    else:
        if style_masks is None or len(style_masks) != len(masks):
            raise StylistError("regional colour transfer needs one style mask per content mask")
        regions = [(m[0, 0].cpu().numpy() > 0.5, s[0, 0].cpu().numpy() > 0.5) for m, s in zip(masks, style_masks)]
    out = lab_c.copy()
    for inside_c, inside_s in regions:
        if inside_c.any() and inside_s.any():
            out[inside_c] = transfer(lab_c[inside_c], lab_s[inside_s])
    return lab_to_rgb(out)


def _statistics(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    return (source - source.mean(0)) / (source.std(0) + 1e-6) * target.std(0) + target.mean(0)


def _histograms(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    quantiles = (np.argsort(np.argsort(source, axis=0, kind="stable"), axis=0) + 0.5) / len(source)
    return np.stack([np.quantile(target[:, k], quantiles[:, k]) for k in range(source.shape[1])], axis=1)


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
    return _per_region(content, style, masks, style_masks, _statistics)


def match_lab_histograms(
    content: torch.Tensor,
    style: torch.Tensor,
    masks: Sequence[torch.Tensor] | None = None,
    style_masks: Sequence[torch.Tensor] | None = None,
) -> torch.Tensor:
    """Like :func:`match_lab_statistics`, but each Lab channel gets the style's whole distribution:
    the pixel of rank ``q`` (as a fraction) takes the style's ``q``-quantile (per channel, per region)."""
    return _per_region(content, style, masks, style_masks, _histograms)
