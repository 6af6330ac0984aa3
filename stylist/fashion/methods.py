"""The stylisation step of :func:`stylist.fashion.restyle`, built from any method of
:data:`stylist.methods.METHODS` (the same ``conf/method/*.yaml`` configs as ``python -m stylist.stylize``).
"""

from __future__ import annotations

from functools import partial
from typing import Any, Callable, Mapping

import torch
from torch import nn

from stylist.fashion.core import Stylise
from stylist.image import load_image
from stylist.johnson import load_transformer
from stylist.methods import MethodResult

__all__ = ["method_stylise"]


def takes_model(method: Callable[..., MethodResult]) -> bool:
    """Whether a configured method stylises with a trained per-style model (a ``model`` option,
    like Johnson's) rather than with a style image."""
    return isinstance(method, partial) and "model" in method.keywords


def method_stylise(
    method: Callable[..., MethodResult],
    backbone: Callable[[], nn.Module] | None = None,
    loss: Mapping[str, Any] | None = None,
    style_size: int | None = None,
    seed: int = 0,
    progress: bool = True,
) -> Stylise:
    """``stylise(photo, style, masks)`` for :func:`stylist.fashion.restyle`.

    * A method with a trained model (Johnson): ``style`` names the model (shipped name or
      checkpoint); it runs once on the whole photo and the compositing keeps only the parts.
    * Any other method (Gatys, WCT): ``style`` is an image (path or known name), loaded at
      ``style_size`` (default: the photo's longest side), and the union of the part ``masks``
      is passed as the method's region mask: Gatys matches guided Gram matrices computed inside
      the parts only, WCT transforms the parts' features only.

    Models, the encoder and style images are loaded once, on first use, and kept (a stream of frames
    pays for them once).
    """
    encoder: list[nn.Module] = []
    models: dict[str, nn.Module] = {}  # trained models by style, loaded once
    style_images: dict[tuple[str, int], torch.Tensor] = {}  # style images by (style, size), read once

    def shared_backbone() -> nn.Module:
        if not encoder and backbone is not None:
            encoder.append(backbone())
        return encoder[0]

    def stylise(photo: torch.Tensor, style: str, masks: list[torch.Tensor]) -> torch.Tensor:
        if takes_model(method):
            if style not in models:
                models[style] = load_transformer(style, compile=method.keywords.get("compile", False))
            return method(photo, None, model=models[style], seed=seed, progress=progress).image
        key = (style, style_size or max(photo.shape[-2:]))
        if key not in style_images:
            style_images[key] = load_image(style, size=key[1])
        style_image = style_images[key]
        region = torch.stack(masks).amax(dim=0)
        return method(
            photo,
            [style_image],
            masks=[region],
            seed=seed,
            progress=progress,
            backbone=shared_backbone if backbone is not None else None,
            loss=loss,
        ).image

    return stylise
