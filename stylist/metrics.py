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

Photorealistic transfer (no network):

* :func:`color_ratio`: ``W(x, s) / W(c, s)``, with ``W`` the mean over the CIE L, a, b channels of
  the 1-D Wasserstein distance between two images' pixel-value distributions (0: the output has
  the style's colours, 1: no colour transfer);
* :func:`semantic_color_ratio`: the same ratio per matched region pair (content region ``c_r``,
  style region ``s_r``), averaged with weights ``|c_r|`` (content region areas);
* :func:`structure_similarity`: mean over 7x7 Gaussian windows (sigma 1.5) of SSIM's structure
  term ``(sigma_xy + C3) / (sigma_x sigma_y + C3)``, ``C3 = (0.03 * 255)^2 / 2``, between the grey
  levels (0-255) of output and content.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage, stats
from torch import nn

from stylist.color import rgb_to_lab
from stylist.losses import DEFAULT_STYLE_LAYERS, gram_matrix
from stylist.utils import StylistError

__all__ = [
    "style_distance", "content_distance", "transfer_scores", "style_ratio_terms", "RATIO_STYLE_LAYERS", "RATIO_CONTENT_LAYER",
    "lab_wasserstein", "color_ratio", "semantic_color_ratio", "structure_similarity",
]  # fmt: skip

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


def _ratio_features(
    encoder: nn.Module, image: torch.Tensor, content: torch.Tensor, style: torch.Tensor, size: int
) -> dict[str, dict[str, torch.Tensor]]:
    """Features of the measure's layers for ``out``/``content``/``style``: all three at ``size`` px long
    side (the output and the content at the output's size, so their features align position by position)."""
    image, style = _long_side(image, size), _long_side(style, size)
    content = F.interpolate(content, size=image.shape[-2:], mode="bilinear", antialias=True, align_corners=False)
    layers = list(dict.fromkeys([*RATIO_STYLE_LAYERS, RATIO_CONTENT_LAYER]))
    return {name: encoder(x, layers) for name, x in (("out", image), ("content", content), ("style", style))}


def _gram_terms(features: dict[str, dict[str, torch.Tensor]]) -> dict[str, dict[str, float]]:
    """``{layer: {"out": |G_l(x) - G_l(s)|^2, "content": |G_l(c) - G_l(s)|^2}}`` over :data:`RATIO_STYLE_LAYERS`."""
    terms = {}
    for layer in RATIO_STYLE_LAYERS:
        style = gram_matrix(features["style"][layer])
        terms[layer] = {name: float((gram_matrix(features[name][layer]) - style).pow(2).sum()) for name in ("out", "content")}
    return terms


@torch.no_grad()
def transfer_scores(
    encoder: nn.Module, image: torch.Tensor, content: torch.Tensor, style: torch.Tensor, size: int = 256
) -> dict[str, float]:
    """``{"style_ratio", "content_ratio"}`` of a stylised ``image`` (see the module docstring): all
    three ``1 x 3 x H x W`` images go to ``size`` px long side first (the output and the content at the
    output's size, so their features align position by position)."""
    features = _ratio_features(encoder, image, content, style, size)
    terms = _gram_terms(features).values()
    out_c, content_c = features["out"][RATIO_CONTENT_LAYER], features["content"][RATIO_CONTENT_LAYER]
    return {
        "style_ratio": sum(t["out"] for t in terms) / max(sum(t["content"] for t in terms), 1e-30),
        "content_ratio": float((out_c - content_c).pow(2).sum() / content_c.pow(2).sum().clamp_min(1e-30)),
    }


@torch.no_grad()
def style_ratio_terms(
    encoder: nn.Module, image: torch.Tensor, content: torch.Tensor, style: torch.Tensor, size: int = 256
) -> dict[str, dict[str, float]]:
    """The style ratio of :func:`transfer_scores` split by layer: ``{layer: {"out": |G_l(x) - G_l(s)|^2,
    "content": |G_l(c) - G_l(s)|^2}}``; ``style_ratio = sum_l out_l / sum_l content_l``. Shows which
    layer's Gram matrix a method leaves far from the style (on the Caffe 0-255 scale relu1_2 dominates)."""
    return _gram_terms(_ratio_features(encoder, image, content, style, size))


def lab_wasserstein(a: np.ndarray, b: np.ndarray) -> float:
    """``W``: mean over the 3 channels of the 1-D Wasserstein distance between ``n x 3`` and
    ``m x 3`` Lab pixel arrays."""
    return float(np.mean([stats.wasserstein_distance(a[:, k], b[:, k]) for k in range(3)]))


def color_ratio(output: torch.Tensor, content: torch.Tensor, style: torch.Tensor) -> float:
    """``W(output, style) / W(content, style)`` for ``1 x 3 x H x W`` images (see module docstring)."""
    return semantic_color_ratio(output, content, style, [torch.ones_like(content[:, :1])], [torch.ones_like(style[:, :1])])


def semantic_color_ratio(
    output: torch.Tensor,
    content: torch.Tensor,
    style: torch.Tensor,
    masks: Sequence[torch.Tensor],
    style_masks: Sequence[torch.Tensor],
) -> float:
    """``sum_r |c_r| W(output_r, s_r) / W(c_r, s_r) / sum_r |c_r|`` over region pairs (content masks
    ``1 x 1 x H x W``, style masks ``1 x 1 x h x w``, inside where > 0.5). Pairs that are empty on
    either side, or whose content already has the style's colours (``W(c_r, s_r) = 0``), are skipped;
    no usable pair is an error."""
    if len(masks) != len(style_masks):
        raise StylistError(f"{len(masks)} content regions for {len(style_masks)} style regions")
    lab_o, lab_c, lab_s = rgb_to_lab(output), rgb_to_lab(content), rgb_to_lab(style)
    ratios, areas = [], []
    for mask, style_mask in zip(masks, style_masks):
        inside_c, inside_s = mask[0, 0].cpu().numpy() > 0.5, style_mask[0, 0].cpu().numpy() > 0.5
        if not inside_c.any() or not inside_s.any():
            continue
        before = lab_wasserstein(lab_c[inside_c], lab_s[inside_s])
        if before == 0:
            continue
        ratios.append(lab_wasserstein(lab_o[inside_c], lab_s[inside_s]) / before)
        areas.append(int(inside_c.sum()))
    if not ratios:
        raise StylistError("no region pair is non-empty in both images")
    return float(np.average(ratios, weights=areas))


def structure_similarity(output: torch.Tensor, content: torch.Tensor, sigma: float = 1.5, window: int = 7) -> float:
    """Mean SSIM structure term between the grey levels of two ``1 x 3 x H x W`` images (see the
    module docstring); Gaussian windows of ``window`` px (truncated at ``(window - 1) / 2``)."""
    if output.shape != content.shape:
        raise StylistError(f"output {tuple(output.shape)} and content {tuple(content.shape)} differ in size")
    weights = torch.tensor([0.299, 0.587, 0.114], dtype=torch.float64).view(1, 3, 1, 1)
    grey = lambda x: (x.detach().double().clamp(0, 1).cpu() * weights).sum(1)[0].numpy() * 255.0  # noqa: E731
    x, y = grey(output), grey(content)
    blur = lambda v: ndimage.gaussian_filter(v, sigma, truncate=(window - 1) / 2 / sigma, mode="reflect")  # noqa: E731
    mu_x, mu_y = blur(x), blur(y)
    var_x = np.maximum(blur(x * x) - mu_x**2, 0)
    var_y = np.maximum(blur(y * y) - mu_y**2, 0)
    cov = blur(x * y) - mu_x * mu_y
    c3 = (0.03 * 255) ** 2 / 2
    return float(np.mean((cov + c3) / (np.sqrt(var_x * var_y) + c3)))
