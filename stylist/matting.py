"""The matting Laplacian and the tools built on it, shared by Deep Photo Style Transfer
(:mod:`stylist.photo`) and FastPhotoStyle (:mod:`stylist.photowct`).

The matting Laplacian ``L`` (Levin et al., PAMI 2008) of an image ``I`` (``N = H W`` pixels, 3x3
windows ``w_k`` with mean ``mu_k`` and covariance ``S_k``):

    L_ij = sum_{k: i, j in w_k} [ delta_ij - (1 + (I_i - mu_k)^T (S_k + eps/9 I_3)^{-1} (I_j - mu_k)) / 9 ]

is symmetric positive semi-definite, and within each window any affine function of the image's
colours costs ~0 under ``V^T L V``. Built on it: the photorealism regulariser
(:func:`matting_regulariser`), the closed-form smoothing (:func:`affine_smooth`) and, in the same
spirit, the local affine (guided) filter (:func:`local_affine_filter`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from numpy.lib.stride_tricks import sliding_window_view

from stylist.utils import StylistError

__all__ = ["matting_laplacian", "matting_regulariser", "affine_smooth", "local_affine_filter"]


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
