"""Deep Photo Style Transfer (Luan et al., CVPR 2017): Gatys with the augmented (region-guided)
style loss plus the photorealism regulariser, so that the output is locally an affine colour
transform of the content photo; and the matting-Laplacian tools :mod:`stylist.photowct` shares.

The regulariser uses the matting Laplacian ``L`` (Levin et al., PAMI 2008) of the content image
``I`` (``N = H W`` pixels, 3x3 windows ``w_k`` with mean ``mu_k`` and covariance ``S_k``):

    L_ij = sum_{k: i, j in w_k} [ delta_ij - (1 + (I_i - mu_k)^T (S_k + eps/9 I_3)^{-1} (I_j - mu_k)) / 9 ]

and penalises ``L_m = (1/N) sum_c V_c^T L V_c`` for the output's channels ``V_c`` (``N``-vectors in
[0, 1]); its gradient is ``(2/N) L V_c``. ``L`` is symmetric positive semi-definite, and within each
window any affine function of the content colours costs ~0. The total loss is

    a * L_content(relu4_2) + b * mean_l sum_r L_style(relu{l}_1, region r) + photo_weight * L_m

with the paper's ``a = 5``, ``b = 100`` per layer and ``lambda = 1e4`` converted to the project's
mean-normalised terms (:func:`paper_photo_weight`). :func:`stylize` runs the paper's two stages
(segmented Gatys, then the regularised optimisation from its result) and the post-processing.

Checked against the paper and the authors' code (luanfujun/deep-photo-styletransfer:
``neuralstyle_seg.lua`` for stage 1, ``deepmatting_seg.lua`` for stage 2, ``-f_radius 15 -f_edge
0.01`` smoothing). Deviations and why:

* VGG16 (the project's backbone, hed or ImageNet weights) instead of VGG19: the only offline weights.
* Region terms are summed, not weighted by the content region's share of the image as in the
  authors' ``StyleLossWithSeg``: the project's guided Gram loss has no per-region weights.
* Both stages optimise at ``size`` (256 px) and the post-processing filter, the local affine fit
  to the full-size content (:func:`local_affine_filter`, the guided-filter form of the authors'
  smoothing), brings the result to full size: 512 px optimisation is ~4x slower per iteration, too
  slow for a 90 s budget on 2 CPU cores.
* Default start and schedule: stage 1 starts from a regional Lab histogram transfer
  (``init="histogram"``) and is skipped (``stage1_iterations=0``), 40 evaluations of stage 2 follow.
  The paper starts stage 1 from the content and runs 1000 + 1000 iterations; with ~40 evaluations
  from the content the sky stays grey-beige (semantic colour ratio 0.56 on golden_gate x
  hoovertowernight after 30 + 30), and Gatys from the histogram start adds painterly strokes that
  stage 2 has to remove (0.18 after 20 + 20, against 0.19 with 0 + 40 and no strokes). The paper's
  schedule is ``init="content", stage1_iterations=1000, stage2_iterations=1000``.

Example:
    >>> from stylist.image import load_image
    >>> out = stylize(load_image("golden_gate", size=512), load_image("hoovertowernight", size=512))  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from numpy.lib.stride_tricks import sliding_window_view
from torch import nn

from stylist.backbones import get_backbone
from stylist.color import match_lab_histograms, match_lab_statistics
from stylist.optim import OptimisationResult, optimise_over_scales
from stylist.losses import DEFAULT_STYLE_LAYERS, LossTerms, PerceptualLoss
from stylist.regions import segment_pairs
from stylist.utils import StylistError

__all__ = [
    "matting_laplacian", "matting_regulariser", "affine_smooth", "local_affine_filter", "PhotoLossTerms",
    "PhotorealisticLoss", "paper_photo_weight", "stylize", "segment_pairs",
]  # fmt: skip


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


def _block_cg(
    matrix: sp.csr_matrix, rhs: np.ndarray, start: np.ndarray, tol: float, max_iter: int
) -> tuple[np.ndarray, int]:
    """Jacobi-preconditioned conjugate gradients for ``matrix x = rhs`` with ``N x k`` right-hand
    sides at once (one sparse product per iteration for all columns); returns ``(x, iterations)``."""
    inverse_diagonal = 1.0 / matrix.diagonal()[:, None]
    x = start.copy()
    residual = rhs - matrix @ x
    z = residual * inverse_diagonal
    direction = z.copy()
    rz = np.sum(residual * z, axis=0)
    limit = tol * np.maximum(np.linalg.norm(rhs, axis=0), 1e-30)
    for iteration in range(1, max_iter + 1):
        product = matrix @ direction
        step = rz / np.maximum(np.sum(direction * product, axis=0), 1e-300)
        x += step * direction
        residual -= step * product
        if np.all(np.linalg.norm(residual, axis=0) <= limit):
            return x, iteration
        z = residual * inverse_diagonal
        rz_next = np.sum(residual * z, axis=0)
        direction = z + (rz_next / np.maximum(rz, 1e-300)) * direction
        rz = rz_next
    return x, max_iter


def affine_smooth(
    image: torch.Tensor,
    content: torch.Tensor,
    weight: float = 100.0,
    eps: float = 1e-7,
    tol: float = 1e-4,
    max_iter: int = 1000,
) -> torch.Tensor:
    """The closed-form photorealistic smoothing of FastPhotoStyle (Li et al., ECCV 2018, Eq. 5):
    ``r = argmin ||r - y||^2 + weight * sum_c r_c^T L r_c``, i.e. the sparse system

        (I + weight * L) r = y,

    with ``y`` the stylised ``image`` and ``L`` the matting Laplacian of ``content`` (both
    ``1 x 3 x H x W``, same size). Any colour map that is affine in the content's colours lies in
    ``L``'s null space (up to ``eps``) and passes unchanged; everything else is smoothed along the
    content's edges. Solved by preconditioned conjugate gradients from ``y`` (relative residual
    ``tol``).

    Deviation: the paper normalises the affinity, ``(I - beta D^{-1/2} W D^{-1/2}) r = (1 - beta) y``.
    For the matting affinity every interior pixel has degree ``D_ii = 9`` (each window's weights sum
    to 1), so that form is this one with ``weight = beta / (9 (1 - beta))`` (their ``beta = 0.9999``
    is ``weight ~ 1100``) except in the border rows, where the normalised form bends affine maps; the
    unnormalised form keeps them exact. The weight is per pixel, so the same scene needs about 4x the
    weight at 2x the resolution.

    Returns:
        ``1 x 3 x H x W`` (not clamped).
    """
    if image.shape != content.shape:
        raise StylistError(f"image {tuple(image.shape)} and content {tuple(content.shape)} must have the same size")
    laplacian = matting_laplacian(content, eps=eps)
    pixels = image.shape[-2] * image.shape[-1]
    system = (sp.identity(pixels, format="csr") + weight * laplacian).tocsr()
    rhs = image.detach().reshape(3, pixels).T.double().cpu().numpy()
    solution, _ = _block_cg(system, rhs, rhs, tol, max_iter)
    return torch.from_numpy(solution.T.copy()).reshape(image.shape).to(image)


def _box(x: torch.Tensor, radius: int) -> torch.Tensor:
    """Mean over ``(2 radius + 1)^2`` windows (smaller at the borders) of ``B x ... x H x W``."""
    flat = x.reshape(x.shape[0], -1, *x.shape[-2:])
    return F.avg_pool2d(flat, 2 * radius + 1, stride=1, padding=radius, count_include_pad=False).reshape(x.shape)


def local_affine_filter(
    image: torch.Tensor, guide: torch.Tensor, radius: int = 15, eps: float = 1e-2, full_guide: torch.Tensor | None = None
) -> torch.Tensor:
    """Replace ``image`` by its best local affine function of ``guide`` (the colour guided filter,
    He et al., PAMI 2013): in each ``(2 radius + 1)^2`` window ``k``, ``image ~ A_k guide + b_k`` by
    ridge regression ``A_k = (S_k + eps I)^{-1} cov_k(guide, image)``; the output at a pixel is
    ``mean_k(A_k) guide + mean_k(b_k)`` over the windows containing it.

    Used as Deep Photo Style Transfer's post-processing (the authors' code filters the result with
    a locally affine fit to the content, ``-f_radius 15 -f_edge 0.01``; this is the guided-filter form
    of that fit) and as an edge-aware upsampler: with ``full_guide`` (the guide at a higher
    resolution), the coefficients are bilinearly upsampled and applied to it (He and Sun, "Fast
    guided filter", 2015), so a low-resolution result comes back with every full-resolution edge of
    the content.

    Args:
        image, guide: ``1 x 3 x h x w`` (same size).
        radius, eps: window radius (px at ``guide``'s size) and the ridge ``eps`` (on [0, 1] colours).
        full_guide: optional ``1 x 3 x H x W``.

    Returns:
        ``1 x 3 x h x w`` (or ``H x W`` with ``full_guide``), not clamped.
    """
    if image.shape != guide.shape:
        raise StylistError(f"image {tuple(image.shape)} and guide {tuple(guide.shape)} must have the same size")
    g, y = guide.double(), image.double()
    mean_g, mean_y = _box(g, radius), _box(y, radius)
    cov_gg = _box(g[:, :, None] * g[:, None], radius) - mean_g[:, :, None] * mean_g[:, None]  # 1 x 3 x 3 x h x w
    cov_gy = _box(g[:, :, None] * y[:, None], radius) - mean_g[:, :, None] * mean_y[:, None]  # [i, c]: cov(g_i, y_c)
    height, width = guide.shape[-2:]
    sigma = cov_gg.permute(0, 3, 4, 1, 2) + eps * torch.eye(3, dtype=g.dtype)  # 1 x h x w x 3 x 3
    coefficients = torch.linalg.solve(sigma, cov_gy.permute(0, 3, 4, 1, 2))  # 1 x h x w x 3(i) x 3(c)
    slope = coefficients.permute(0, 3, 4, 1, 2).reshape(1, 9, height, width)  # A[i, c] at channel 3 i + c
    offset = mean_y - torch.einsum("bichw,bihw->bchw", slope.reshape(1, 3, 3, height, width), mean_g)
    slope, offset = _box(slope, radius), _box(offset, radius)
    target = g if full_guide is None else full_guide.double()
    if full_guide is not None:
        size = tuple(full_guide.shape[-2:])
        slope = F.interpolate(slope, size=size, mode="bilinear", align_corners=False)
        offset = F.interpolate(offset, size=size, mode="bilinear", align_corners=False)
    out = torch.einsum("bichw,bihw->bchw", slope.reshape(1, 3, 3, *target.shape[-2:]), target) + offset
    return out.to(image.dtype)


@dataclass
class PhotoLossTerms(LossTerms):
    """:class:`~stylist.losses.LossTerms` plus the weighted photorealism term ``photo`` (in ``total``)."""

    photo: torch.Tensor

    def as_dict(self) -> dict[str, float]:
        return {**super().as_dict(), "photo": float(self.photo.detach())}


class PhotorealisticLoss(nn.Module):
    """The perceptual loss plus the photorealism regulariser of one content image:
    ``L(x) = perceptual(x) + photo_weight * (1/N) sum_c V_c^T L V_c`` (:func:`matting_regulariser`,
    ``V_c`` the image's channels); without a Laplacian (stage 1) the photo term is 0.

    The Laplacian ``L`` is a scipy sparse matrix (the regulariser's product runs in scipy), so it is
    an attribute, not a buffer: it stays on the CPU whatever device the perceptual loss is on."""

    def __init__(self, perceptual: PerceptualLoss, laplacian: sp.csr_matrix | None, photo_weight: float) -> None:
        super().__init__()
        self.perceptual, self.laplacian, self.photo_weight = perceptual, laplacian, photo_weight

    def forward(self, image: torch.Tensor) -> PhotoLossTerms:
        terms = self.perceptual(image)
        photo = terms.total.new_zeros(())
        if self.laplacian is not None:
            photo = self.photo_weight * matting_regulariser(image, self.laplacian)
        return PhotoLossTerms(
            total=terms.total + photo, content=terms.content, style=terms.style, tv=terms.tv, photo=photo
        )


def paper_photo_weight(matting_lambda: float, pixels: int) -> float:
    """The project's ``photo_weight`` (on the pixel-mean regulariser) equivalent to the paper's
    ``lambda`` at an image of ``pixels`` pixels: ``128 * lambda * pixels``.

    The authors' code adds ``lambda * L V`` (``V`` in [0, 1]) to the gradient with respect to the
    0-255 image, i.e. the energy ``(256 / 2) lambda sum_c V_c^T L V_c``; the project's term is
    ``photo_weight * (1/N) sum_c V_c^T L V_c``."""
    return 128.0 * matting_lambda * pixels


def stylize(
    content: torch.Tensor,
    style: torch.Tensor | Sequence[torch.Tensor],
    *,
    masks: Sequence[torch.Tensor] | None = None,
    style_masks: Sequence[torch.Tensor | None] | None = None,
    size: int | None = 256,
    stage1_iterations: int = 0,
    stage2_iterations: int = 40,
    init: str | torch.Tensor = "histogram",
    content_weight: float = 5.0,
    style_weight: float = 500.0,
    matting_lambda: float = 1e4,
    content_layers: Sequence[str] = ("relu4_2",),
    style_layers: Sequence[str] = DEFAULT_STYLE_LAYERS,
    laplacian_eps: float = 1e-7,
    post_radius: int | None = 2,
    post_eps: float = 1e-3,
    encoder: nn.Module | None = None,
    loss: PerceptualLoss | None = None,
    weights: str = "auto",
    lr: float = 1.0,
    progress: bool = True,
) -> OptimisationResult:
    """Deep Photo Style Transfer in the paper's two stages (L-BFGS), then the local affine filter.

    1. **Stage 1**: segmented Gatys, ``a * L_content + b * L_style+`` (augmented style loss: each
       content region matched to its style region), from ``init`` (default: the content).
    2. **Stage 2**: the same loss plus ``lambda * L_m``, starting from the stage-1 result.
    3. **Post-processing**: :func:`local_affine_filter` of the result against the full-size content
       (``post_radius`` px at the optimisation size; ``None``: the result is only resized).

    Args:
        content: ``1 x 3 x H x W`` photo in [0, 1].
        style: one ``1 x 3 x h x w`` image, or one per region.
        masks: semantic regions of the content (``1 x 1 x H x W``), one per style image; region ``r``
            takes the statistics of style ``r`` (inside ``style_masks[r]`` if given).
        style_masks: the matching regions of each style image (``1 x 1 x h x w`` or ``None``).
        size: longest side (px) both stages optimise at (``None``: the content's size).
        stage1_iterations, stage2_iterations: L-BFGS loss evaluations per stage (0 skips a stage).
        init: start of stage 1: ``"histogram"`` (each content region given its style region's Lab
            distribution, :func:`stylist.color.match_lab_histograms`), ``"lab"`` (mean and standard
            deviation only, :func:`~stylist.color.match_lab_statistics`), ``"content"`` (the
            paper), or a ``1 x 3 x H x W`` image (e.g. a :mod:`stylist.photowct` result).
        content_weight, style_weight: ``a``, ``b`` (the paper's 5 and 100 per layer; the project
            averages over the 5 style layers, hence 500).
        matting_lambda: the paper's ``lambda`` (:func:`paper_photo_weight` converts it).
        content_layers, style_layers: VGG16 layers.
        laplacian_eps: the matting ``eps``.
        post_radius, post_eps: the post-processing filter.
        encoder: a prebuilt encoder (else the loss's, or ``get_backbone("vgg16", weights=weights)``).
        loss: a prebuilt :class:`~stylist.losses.PerceptualLoss` (``conf/loss/photo.yaml``
            instantiated and called with the encoder); replaces the weight and layer arguments.

    Returns:
        :class:`~stylist.optim.OptimisationResult` (history keys ``total, content, style, tv, photo,
        scale, stage``; ``seconds_per_iteration`` without the one-off Laplacian and target encoding).
    """
    styles = [style] if isinstance(style, torch.Tensor) else list(style)
    if masks is None and (style_masks is not None or len(styles) != 1):
        raise StylistError("several styles or style masks need content masks (one per style)")
    if masks is not None and len(masks) != len(styles):
        raise StylistError(f"{len(masks)} masks for {len(styles)} styles: give one mask per style")
    image = _initial_image(init, content, styles, masks, style_masks)
    if encoder is None:
        encoder = loss.encoder if loss is not None else get_backbone("vgg16", weights=weights)
    perceptual = loss if loss is not None else PerceptualLoss(
        encoder, content_layers, style_layers, content_weight=content_weight, style_weight=style_weight
    )
    keys = ("total", "content", "style", "tv", "photo", "scale")
    history: dict[str, list[float]] = {key: [] for key in (*keys, "stage")}
    scale = 1.0 if size is None else min(1.0, size / max(content.shape[-2:]))
    seconds = 0.0
    for stage, iterations in ((1, stage1_iterations), (2, stage2_iterations)):
        if iterations <= 0:
            continue
        stage_history: dict[str, list[float]] = {key: [] for key in keys}
        start = image
        image, stage_seconds = optimise_over_scales(
            perceptual, content, styles, lambda content_s, styles_s: _resized(start, content_s), stage_history,
            scales=(scale,), masks=masks, style_masks=style_masks, iterations=iterations, lr=lr, progress=progress,
            extend_loss=lambda loss, content_s: PhotorealisticLoss(
                loss,
                matting_laplacian(content_s, eps=laplacian_eps) if stage == 2 else None,
                paper_photo_weight(matting_lambda, content_s.shape[-2] * content_s.shape[-1]),
            ),
        )  # fmt: skip
        seconds += stage_seconds
        for key in keys:
            history[key] += stage_history[key]
        history["stage"] += [stage] * len(stage_history["total"])
    image = image.detach().clamp(0, 1)
    if post_radius is not None:
        small_content = _resized(content, image)
        image = local_affine_filter(image, small_content, radius=post_radius, eps=post_eps, full_guide=content)
    return OptimisationResult(
        image=_resized(image, content).clamp(0, 1),
        history=history,
        seconds_per_iteration=seconds / max(1, len(history["total"])),
        backbone_weights=getattr(encoder, "weights_name", type(encoder).__name__),
    )


def _initial_image(
    init: str | torch.Tensor,
    content: torch.Tensor,
    styles: Sequence[torch.Tensor],
    masks: Sequence[torch.Tensor] | None,
    style_masks: Sequence[torch.Tensor | None] | None,
) -> torch.Tensor:
    if isinstance(init, torch.Tensor):
        if init.shape != content.shape:
            raise StylistError(f"init {tuple(init.shape)} must have the content's shape {tuple(content.shape)}")
        return init
    transfers = {"histogram": match_lab_histograms, "lab": match_lab_statistics}
    if init == "content":
        return content
    if init not in transfers:
        raise StylistError(f"init must be 'histogram', 'lab', 'content' or an image, not '{init}'")
    if masks is None:
        return transfers[init](content, styles[0])
    image = content
    for style, mask, style_mask in zip(styles, masks, style_masks or [None] * len(styles)):
        style_mask = torch.ones_like(style[:, :1]) if style_mask is None else style_mask
        image = transfers[init](image, style, [mask], [style_mask])  # pixels outside ``mask`` are kept
    return image


def _resized(image: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    if image.shape[-2:] == like.shape[-2:]:
        return image
    return F.interpolate(image, size=like.shape[-2:], mode="bilinear", align_corners=False)
