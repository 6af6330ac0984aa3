"""``EpochSampler``: seeded per epoch, resumable, and class-balanced crops centred on rare classes."""

from __future__ import annotations

import numpy as np
import torch
from tiny_modanet import tiny_modanet  # noqa: F401  (fixture)

from stylist.segmentation.datamodule import ModaNetDataModule
from stylist.segmentation.sampling import EpochSampler


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


def test_balanced_crops_contain_the_rare_class(tiny_modanet, tmp_path):
    spec = {"weights": "random", "freeze_until": "pool4", "size": [96, 64], "crop": [32, 32], "dir": str(tmp_path / "f")}
    dm = ModaNetDataModule(root=str(tiny_modanet["root"]), annotations=str(tiny_modanet["annotations"]),
                           val_fraction=0.34, batch_size=2, mask_cache_dir=str(tmp_path / "masks"),
                           feature_cache=spec, balanced_fraction=1.0)  # fmt: skip
    dm.prepare_data()
    dm.setup("fit")
    belt = 2  # a thin band: a random 32 x 32 window of the 96 x 64 canvas often misses it
    hits = {"random": 0, "centred": 0}
    trials = 60
    for seed in range(trials):
        hits["random"] += bool((dm.train_set[(0, seed, -1)]["mask"] == belt).any())
        sample = dm.train_set[(0, seed, belt)]
        hits["centred"] += bool((sample["mask"] == belt).any())
        assert torch.equal(sample["mask"], dm.train_set[(0, seed, belt)]["mask"])  # a key fixes the sample
    assert hits["centred"] == trials and hits["random"] < trials * 0.8
