"""The global (and regional) Lab mean/std transfer baseline."""

import numpy as np
import torch

from stylist.color import lab_to_rgb, match_lab_histograms, match_lab_statistics, rgb_to_lab


def _smooth(seed, shape=(1, 3, 24, 32), low=0.2, high=0.8):
    generator = torch.Generator().manual_seed(seed)
    return low + (high - low) * torch.rand(shape, generator=generator)


def test_lab_round_trip():
    image = _smooth(0)
    assert torch.allclose(lab_to_rgb(rgb_to_lab(image)), image, atol=1e-5)


def test_output_takes_the_style_lab_mean_and_std():
    content, style = _smooth(1), _smooth(2, low=0.3, high=0.6) * torch.tensor([1.0, 0.8, 0.5]).view(1, 3, 1, 1)
    out = rgb_to_lab(match_lab_statistics(content, style)).reshape(-1, 3)
    target = rgb_to_lab(style).reshape(-1, 3)
    before = rgb_to_lab(content).reshape(-1, 3)
    assert np.allclose(out.mean(0), target.mean(0), atol=0.5) and np.allclose(out.std(0), target.std(0), atol=0.5)
    assert not np.allclose(before.mean(0), target.mean(0), atol=0.5)


def test_regions_take_their_own_statistics_and_other_pixels_keep_theirs():
    content, style = _smooth(3), _smooth(4)
    mask = torch.zeros(1, 1, 24, 32)
    mask[..., :12, :] = 1
    style_mask = torch.zeros(1, 1, 24, 32)
    style_mask[..., 12:, :] = 1
    out = match_lab_statistics(content, style, [mask], [style_mask])
    assert torch.allclose(out[..., 12:, :], content[..., 12:, :], atol=1e-5)
    inside = rgb_to_lab(out)[:12].reshape(-1, 3)
    assert np.allclose(inside.mean(0), rgb_to_lab(style)[12:].reshape(-1, 3).mean(0), atol=0.5)


def test_histogram_matching_gives_each_channel_the_style_distribution():
    content, style = _smooth(5), _smooth(6, low=0.0, high=0.5) ** 2
    out = rgb_to_lab(match_lab_histograms(content, style)).reshape(-1, 3)
    target = rgb_to_lab(style).reshape(-1, 3)
    before = rgb_to_lab(content).reshape(-1, 3)
    for k in range(3):  # same sizes: the sorted values agree up to out-of-gamut clipping in Lab -> RGB
        moved = np.abs(np.sort(out[:, k]) - np.sort(target[:, k])).mean()
        assert moved < 0.1 * np.abs(np.sort(before[:, k]) - np.sort(target[:, k])).mean()
    rank = lambda x: np.argsort(np.argsort(x))  # noqa: E731
    assert np.corrcoef(rank(before[:, 0]), rank(out[:, 0]))[0, 1] > 0.95  # the lightness order is kept
