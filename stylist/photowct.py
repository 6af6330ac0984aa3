"""FastPhotoStyle (Li et al., "A closed-form solution to photorealistic image stylization",
ECCV 2018): PhotoWCT, then closed-form smoothing.

1. **PhotoWCT** (:func:`stylist.wct.stylize`, full transform ``alpha = 1``): whitening-colouring at
   ``relu4_1`` ... ``relu1_1``, coarse to fine, each level decoded by a decoder that max-unpools
   through the encoder's own pooling switches, so edges come back where they were. Regions
   (label maps, segmenter classes, masks) transform each content region with the statistics of
   its matched style region.
2. **Smoothing** (:func:`stylist.matting.affine_smooth`): ``(I + lambda L) r = y`` with ``L`` the
   matting Laplacian of the content, which keeps what is locally an affine function of the content's
   colours and smooths the rest along the content's edges.

Deviations, both for speed on CPUs (the reference solves the full-resolution system on a GPU): the
system is solved at ``smooth_size`` px (longest side) by preconditioned conjugate gradients, and the
result is brought back to full resolution as a local affine function of the full-resolution content
(:func:`stylist.matting.local_affine_filter` with ``full_guide``), so no content edge is lost. The
matting affinity is used unnormalised (see :func:`~stylist.matting.affine_smooth`).

Example:
    >>> from stylist.image import load_image
    >>> out = stylize(load_image("golden_gate", size=512), load_image("hoovertowernight", size=512))  # doctest: +SKIP
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Sequence

import torch
from torch import nn

from stylist.image import resize_longest
from stylist.matting import affine_smooth, local_affine_filter
from stylist.utils import StylistError

__all__ = ["PhotoWCTResult", "stylize", "smooth"]


@dataclass
class PhotoWCTResult:
    """``image`` (``1 x 3 x H x W`` in [0, 1]), the PhotoWCT output before smoothing, and seconds per stage."""

    image: torch.Tensor
    unsmoothed: torch.Tensor
    seconds: dict[str, float] = field(default_factory=dict)


def smooth(
    image: torch.Tensor,
    content: torch.Tensor,
    *,
    weight: float = 30.0,
    size: int | None = 256,
    radius: int = 2,
    eps: float = 1e-3,
) -> torch.Tensor:
    """Closed-form smoothing of a stylised ``image`` against ``content`` (both ``1 x 3 x H x W``):
    :func:`~stylist.matting.affine_smooth` at ``size`` px (longest side; ``None``: full size), then
    :func:`~stylist.matting.local_affine_filter` (``radius`` px at the solve size, ridge ``eps``), which
    also brings a smaller solve back to full size. Returns ``1 x 3 x H x W`` in [0, 1]."""
    if image.shape != content.shape:
        image = torch.nn.functional.interpolate(image, size=content.shape[-2:], mode="bilinear", align_corners=False)
    if size is None or max(content.shape[-2:]) <= size:
        return local_affine_filter(affine_smooth(image, content, weight=weight), content, radius=radius, eps=eps).clamp(0, 1)
    small_content = resize_longest(content, size)
    solved = affine_smooth(resize_longest(image, size), small_content, weight=weight)
    return local_affine_filter(solved, small_content, radius=radius, eps=eps, full_guide=content).clamp(0, 1)


def stylize(
    content: torch.Tensor,
    style: torch.Tensor | Sequence[torch.Tensor],
    *,
    masks: Sequence[torch.Tensor] | None = None,
    style_masks: Sequence[torch.Tensor | None] | None = None,
    decoders: str | nn.Module = "wct_vgg16_decoders",
    encoder: nn.Module | None = None,
    alpha: float = 1.0,
    levels: Sequence[int] = (2, 1),
    smooth_weight: float = 30.0,
    smooth_size: int | None = 256,
    filter_radius: int = 2,
    filter_eps: float = 1e-3,
) -> PhotoWCTResult:
    """PhotoWCT + smoothing (see the module docstring).

    Args:
        content: ``1 x 3 x H x W`` photo in [0, 1].
        style: one ``1 x 3 x h x w`` photo, or one per region.
        masks, style_masks: region ``i`` of the content (``1 x 1 x H x W``) takes the statistics of
            style ``i`` inside ``style_masks[i]`` (``1 x 1 x h x w``, or ``None`` for all of it).
        decoders: unpooling decoders (a shipped name, a ``.pt`` file or a
            :class:`~stylist.wct.WCTDecoders`); upsampling decoders also work, with softer edges.
        encoder: the VGG16 the decoders invert (default: the one recorded with named decoders).
        alpha: WCT blend at every level (1: the paper's full transform).
        levels: WCT levels, coarse to fine (the paper: 4, 3, 2, 1; see the module docstring).
        smooth_weight: ``lambda`` of the smoothing system at ``smooth_size`` px (0: no smoothing).
        smooth_size, filter_radius, filter_eps: see :func:`smooth`.

    Returns:
        :class:`PhotoWCTResult`.
    """
    from stylist.wct import stylize as wct_stylize

    styles = [style] if isinstance(style, torch.Tensor) else list(style)
    if not smooth_weight >= 0:
        raise StylistError(f"smooth_weight must be >= 0 (0: no smoothing), got {smooth_weight}")
    if not filter_eps > 0 or filter_radius < 1:
        raise StylistError(f"filter_radius must be >= 1 and filter_eps > 0, got {filter_radius} and {filter_eps}")
    if smooth_size is not None and smooth_size < 16:
        raise StylistError(f"smooth_size must be at least 16 px (or null: full size), got {smooth_size}")
    if masks is None and len(styles) != 1:
        raise StylistError("several styles need masks, one per style (photowct does not blend styles)")
    began = time.perf_counter()
    stylised = wct_stylize(
        content, styles, alpha=alpha, masks=masks, style_masks=style_masks, decoders=decoders, encoder=encoder,
        levels=levels,
    )  # fmt: skip
    seconds = {"photowct": time.perf_counter() - began}
    image = stylised
    if smooth_weight > 0:
        began = time.perf_counter()
        image = smooth(stylised, content, weight=smooth_weight, size=smooth_size, radius=filter_radius, eps=filter_eps)
        seconds["smoothing"] = time.perf_counter() - began
    return PhotoWCTResult(image=image, unsmoothed=stylised, seconds=seconds)
