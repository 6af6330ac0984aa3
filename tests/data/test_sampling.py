"""``EpochSampler``: seeded per epoch, resumable, class-balanced, and the same stream as ever."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import torch

from stylist.data.sampling import EpochSampler, split_key
from stylist.utils import StylistError


def test_epochs_are_seeded_and_resume_skips_exactly():
    sampler = EpochSampler(10, seed=3)
    sampler.set_epoch(2)
    items = list(sampler)
    assert sorted(i for i, _, _ in items) == list(range(10)) and {c for _, _, c in items} == {-1}
    sampler.set_epoch(3)
    assert list(sampler) != items
    resumed = EpochSampler(10, seed=3, resume=(2, 4))
    resumed.set_epoch(2)
    assert list(resumed) == items[4:]
    assert list(resumed) == items  # the skip applies once


def test_balanced_draws_are_uniform_over_classes():
    # 100 images: class 1 in every image, class 2 in two images, class 3 in one
    presence = np.zeros((100, 4), dtype=bool)
    presence[:, 0] = presence[:, 1] = True
    presence[[5, 50], 2] = True
    presence[7, 3] = True
    sampler = EpochSampler(100, seed=0, presence=presence, balanced_fraction=1.0)
    centres, images = [], []
    for epoch in range(30):
        sampler.set_epoch(epoch)
        for index, _, centre in sampler:
            centres.append(centre)
            images.append(index)
            assert presence[index, centre]  # the crop's centre class is in the image
    counts = np.bincount(centres, minlength=4)[1:] / len(centres)
    np.testing.assert_allclose(counts, [1 / 3] * 3, atol=0.03)  # not 98 : 2 : 1 as the images would give
    plain = EpochSampler(100, seed=0, presence=presence, balanced_fraction=0.0)
    assert sum(presence[i, 3] for i, _, _ in plain) == 1  # without balancing: once per epoch


def test_the_stream_is_unchanged():
    # runs checkpointed before the sampler moved to stylist.data must resume on the same stream
    presence = np.random.default_rng(1).random((50, 6)) < 0.3
    presence[:, 0] = True
    sampler = EpochSampler(50, seed=7, presence=presence, balanced_fraction=0.5)
    sampler.set_epoch(3)
    items = list(sampler)
    assert items[:3] == [(34, 3335786795418847723, 3), (24, 2217724453547939665, -1), (41, 3256532811432473471, 1)]
    assert hashlib.sha256(repr(items).encode()).hexdigest().startswith("fc7950429e34ab31")
    plain = EpochSampler(50, seed=7)
    plain.set_epoch(3)
    assert hashlib.sha256(repr(list(plain)).encode()).hexdigest().startswith("fdbffaaa819a9538")


def test_keys_seed_their_own_generator():
    index, generator, centre = split_key((4, 99, 2))
    assert (index, centre) == (4, 2)
    assert torch.equal(torch.rand(3, generator=generator), torch.rand(3, generator=torch.Generator().manual_seed(99)))
    assert split_key(np.int64(5)) == (5, None, -1)


@pytest.mark.parametrize("fraction, presence", [(1.5, None), (0.5, None), (0.5, np.ones((3, 2), dtype=bool))])
def test_bad_balancing_is_a_user_error(fraction, presence):
    with pytest.raises(StylistError):
        EpochSampler(10, presence=presence, balanced_fraction=fraction)
