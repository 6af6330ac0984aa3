"""The stylisation step of :func:`stylist.fashion.restyle`, one factory per method.

Each factory returns ``stylise(photo, style, masks) -> image`` (see :data:`stylist.fashion.core.Stylise`).
"""

from __future__ import annotations

from typing import Any

import torch

from stylist.fashion.core import Stylise

__all__ = ["johnson_stylise", "gatys_stylise", "wct_stylise"]


def johnson_stylise(tile_size: int | None = None) -> Stylise:
    """Johnson et al.: ``style`` names a shipped model (or a checkpoint path); the network runs once
    on the whole photo and the compositing keeps only the parts. Models are loaded once."""
    from stylist.johnson import load_transformer, stylize_image

    models: dict[str, torch.nn.Module] = {}

    def stylise(photo: torch.Tensor, style: str, masks: list[torch.Tensor]) -> torch.Tensor:
        if style not in models:
            models[style] = load_transformer(style)
        return stylize_image(models[style], photo, tile_size=tile_size)

    return stylise


def gatys_stylise(
    iterations: int = 150, style_size: int | None = None, weights: str = "auto", **options: Any
) -> Stylise:
    """Gatys et al. with guided Gram matrices: the style statistics are those of the chosen parts
    only (``masks``), the rest of the image is held by the content loss alone and restored exactly
    by the compositing. ``style`` is an image (path or known name); ``weights`` picks the VGG16
    weights (see :func:`stylist.backbones.get_backbone`); ``options`` go to
    :func:`stylist.gatys.stylize` (weights, layers, optimizer, ...). The encoder is built once."""
    from stylist.backbones import get_backbone
    from stylist.gatys import stylize
    from stylist.image import load_image

    encoder: list[torch.nn.Module] = []

    def stylise(photo: torch.Tensor, style: str, masks: list[torch.Tensor]) -> torch.Tensor:
        if not encoder:
            encoder.append(get_backbone("vgg16", weights=weights))
        style_image = load_image(style, size=style_size or max(photo.shape[-2:]))
        region = torch.stack(masks).amax(dim=0)
        return stylize(
            photo, style_image, masks=[region], iterations=iterations, encoder=encoder[0], **options
        ).image

    return stylise


def wct_stylise(alpha: float = 0.8, style_size: int | None = None, decoders: str = "wct_vgg16_decoders") -> Stylise:
    """Universal style transfer with masked WCT: the chosen parts' features take the statistics of
    ``style`` (an image path or known name), every other feature is left untouched, and the
    compositing keeps the pixels outside the parts exactly. ``alpha``: style strength at every
    level; ``decoders``: a shipped decoder set. Decoders and encoder are loaded once."""
    from stylist.image import load_image
    from stylist.wct import load_shipped, stylize_regions

    loaded: list[Any] = []

    def stylise(photo: torch.Tensor, style: str, masks: list[torch.Tensor]) -> torch.Tensor:
        if not loaded:
            loaded.extend(load_shipped(decoders))
        style_image = load_image(style, size=style_size or max(photo.shape[-2:]))
        region = torch.stack(masks).amax(dim=0)
        return stylize_regions(photo, [style_image], [region], alpha=alpha, decoders=loaded[0], encoder=loaded[1])

    return stylise
