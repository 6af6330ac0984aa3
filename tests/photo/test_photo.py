"""Matting Laplacian properties, the regulariser's gradient, the closed-form smoothing and local affine
filter, the two-stage schedule, and photorealism on a photo/photo pair."""

import numpy as np
import pytest
import torch

from stylist.matting import affine_smooth, local_affine_filter, matting_laplacian, matting_regulariser
from stylist.photo import stylize
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
    result = stylize(content, style, size=None, init="content", stage1_iterations=15, stage2_iterations=15,
                     encoder=hed_encoder, progress=False)  # fmt: skip
    out = result.image
    assert _gradient_similarity(out, content) > GRADIENT_SIMILARITY_THRESHOLD
    before = (content.mean(dim=(2, 3)) - style.mean(dim=(2, 3))).abs().sum()
    after = (out.mean(dim=(2, 3)) - style.mean(dim=(2, 3))).abs().sum()
    assert after < 0.8 * before


def _affine(image: torch.Tensor) -> torch.Tensor:
    matrix = torch.tensor([[0.5, 0.1, 0.0], [0.2, 0.3, 0.1], [0.0, 0.4, 0.6]], dtype=image.dtype)
    return torch.einsum("ij,bjhw->bihw", matrix, image) + 0.1


def test_smoothing_reproduces_an_affine_colour_change_exactly(tiny):
    target = _affine(tiny)
    smoothed = affine_smooth(target, tiny, weight=1e2, eps=1e-10, tol=1e-12)
    assert (smoothed - target).abs().max() < 1e-6  # exact up to the matting eps
    noise = torch.rand_like(tiny)
    assert (affine_smooth(noise, tiny, weight=1e2, eps=1e-10, tol=1e-12) - noise).abs().max() > 0.1  # the rest is smoothed


def test_local_affine_filter_keeps_affine_maps_and_upsamples_them_to_the_full_guide():
    torch.manual_seed(1)
    full = torch.nn.functional.avg_pool2d(torch.rand(1, 3, 32, 48, dtype=torch.float64), 3, 1, 1)
    small = torch.nn.functional.interpolate(full, size=(16, 24), mode="bilinear", align_corners=False)
    assert (local_affine_filter(_affine(small), small, radius=2, eps=1e-12) - _affine(small)).abs().max() < 1e-6
    upsampled = local_affine_filter(_affine(small), small, radius=2, eps=1e-12, full_guide=full)
    assert upsampled.shape == full.shape and (upsampled - _affine(full)).abs().max() < 1e-6


def test_two_stages_run_in_order_and_stage_two_starts_from_the_stage_one_result(random_encoder):
    torch.manual_seed(0)
    content, style = torch.rand(1, 3, 24, 32), torch.rand(1, 3, 24, 32)
    result = stylize(content, style, size=None, init="content", stage1_iterations=4, stage2_iterations=3,
                     encoder=random_encoder, style_weight=1e4, progress=False, post_radius=None)  # fmt: skip
    history = result.history
    assert history["stage"] == [1, 1, 1, 1, 2, 2, 2]
    assert all(p == 0 for p in history["photo"][:4]) and all(p > 0 for p in history["photo"][4:])
    # stage 2's first evaluation is the best stage-1 image: same content + style loss
    first = history["total"][4] - history["photo"][4]
    assert first == pytest.approx(min(history["total"][:4]), rel=1e-4)
    assert history["total"][0] > first  # stage 1 moved


def test_tiny_end_to_end_with_label_maps(tmp_path, random_encoder):
    from PIL import Image

    from stylist.methods import Photo

    labels = np.zeros((24, 32, 3), np.uint8)
    labels[:10] = (0, 0, 255)  # sky
    labels[10:] = (0, 255, 0)
    Image.fromarray(labels).save(tmp_path / "c.png")
    Image.fromarray(labels[::-1].copy()).save(tmp_path / "s.png")
    torch.manual_seed(0)
    content, style = torch.rand(1, 3, 24, 32), torch.rand(1, 3, 24, 32)
    photo = Photo(random_encoder, content_mask=str(tmp_path / "c.png"), style_mask=str(tmp_path / "s.png"), size=None,
                  stage1_iterations=2, stage2_iterations=2)  # fmt: skip
    result = photo(content, [style], progress=False)
    assert result.image.shape == content.shape and torch.isfinite(result.image).all()
    assert result.info["regions"] == ["#0000ff", "#00ff00"] and result.info["unmatched_content"] == []
    assert result.history["stage"] == [1, 1, 2, 2]
