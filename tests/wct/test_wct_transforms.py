"""Whitening/colouring: identity covariance, reproduced style statistics, masks, flat inputs."""

import pytest
import torch

from stylist.utils import StylistError
from stylist.wct.transforms import feature_stats, masked_wct, wct, whiten


def _cov(x: torch.Tensor) -> torch.Tensor:
    x = x.double() - x.double().mean(dim=1, keepdim=True)
    return x @ x.T / (x.shape[1] - 1)


def _correlated(channels: int, n: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    mixing = torch.randn(channels, channels, generator=g)
    return mixing @ torch.randn(channels, n, generator=g) + 3.0 * torch.randn(channels, 1, generator=g)


def test_whitened_covariance_is_identity():
    features = _correlated(16, 2000, 0)
    white = whiten(features, eps=1e-8, truncate=0.0)  # float32 products
    assert white.dtype == torch.float32
    assert torch.allclose(_cov(white), torch.eye(16, dtype=torch.float64), atol=1e-4)
    assert white.mean(dim=1).abs().max() < 1e-5
    white64 = whiten(features.double(), eps=1e-8, truncate=0.0)  # float64 input stays float64
    assert white64.dtype == torch.float64 and white64.mean(dim=1).abs().max() < 1e-10
    assert torch.allclose(_cov(white64), torch.eye(16, dtype=torch.float64), atol=1e-6)


def test_float32_transform_matches_float64():
    content, style = _correlated(32, 4096, 5).reshape(1, 32, 64, 64), _correlated(32, 3000, 6).reshape(1, 32, 50, 60)
    out32 = wct(content, style, alpha=0.6)
    out64 = wct(content.double(), style.double(), alpha=0.6)
    assert out32.dtype == torch.float32 and out64.dtype == torch.float64
    assert (out32.double() - out64).abs().max() < 1e-4 * out64.abs().max()


def test_colouring_reproduces_style_mean_and_covariance():
    content, style = _correlated(8, 3000, 1), _correlated(8, 2500, 2)
    out = wct(content.reshape(1, 8, 50, 60), style.reshape(1, 8, 50, 50), alpha=1.0, eps=1e-8, truncate=0.0)[0].reshape(8, -1)
    assert torch.allclose(_cov(out), _cov(style), rtol=1e-3, atol=1e-3)
    assert torch.allclose(out.double().mean(dim=1), style.double().mean(dim=1), atol=1e-3)


def test_alpha_zero_is_identity_and_blend_interpolates():
    content, a, b = torch.rand(1, 4, 6, 6), torch.rand(1, 4, 5, 5), torch.rand(1, 4, 5, 5) * 3
    assert torch.allclose(wct(content, a, alpha=0.0), content, atol=1e-6)
    mixed = wct(content, [a, b], alpha=1.0, style_blend=[0.25, 0.75])
    expected = 0.25 * wct(content, a, alpha=1.0) + 0.75 * wct(content, b, alpha=1.0)
    assert torch.allclose(mixed, expected, atol=1e-5)
    with pytest.raises(StylistError):
        wct(content, [a, b], style_blend=[1.0])


def test_flat_features_give_no_nan():
    flat = torch.full((1, 8, 5, 5), 2.5)
    out = wct(flat, torch.rand(1, 8, 4, 4), alpha=1.0)
    assert torch.isfinite(out).all()
    assert torch.isfinite(wct(torch.rand(1, 8, 5, 5), torch.zeros(1, 8, 4, 4))).all()
    mean, root = feature_stats(torch.zeros(8, 1))
    assert torch.isfinite(root).all() and torch.isfinite(mean).all()


def test_masked_wct_leaves_other_positions_untouched():
    content = torch.rand(1, 6, 8, 8)
    mask = torch.zeros(1, 1, 16, 16)
    mask[..., :8, :] = 1  # top half, at twice the feature resolution
    style = torch.rand(1, 6, 5, 5) * 4 + 2
    out = masked_wct(content, [style], [mask], alpha=1.0)
    assert torch.equal(out[..., 4:, :], content[..., 4:, :])
    assert not torch.allclose(out[..., :4, :], content[..., :4, :])
    region = out[0, :, :4, :].reshape(6, -1)
    assert torch.allclose(region.mean(dim=1), style[0].reshape(6, -1).mean(dim=1), atol=1e-3)
    empty = masked_wct(content, [style], [torch.zeros(1, 1, 8, 8)])
    assert torch.equal(empty, content)


def test_truncation_drops_near_null_directions():
    base = _correlated(4, 500, 3)
    features = torch.cat([base, 1e-3 * torch.randn(2, 500, generator=torch.Generator().manual_seed(4))])
    kept = whiten(features, eps=1e-12, truncate=1e-3)
    assert _cov(kept).trace() == pytest.approx(4.0, rel=1e-3)  # identity on the 4 real directions only
    assert _cov(whiten(features, eps=1e-12, truncate=0.0)).trace() == pytest.approx(6.0, rel=1e-3)
