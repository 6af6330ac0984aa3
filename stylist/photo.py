"""Deep Photo Style Transfer (Luan et al., CVPR 2017): Gatys with a semantic (guided) style loss
plus the photorealism regulariser, so that the output is locally an affine colour transform of the
content photo.

The regulariser uses the matting Laplacian ``L`` (Levin et al., PAMI 2008) of the content image
``I`` (``N = H W`` pixels, 3x3 windows ``w_k`` with mean ``mu_k`` and covariance ``S_k``):

    L_ij = sum_{k: i, j in w_k} [ delta_ij - (1 + (I_i - mu_k)^T (S_k + eps/9 I_3)^{-1} (I_j - mu_k)) / 9 ]

and penalises ``L_m = (1/N) sum_c V_c^T L V_c`` for the output's channels ``V_c`` (``N``-vectors in
[0, 1]); its gradient is ``(2/N) L V_c``. ``L`` is symmetric positive semi-definite, and within each
window any affine function of the content colours costs ~0. The total loss is

    a * L_content + b * sum_r L_style(guided by region r) + lambda * L_m

Deviations from the paper: losses are means (weights hold across sizes), the content init is used,
optionally coarse-to-fine, and no post-hoc smoothing filter is applied.

Example:
    >>> from stylist.image import load_image
    >>> out = stylize(load_image("chelsea", size=128), load_image("coffee", size=128), iterations=20)  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import scipy.sparse as sp
import torch
from numpy.lib.stride_tricks import sliding_window_view
from torch import nn

from stylist.backbones import get_backbone
from stylist.optim import OptimisationResult, optimise_over_scales
from stylist.losses import DEFAULT_STYLE_LAYERS, LossTerms, PerceptualLoss
from stylist.utils import StylistError

__all__ = ["matting_laplacian", "matting_regulariser", "PhotoLossTerms", "PhotorealisticLoss", "stylize", "segment_pairs"]


def matting_laplacian(image: torch.Tensor, eps: float = 1e-7, radius: int = 1) -> sp.csr_matrix:
    """The matting Laplacian of ``1 x 3 x H x W`` (or ``3 x H x W``) ``image`` in [0, 1], as an
    ``N x N`` scipy CSR matrix (float64, ``N = H W``, row-major pixel order). See the module docstring."""
    array = image.detach().reshape(3, *image.shape[-2:]).permute(1, 2, 0).double().cpu().numpy()
    height, width = array.shape[:2]
    size = 2 * radius + 1
    if height < size or width < size:
        raise StylistError(f"image is {width}x{height} px; the matting Laplacian needs at least {size}x{size}")
    n_win = size * size
    index = np.arange(height * width).reshape(height, width)
    windows = sliding_window_view(index, (size, size)).reshape(-1, n_win)  # K x 9 pixel indices
    colours = array.reshape(-1, 3)[windows]  # K x 9 x 3
    centred = colours - colours.mean(axis=1, keepdims=True)
    covariance = np.einsum("kni,knj->kij", centred, centred) / n_win
    inverse = np.linalg.inv(covariance + (eps / n_win) * np.eye(3))
    affinity = (1.0 + np.einsum("kni,kij,kmj->knm", centred, inverse, centred)) / n_win  # K x 9 x 9
    rows = np.broadcast_to(windows[:, :, None], affinity.shape).ravel()
    cols = np.broadcast_to(windows[:, None, :], affinity.shape).ravel()
    weights = sp.coo_matrix((affinity.ravel(), (rows, cols)), shape=(height * width,) * 2).tocsr()
    laplacian = sp.diags(np.asarray(weights.sum(axis=1)).ravel()) - weights
    return ((laplacian + laplacian.T) * 0.5).tocsr()  # exact symmetry despite rounding


class _MattingQuadratic(torch.autograd.Function):
    """``(1/N) sum_c V_c^T L V_c`` with gradient ``(2/N) L V`` (a sparse product in scipy)."""

    @staticmethod
    def forward(ctx, image: torch.Tensor, laplacian: sp.csr_matrix) -> torch.Tensor:  # type: ignore[override]
        pixels = image.shape[-2] * image.shape[-1]
        values = image.detach().reshape(3, pixels).T.double().cpu().numpy()  # N x 3
        product = laplacian @ values
        ctx.save_for_backward(torch.from_numpy(2.0 * product / pixels).T.reshape(image.shape).to(image))
        return image.new_tensor(float(np.sum(values * product)) / pixels)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> tuple[torch.Tensor, None]:  # type: ignore[override]
        (gradient,) = ctx.saved_tensors
        return grad_output * gradient, None


def matting_regulariser(image: torch.Tensor, laplacian: sp.csr_matrix) -> torch.Tensor:
    """Photorealism loss ``(1/N) sum_c V_c^T L V_c`` of a ``1 x 3 x H x W`` image (differentiable)."""
    pixels = image.shape[-2] * image.shape[-1]
    if image.shape[0] != 1 or image.shape[1] != 3 or laplacian.shape != (pixels, pixels):
        raise StylistError(f"image {tuple(image.shape)} does not match a Laplacian of shape {laplacian.shape}")
    return _MattingQuadratic.apply(image, laplacian)


@dataclass
class PhotoLossTerms(LossTerms):
    """:class:`~stylist.losses.LossTerms` plus the weighted photorealism term ``photo`` (in ``total``)."""

    photo: torch.Tensor

    def as_dict(self) -> dict[str, float]:
        return {**super().as_dict(), "photo": float(self.photo.detach())}


class PhotorealisticLoss(nn.Module):
    """``perceptual(image) + photo_weight * matting_regulariser(image, laplacian)``."""

    def __init__(self, perceptual: PerceptualLoss, laplacian: sp.csr_matrix, photo_weight: float) -> None:
        super().__init__()
        self.perceptual, self.laplacian, self.photo_weight = perceptual, laplacian, photo_weight

    def forward(self, image: torch.Tensor) -> PhotoLossTerms:
        terms = self.perceptual(image)
        photo = self.photo_weight * matting_regulariser(image, self.laplacian)
        return PhotoLossTerms(
            total=terms.total + photo, content=terms.content, style=terms.style, tv=terms.tv, photo=photo
        )


def stylize(
    content: torch.Tensor,
    style: torch.Tensor | Sequence[torch.Tensor],
    *,
    masks: Sequence[torch.Tensor] | None = None,
    style_masks: Sequence[torch.Tensor | None] | None = None,
    iterations: int = 100,
    content_weight: float = 1.0,
    style_weight: float = 1e3,
    photo_weight: float = 1e8,
    content_layers: Sequence[str] = ("relu4_2",),
    style_layers: Sequence[str] = DEFAULT_STYLE_LAYERS,
    scales: Sequence[float] = (1.0,),
    laplacian_eps: float = 1e-7,
    encoder: nn.Module | None = None,
    loss: PerceptualLoss | None = None,
    weights: str = "auto",
    lr: float = 1.0,
    progress: bool = True,
) -> OptimisationResult:
    """Photorealistic style transfer (L-BFGS from the content image).

    Args:
        content: ``1 x 3 x H x W`` photo in [0, 1].
        style: one ``1 x 3 x h x w`` image, or one per region.
        masks: semantic regions of the content (``1 x 1 x H x W``), one per style image; region ``r``
            takes the statistics of style ``r`` (inside ``style_masks[r]`` if given).
        style_masks: the matching regions of each style image (``1 x 1 x h x w`` or ``None``).
        iterations: loss evaluations per scale.
        content_weight, style_weight, photo_weight: ``a``, ``b``, ``lambda`` in the module docstring
            (defaults chosen on photo/photo pairs: 10x less style than the painterly Gatys default,
            and a regulariser strong enough to keep edges).
        content_layers, style_layers: VGG16 layers.
        scales: coarse-to-fine fractions of the content size; the Laplacian is rebuilt per scale.
        laplacian_eps: the matting ``eps``.
        encoder: a prebuilt encoder (else ``get_backbone("vgg16", weights=weights)``).
        loss: a prebuilt :class:`~stylist.losses.PerceptualLoss` on ``encoder``; replaces
            ``content_weight``, ``style_weight`` and the layers.

    Returns:
        :class:`~stylist.optim.OptimisationResult` (history keys ``total, content, style, tv, photo, scale``;
        ``seconds_per_iteration`` without the one-off Laplacian and target encoding).
    """
    styles = [style] if isinstance(style, torch.Tensor) else list(style)
    if masks is None and (style_masks is not None or len(styles) != 1):
        raise StylistError("several styles or style masks need content masks (one per style)")
    if masks is not None and len(masks) != len(styles):
        raise StylistError(f"{len(masks)} masks for {len(styles)} styles: give one mask per style")
    if encoder is None:
        encoder = loss.encoder if loss is not None else get_backbone("vgg16", weights=weights)
    perceptual = loss if loss is not None else PerceptualLoss(
        encoder, content_layers, style_layers, content_weight=content_weight, style_weight=style_weight
    )
    history: dict[str, list[float]] = {key: [] for key in ("total", "content", "style", "tv", "photo", "scale")}
    image, seconds = optimise_over_scales(
        perceptual, content, styles, lambda content_s, styles_s: content_s, history, scales=scales, masks=masks,
        style_masks=style_masks, iterations=iterations, lr=lr, progress=progress,
        extend_loss=lambda loss, content_s: PhotorealisticLoss(
            loss, matting_laplacian(content_s, eps=laplacian_eps), photo_weight
        ),
    )  # fmt: skip
    return OptimisationResult(
        image=image.detach().clamp(0, 1),
        history=history,
        seconds_per_iteration=seconds / max(1, len(history["total"])),
        backbone_weights=getattr(encoder, "weights_name", type(encoder).__name__),
    )


def segment_pairs(
    content: torch.Tensor, style: torch.Tensor, min_share: float = 0.01
) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Semantic regions from the shipped ModaNet segmenter (:mod:`stylist.segmentation`): the
    classes covering at least ``min_share`` of both images, as paired ``1 x 1 x H x W`` masks
    (content masks, style masks). Falls back to one whole-image pair when no class is shared."""
    try:
        from stylist.segmentation import load_segmenter, segment
    except ImportError:
        raise StylistError("segment=true needs stylist.segmentation (the ModaNet segmenter)") from None
    segmenter = load_segmenter()
    content_map, style_map = segment(content, segmenter)[0], segment(style, segmenter)[0]
    content_map, style_map = content_map.reshape(content.shape[-2:]), style_map.reshape(style.shape[-2:])
    content_masks, style_masks = [], []
    for label in torch.unique(content_map).tolist():
        in_content, in_style = content_map == label, style_map == label
        if in_content.float().mean() >= min_share and in_style.float().mean() >= min_share:
            content_masks.append(in_content.float()[None, None])
            style_masks.append(in_style.float()[None, None])
    if not content_masks:
        return [torch.ones_like(content[:, :1])], [torch.ones_like(style[:, :1])]
    return content_masks, style_masks
