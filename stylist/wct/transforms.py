"""Whitening and colouring transforms on feature maps (Li et al. 2017, Sec. 3.1).

For content features ``f_c`` (``C x N``, centred: ``f_c - m_c``) and style features ``f_s``
(``C x M``), with covariances ``S = f f^T / (N - 1) + eps I = E D E^T`` (the ``C x N`` products in
the features' dtype, at least float32; the ``C x C`` eigendecomposition in float64):

* whitening: ``w = E_c D_c^{-1/2} E_c^T (f_c - m_c)``, so ``w w^T / (N - 1) ~ I``;
* colouring: ``g = E_s D_s^{1/2} E_s^T w + m_s``, so ``g`` has the style's mean and covariance;
* blend: ``alpha g + (1 - alpha) f_c``.

``eps`` keeps flat (constant) features finite: their whitened value is 0 and their coloured value
the style mean, never NaN. Several styles are interpolated as ``sum_i b_i g_i`` (the paper's
style interpolation). :func:`masked_wct` transforms each region's positions with its own
statistics and leaves every other position exactly as it was.
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

from stylist.utils import StylistError, normalised_weights

__all__ = ["feature_stats", "whiten", "color", "wct", "masked_wct", "DEFAULT_EPS", "DEFAULT_TRUNCATE"]

DEFAULT_EPS = 1e-5
DEFAULT_TRUNCATE = 1e-3


def _compute_dtype(features: torch.Tensor) -> torch.dtype:
    """The dtype of the ``C x N`` products: the features' own, at least float32 (float64 input stays
    float64; float32 halves the time of the transforms at 512 px and changes an output image by
    less than 1e-4)."""
    return torch.promote_types(features.dtype, torch.float32)


def _covariance_root(centred: torch.Tensor, eps: float, power: float, truncate: float = 0.0) -> torch.Tensor:
    """``S^power`` of ``S = x x^T / (n - 1) + eps I`` for ``C x n`` ``x`` (``x x^T`` in ``x``'s dtype,
    eigh in float64, clamped); returned in ``x``'s dtype.

    With ``truncate > 0``, eigen-directions whose eigenvalue is below ``truncate`` times the largest
    are dropped (their factor is 0), as in Li et al.'s whitening: they carry noise, which a negative
    power would amplify."""
    n = max(centred.shape[1] - 1, 1)
    cov = (centred @ centred.T).double() / n
    cov = cov + eps * torch.eye(centred.shape[0], dtype=cov.dtype, device=cov.device)
    values, vectors = torch.linalg.eigh(cov)
    values = values.clamp_min(eps)
    factors = values.pow(power)
    if truncate > 0:
        factors = torch.where(values >= truncate * values.max(), factors, torch.zeros_like(factors))
    return ((vectors * factors) @ vectors.T).to(centred.dtype)


def feature_stats(features: torch.Tensor, eps: float = DEFAULT_EPS) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean ``C x 1`` and covariance square root ``C x C`` of ``C x N`` features (in the features'
    dtype, at least float32)."""
    x = features.to(_compute_dtype(features))
    mean = x.mean(dim=1, keepdim=True)
    return mean, _covariance_root(x - mean, eps, 0.5)


def whiten(features: torch.Tensor, eps: float = DEFAULT_EPS, truncate: float = 0.0) -> torch.Tensor:
    """``C x N`` features to zero mean and (about) identity covariance; ``truncate``:
    relative eigenvalue below which directions are dropped (then the covariance is the identity on
    the kept directions only). Computed in the features' dtype, at least float32."""
    x = features.to(_compute_dtype(features))
    centred = x - x.mean(dim=1, keepdim=True)
    return _covariance_root(centred, eps, -0.5, truncate) @ centred


def color(whitened: torch.Tensor, mean: torch.Tensor, root: torch.Tensor) -> torch.Tensor:
    """Give whitened ``C x N`` features the covariance ``root @ root`` and mean ``mean``."""
    return root @ whitened + mean


def _transform(
    content: torch.Tensor,
    styles: Sequence[torch.Tensor],
    blend: Sequence[float],
    alpha: float,
    eps: float,
    truncate: float,
) -> torch.Tensor:
    """WCT of ``C x N`` content with ``C x M_i`` styles; returns ``C x N`` in the content's dtype."""
    whitened = whiten(content, eps, truncate)
    coloured = sum(weight * color(whitened, *feature_stats(style, eps)) for weight, style in zip(blend, styles))
    return (alpha * coloured + (1 - alpha) * content.to(whitened.dtype)).to(content.dtype)


def _check_blend(n_styles: int, blend: Sequence[float] | None) -> list[float]:
    if n_styles == 0:
        raise StylistError("WCT needs at least one style")
    return normalised_weights(blend, n_styles, "style_blend")


def wct(
    content: torch.Tensor,
    styles: torch.Tensor | Sequence[torch.Tensor],
    alpha: float = 1.0,
    style_blend: Sequence[float] | None = None,
    eps: float = DEFAULT_EPS,
    truncate: float = DEFAULT_TRUNCATE,
) -> torch.Tensor:
    """Whitening-colouring transform of one feature map.

    Args:
        content: ``1 x C x H x W`` content features.
        styles: one ``1 x C x h x w`` style feature map or a list of them (interpolated).
        alpha: 0 keeps the content features, 1 is the full transform.
        style_blend: weights of several styles (normalised to sum 1); default equal.
        eps: added to the covariances' diagonals.
        truncate: whitening drops eigen-directions below this fraction of the largest eigenvalue.

    Returns:
        ``1 x C x H x W``.

    Example:
        >>> out = wct(torch.rand(1, 8, 4, 4), torch.rand(1, 8, 5, 5), alpha=0.6)
        >>> out.shape
        torch.Size([1, 8, 4, 4])
    """
    styles = [styles] if isinstance(styles, torch.Tensor) else list(styles)
    blend = _check_blend(len(styles), style_blend)
    channels = content.shape[1]
    flat = _transform(
        content[0].reshape(channels, -1), [s[0].reshape(channels, -1) for s in styles], blend, alpha, eps, truncate
    )
    return flat.reshape(content.shape)


def masked_wct(
    content: torch.Tensor,
    styles: Sequence[torch.Tensor],
    masks: Sequence[torch.Tensor],
    alpha: float = 1.0,
    eps: float = DEFAULT_EPS,
    truncate: float = DEFAULT_TRUNCATE,
    style_masks: Sequence[torch.Tensor | None] | None = None,
) -> torch.Tensor:
    """WCT inside regions: region ``i`` (``masks[i] > 0.5`` after resizing to the features) gets the
    statistics of ``styles[i]`` (only inside ``style_masks[i]``, if given) from the statistics of its
    own content positions; positions in no region keep their features exactly. Where regions
    overlap, the later one wins. A style region that vanishes at the features' resolution falls back
    to the whole style image.

    Args:
        content: ``1 x C x H x W``; styles: ``1 x C x h_i x w_i`` each; masks: ``1 x 1 x H' x W'`` each
        (any size, nearest-resized to ``H x W``); style_masks: ``1 x 1 x h' x w'`` each or ``None``.
    """
    if len(styles) != len(masks):
        raise StylistError(f"{len(masks)} masks for {len(styles)} styles: give one mask per style")
    style_masks = list(style_masks) if style_masks is not None else [None] * len(styles)
    if len(style_masks) != len(styles):
        raise StylistError(f"{len(style_masks)} style masks for {len(styles)} styles")
    channels = content.shape[1]
    flat = content[0].reshape(channels, -1)
    result = flat.clone()
    for style, mask, style_mask in zip(styles, masks, style_masks):
        region = _region(mask, content.shape[-2:])
        if not bool(region.any()):
            continue
        style_flat = style[0].reshape(channels, -1)
        if style_mask is not None and bool(_region(style_mask, style.shape[-2:]).any()):
            style_flat = style_flat[:, _region(style_mask, style.shape[-2:])]
        result[:, region] = _transform(flat[:, region], [style_flat], [1.0], alpha, eps, truncate)
    return result.reshape(content.shape)


def _region(mask: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """Flat boolean positions of a ``1 x 1 x H' x W'`` mask nearest-resized to ``size``."""
    return F.interpolate(mask.float(), size=tuple(size), mode="nearest")[0, 0].reshape(-1) > 0.5
