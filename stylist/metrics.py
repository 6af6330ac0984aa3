"""Measures of a stylised image, computed with one fixed VGG16 so that methods can be compared.

* :func:`style_distance`: ``(1/L) sum_l mean((G_m(F_l(x)) - G(F_l(s)))^2)``, the Gram distance
  between an image ``x`` (optionally only inside a mask ``m``) and a style image ``s``, over the
  style layers ``l`` (Gram normalisation as in :func:`stylist.losses.gram_matrix`);
* :func:`content_distance`: ``mean((F(x) - F(c))^2)`` at the content layer.
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from stylist.losses import DEFAULT_STYLE_LAYERS, gram_matrix

__all__ = ["style_distance", "content_distance"]


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
