"""Matting Laplacian properties, the regulariser's gradient, and photorealism on a photo/photo pair."""

import numpy as np
import pytest
import torch

from stylist.photo import matting_laplacian, matting_regulariser, stylize
from stylist.utils import StylistError


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    return torch.rand(1, 3, 7, 9, dtype=torch.float64)


def test_laplacian_is_symmetric_psd_with_constants_in_null_space(tiny):
    laplacian = matting_laplacian(tiny, eps=1e-7)
    dense = laplacian.toarray()
    assert np.allclose(dense, dense.T, atol=1e-12)
    assert np.linalg.eigvalsh(dense).min() > -1e-6 * np.abs(dense).max()
    assert np.abs(laplacian @ np.ones(dense.shape[0])).max() < 1e-8


def test_affine_colour_transforms_cost_almost_nothing(tiny):
    laplacian = matting_laplacian(tiny, eps=1e-7)
    flat = tiny[0].reshape(3, -1).T.numpy()
    affine = flat @ np.array([[0.5, 0.1, 0.0], [0.2, 0.3, 0.1], [0.0, 0.4, 0.6]]) + 0.1
    noise = np.random.default_rng(0).random(affine.shape)
    cost = lambda v: float(np.sum(v * (laplacian @ v)))  # noqa: E731
    assert cost(affine) < 1e-4 * cost(noise)


def test_regulariser_gradient_matches_finite_differences(tiny):
    laplacian = matting_laplacian(tiny, eps=1e-4)
    image = torch.rand_like(tiny).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda x: matting_regulariser(x, laplacian), (image,), eps=1e-6, atol=1e-6)


def test_shape_mismatch_is_an_error(tiny):
    with pytest.raises(StylistError):
        matting_regulariser(torch.rand(1, 3, 4, 4), matting_laplacian(tiny))


def _gradient_similarity(a: torch.Tensor, b: torch.Tensor) -> float:
    """Correlation of the gradient magnitudes of two images' luminance."""
    def magnitude(x):
        grey = x.mean(dim=1)[0]
        gx, gy = grey[:, 1:] - grey[:, :-1], grey[1:, :] - grey[:-1, :]
        return (gx[:-1] ** 2 + gy[:, :-1] ** 2).sqrt().flatten()

    ma, mb = magnitude(a), magnitude(b)
    return float(torch.corrcoef(torch.stack([ma, mb]))[0, 1])


GRADIENT_SIMILARITY_THRESHOLD = 0.9


@pytest.mark.slow
def test_photo_pair_keeps_edges_while_colours_move(hed_encoder):
    from stylist.image import load_image

    content, style = load_image("chelsea", size=96), load_image("coffee", size=96)
    result = stylize(content, style, iterations=30, encoder=hed_encoder, progress=False)
    out = result.image
    assert _gradient_similarity(out, content) > GRADIENT_SIMILARITY_THRESHOLD
    before = (content.mean(dim=(2, 3)) - style.mean(dim=(2, 3))).abs().sum()
    after = (out.mean(dim=(2, 3)) - style.mean(dim=(2, 3))).abs().sum()
    assert after < 0.8 * before
