"""Measures of a stylised image, computed with one fixed VGG16 so that methods can be compared.

* :func:`style_distance`: ``(1/L) sum_l mean((G_m(F_l(x)) - G(F_l(s)))^2)``, the Gram distance
  between an image ``x`` (optionally only inside a mask ``m``) and a style image ``s``, over the
  style layers ``l`` (Gram normalisation as in :func:`stylist.losses.gram_matrix`);
* :func:`content_distance`: ``mean((F(x) - F(c))^2)`` at the content layer;
* :func:`transfer_scores`: the scale-free pair of issue 14, on the three images resized to
  ``size`` = 256 px long side:

  - ``style_ratio = sum_l |G_l(x) - G_l(s)|^2 / sum_l |G_l(c) - G_l(s)|^2`` over relu1_2, relu2_2,
    relu3_3 and relu4_3 with ``G = F F^T / (C H W)`` (0: the style's statistics; 1: as far from the
    style as the content itself);
  - ``content_ratio = |F(x) - F(c)|^2 / |F(c)|^2`` at relu3_3 (0: the content's features).
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from stylist.gatys import DEFAULT_STYLE_LAYERS
from stylist.losses import gram_matrix

__all__ = ["style_distance", "content_distance", "transfer_scores", "RATIO_STYLE_LAYERS", "RATIO_CONTENT_LAYER"]

#: Layers of :func:`transfer_scores`.
RATIO_STYLE_LAYERS = ("relu1_2", "relu2_2", "relu3_3", "relu4_3")
RATIO_CONTENT_LAYER = "relu3_3"


@torch.no_grad()
def style_distance(
    encoder: nn.Module,
    image: torch.Tensor,
    style: torch.Tensor,
    mask: torch.Tensor | None = None,
    layers: Sequence[str] = DEFAULT_STYLE_LAYERS,
) -> float:
    """Gram distance of ``image`` (inside ``mask``, ``1 x 1 x H x W``, if given) to ``style``."""
    image_features, style_features = encoder(image, list(layers)), encoder(style, list(layers))
    distances = [
        F.mse_loss(gram_matrix(image_features[name], mask), gram_matrix(style_features[name])) for name in layers
    ]
    return float(torch.stack(distances).mean())


@torch.no_grad()
def content_distance(encoder: nn.Module, image: torch.Tensor, content: torch.Tensor, layer: str = "relu4_2") -> float:
    """Feature reconstruction distance of ``image`` to ``content`` at ``layer``."""
    return float(F.mse_loss(encoder(image, [layer])[layer], encoder(content, [layer])[layer]))


def _long_side(image: torch.Tensor, size: int) -> torch.Tensor:
    scale = size / max(image.shape[-2:])
    if scale == 1:
        return image
    shape = [max(1, round(side * scale)) for side in image.shape[-2:]]
    return F.interpolate(image, size=shape, mode="bilinear", antialias=scale < 1, align_corners=False).clamp(0, 1)


@torch.no_grad()
def transfer_scores(
    encoder: nn.Module, image: torch.Tensor, content: torch.Tensor, style: torch.Tensor, size: int = 256
) -> dict[str, float]:
    """``{"style_ratio", "content_ratio"}`` of a stylised ``image`` (see the module docstring): all
    three ``1 x 3 x H x W`` images go to ``size`` px long side first (the output and the content at the
    output's size, so their features align position by position)."""
    image, style = _long_side(image, size), _long_side(style, size)
    content = F.interpolate(content, size=image.shape[-2:], mode="bilinear", antialias=True, align_corners=False)
    layers = list(RATIO_STYLE_LAYERS)
    features = {name: encoder(x, layers) for name, x in (("out", image), ("content", content), ("style", style))}
    grams = {name: [gram_matrix(f[layer]) for layer in layers] for name, f in features.items()}
    to_style = lambda name: sum(float((g - s).pow(2).sum()) for g, s in zip(grams[name], grams["style"]))  # noqa: E731
    out_c, content_c = features["out"][RATIO_CONTENT_LAYER], features["content"][RATIO_CONTENT_LAYER]
    return {
        "style_ratio": to_style("out") / max(to_style("content"), 1e-30),
        "content_ratio": float((out_c - content_c).pow(2).sum() / content_c.pow(2).sum().clamp_min(1e-30)),
    }
