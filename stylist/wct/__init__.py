"""Universal style transfer via feature transforms (Li et al. 2017): any style image, no per-style
training. The content goes through the encoder and the whitening-colouring transform
(:mod:`stylist.wct.transforms`) at ``relu4_1`` and is decoded, then again at ``relu3_1``,
``relu2_1`` and ``relu1_1`` (coarse to fine), each level with its own trained decoder
(:mod:`stylist.wct.decoder`; shipped: ``wct_vgg16_decoders_unpool``, the default, and
``wct_vgg16_decoders``). Decoders that max-unpool through
the encoder's pooling switches (PhotoWCT, Li et al. 2018) get the switches of the image each level
encodes (:func:`encode`).

Example:
    >>> from stylist.image import load_image
    >>> out = stylize(load_image("astronaut", size=256), [load_image("starry_night", size=256)])  # doctest: +SKIP
"""

from __future__ import annotations

import functools
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from stylist.utils import StylistError, warn_if_slow_bf16
from stylist.wct.decoder import (
    WCTDecoder,
    WCTDecoders,
    encode,
    level_layer,
    load_decoders,
    load_named_decoders,
    save_decoders,
)
from stylist.wct.transforms import DEFAULT_EPS, DEFAULT_TRUNCATE, masked_wct, wct

__all__ = [
    "SHIPPED_DECODERS",
    "stylize",
    "stylize_regions",
    "load_shipped",
    "WCTDecoder",
    "WCTDecoders",
    "encode",
    "load_decoders",
    "save_decoders",
    "wct",
    "masked_wct",
]

#: Name of the shipped decoders in :mod:`stylist.models`.
SHIPPED_DECODERS = "wct_vgg16_decoders_unpool"


@functools.lru_cache(maxsize=4)
def load_shipped(name: str = SHIPPED_DECODERS) -> tuple[WCTDecoders, nn.Module]:
    """Decoders by shipped name (or ``.pt`` file) and the VGG16 encoder they were trained to invert
    (a shipped model records its weights as ``backbone_weights``, so ``auto`` never picks a
    mismatched encoder; a file is taken to invert the hed weights, as every decoder trained here).
    Cached: both are frozen, so callers share them."""
    from pathlib import Path

    from stylist.backbones import get_backbone
    from stylist.models import metadata

    weights = "hed" if Path(name).suffix == ".pt" else metadata(name).get("backbone_weights", "hed")
    return load_named_decoders(name), get_backbone("vgg16", weights=weights)


@torch.no_grad()
def stylize(
    content: torch.Tensor,
    styles: torch.Tensor | Sequence[torch.Tensor],
    *,
    alpha: float = 0.6,
    style_blend: Sequence[float] | None = None,
    masks: Sequence[torch.Tensor] | None = None,
    style_masks: Sequence[torch.Tensor | None] | None = None,
    decoders: WCTDecoders | str | None = None,
    encoder: nn.Module | None = None,
    levels: Sequence[int] = (4, 3, 2, 1),
    eps: float = DEFAULT_EPS,
    truncate: float = DEFAULT_TRUNCATE,
    bf16: bool = False,
) -> torch.Tensor:
    """Multi-level WCT, coarse to fine.

    Args:
        content: ``1 x 3 x H x W`` in [0, 1].
        styles: one ``1 x 3 x h x w`` image or a list (interpolated with ``style_blend``, or one per mask).
        alpha: content/style trade-off at every level (0: the decoders' reconstruction of the content).
        style_blend: weights of several styles (without masks).
        masks: ``1 x 1 x H x W`` masks, one per style: each region takes its style's statistics,
            features outside every region are left untouched (they are only re-decoded).
        style_masks: with ``masks``, ``1 x 1 x h x w`` masks of the style images (or ``None``): region
            ``i`` takes the statistics of style ``i`` inside ``style_masks[i]`` only.
        decoders: which decoders invert the features: :class:`WCTDecoders` (upsampling or unpooling),
            a shipped name (e.g. ``"wct_vgg16_decoders"``) or a ``.pt`` file; default
            :data:`SHIPPED_DECODERS`. Unpooling decoders unpool through the switches of the image
            each level encodes.
        encoder: the VGG16 the decoders invert; default the one recorded with named decoders.
        levels: the levels to run, in order.
        eps: covariance regulariser of the transforms.
        truncate: whitening drops eigen-directions below this fraction of the largest eigenvalue.
        bf16: run the encoder and decoders under bfloat16 autocast (the transforms stay float32):
            faster on CPUs with native bf16 (AVX512-BF16/AMX), slower elsewhere (a warning says so).

    Returns:
        ``1 x 3 x H x W`` in [0, 1].
    """
    styles = [styles] if isinstance(styles, torch.Tensor) else list(styles)
    if not 0.0 <= alpha <= 1.0:
        raise StylistError(f"alpha must be between 0 (the content) and 1 (the full transform), got {alpha}")
    if masks is not None and style_blend is not None:
        raise StylistError("give either masks (one style per region) or style_blend, not both")
    if style_masks is not None and masks is None:
        raise StylistError("style_masks need masks (one content mask per style)")
    if not levels:
        raise StylistError("levels: give at least one WCT level, coarse to fine, e.g. [4, 3, 2, 1]")
    if decoders is None or isinstance(decoders, str) or encoder is None:
        named = decoders if isinstance(decoders, str) else SHIPPED_DECODERS
        shipped_decoders, shipped_encoder = load_shipped(named)
        decoders = shipped_decoders if decoders is None or isinstance(decoders, str) else decoders
        encoder = encoder or shipped_encoder
    missing = [level for level in levels if level_layer(level) not in decoders]
    if missing:
        raise StylistError(f"no decoder for level(s) {missing}; available: {decoders.layers}")
    height, width = content.shape[-2:]
    pad = (0, -width % 8, 0, -height % 8)  # upsampling decoders need sides divisible by 8
    image = F.pad(content, pad, mode="replicate")
    if masks is not None:
        masks = [F.pad(F.interpolate(m.float(), size=(height, width), mode="nearest"), pad) for m in masks]
    if bf16:
        warn_if_slow_bf16("WCT")
    autocast = functools.partial(torch.autocast, content.device.type, dtype=torch.bfloat16, enabled=bf16)
    with autocast():  # every level's style features in one pass per style (the styles do not change)
        style_pyramids = [encoder(style, [level_layer(level) for level in levels]) for style in styles]
    for level in levels:
        layer = level_layer(level)
        with autocast():
            content_features, switches = encode(encoder, image, level)
        content_features = content_features.float()
        style_features = [pyramid[layer].float() for pyramid in style_pyramids]
        if masks is not None:
            transformed = masked_wct(
                content_features, style_features, masks, alpha=alpha, eps=eps, truncate=truncate, style_masks=style_masks
            )
        else:
            transformed = wct(
                content_features, style_features, alpha=alpha, style_blend=style_blend, eps=eps, truncate=truncate
            )
        with autocast():
            image = decoders[layer](transformed, switches).float().clamp(0, 1)
    return image[..., :height, :width]


def stylize_regions(
    photo: torch.Tensor,
    styles: Sequence[torch.Tensor],
    masks: Sequence[torch.Tensor],
    *,
    alpha: float = 1.0,
    decoders: WCTDecoders | str | None = None,
    encoder: nn.Module | None = None,
) -> torch.Tensor:
    """Arbitrary-style transfer inside regions (e.g. garments): :func:`stylize` with one style per
    ``1 x 1 x H x W`` mask. Outside the masks the result is the decoders' reconstruction of the
    photo; paste it back with :func:`stylist.fashion.core.composite` to keep those pixels exactly."""
    if len(styles) != len(masks):
        raise StylistError(f"{len(masks)} masks for {len(styles)} styles: give one mask per style")
    return stylize(photo, list(styles), alpha=alpha, masks=list(masks), decoders=decoders, encoder=encoder)
