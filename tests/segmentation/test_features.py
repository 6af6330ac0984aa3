"""The frozen-feature cache: built once, reused, random scale / orientation / aligned crop per training sample."""

from __future__ import annotations

import pytest
import torch
from tiny_modanet import tiny_modanet  # noqa: F401  (fixture)

from stylist.segmentation.datamodule import ModaNetDataModule
from stylist.segmentation.encoder import VGG16Encoder
from stylist.segmentation.features import CachedFeatures, build_feature_cache
from stylist.utils import StylistError


def _datamodule(tiny_modanet, tmp_path, scales, **options):
    spec = {"weights": "random", "freeze_until": "pool4", "size": [64, 48], "scales": scales,
            "dir": str(tmp_path / "features"), **options}  # fmt: skip
    return ModaNetDataModule(root=str(tiny_modanet["root"]), annotations=str(tiny_modanet["annotations"]),
                             val_fraction=0.34, long_side=64, batch_size=2, mask_cache_dir=str(tmp_path / "masks"),
                             feature_cache=spec)  # fmt: skip


def test_cache_is_built_once_and_matches_the_encoder(tiny_modanet, tmp_path):
    dm = _datamodule(tiny_modanet, tmp_path, scales=[1.0])
    dm.prepare_data()
    folders = [c[0] for caches in dm.cache_specs().values() for c in caches]
    stamps = [(f / "meta.json").stat().st_mtime_ns for f in folders]
    dm.prepare_data()  # reused, not rebuilt
    assert [(f / "meta.json").stat().st_mtime_ns for f in folders] == stamps
    dm.setup("fit")
    assert len(dm.train_set) == 4 and len(dm.val_set) == 2  # one sample per photo
    sample = dm.val_set[0]
    assert sample["low"].shape == (128, 16, 12) and sample["high"].shape == (512, 4, 3) and "image" in sample
    encoder = VGG16Encoder(output_stride=16).load_vgg("random")
    encoder.freeze("pool4")
    low, high = encoder.frozen_features(sample["image"][None])
    torch.testing.assert_close(sample["high"], high[0], atol=2e-2, rtol=2e-2)  # float16 storage


def test_bf16_cache_is_its_own_and_close_to_float32(tiny_modanet, tmp_path):
    exact, fast = _datamodule(tiny_modanet, tmp_path, [1.0]), _datamodule(tiny_modanet, tmp_path, [1.0], bf16=True)
    for dm in (exact, fast):
        dm.prepare_data()
        dm.setup("fit")
    folders = [{c.folder for caches in dm.cache_specs().values() for c in caches} for dm in (exact, fast)]
    assert not folders[0] & folders[1]  # a bf16 cache never replaces (or is mistaken for) a float32 one
    a, b = exact.val_set[0]["high"], fast.val_set[0]["high"]
    assert not torch.equal(a, b)  # really computed under bf16
    assert (a - b).norm() / a.norm() < 0.05


def test_training_samples_mix_scales_at_the_base_size(tiny_modanet, tmp_path):
    dm = _datamodule(tiny_modanet, tmp_path, scales=[1.0, 1.5])
    dm.prepare_data()
    dm.setup("fit")
    assert [c[3] for c in dm.cache_specs()["train"]] == [[64, 48], [96, 80]]  # rounded up to multiples of 16
    torch.manual_seed(0)
    masks = [dm.train_set[0]["mask"] for _ in range(40)]
    assert {tuple(m.shape) for m in masks} == {(64, 48)}
    labelled = {int((m < 255).sum()) for m in masks}  # the 1.5x canvas holds more labelled pixels per window
    assert len(labelled) > 2


def test_crops_stay_aligned_across_strides(tiny_modanet, tmp_path):
    dm = _datamodule(tiny_modanet, tmp_path, scales=[1.0])
    dm.prepare_data()
    folder = dm.cache_specs()["val"][0][0]
    full = CachedFeatures(folder)[0]
    cropped = CachedFeatures(folder, crop=[32, 32])
    torch.manual_seed(1)
    offsets = set()
    for _ in range(12):
        sample = cropped[0]
        top, left = next((t, l) for t in range(0, 33, 16) for l in range(0, 17, 16)
                         if torch.equal(full["image"][:, t : t + 32, l : l + 32], sample["image"]))  # fmt: skip
        offsets.add((top, left))
        assert torch.equal(sample["high"], full["high"][:, top // 16 : top // 16 + 2, left // 16 : left // 16 + 2])
        assert torch.equal(sample["low"], full["low"][:, top // 4 : top // 4 + 8, left // 4 : left // 4 + 8])
        assert torch.equal(sample["mask"], full["mask"][top : top + 32, left : left + 32])
    assert len(offsets) > 1
    with pytest.raises(StylistError, match="multiples of 16"):
        CachedFeatures(folder, crop=[30, 32])


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


def test_two_builders_of_one_cache_do_not_break_each_other(tiny_modanet, tmp_path):
    """Two training stages started side by side build the same cache: each builds in its own
    temporary folder, the first to finish wins, the other drops its copy (it used to delete the
    other's half-written files and fail on a missing folder). Leftovers of dead builders go."""
    dm = _datamodule(tiny_modanet, tmp_path, scales=[1.0])
    cache = dm.cache_specs()["train"][0]
    records = [cache.dataset.annotations.images[i] for i in cache.dataset.ids]
    settings = {"size": cache.size, "weights": cache.weights, "freeze_until": cache.freeze_until, "flips": True,
                "keep_images": False}  # fmt: skip
    cache.folder.parent.mkdir(parents=True)
    dead = [cache.folder.with_name(cache.folder.name + suffix) for suffix in (".partial", ".partial-999999999-0a1b")]
    for folder in dead:
        folder.mkdir()
    calls = []

    def load_while_another_builds(record):
        if not calls:  # the other builder runs start to finish while this one is at its first image
            build_feature_cache(cache.folder, records, cache.dataset.load, **settings)
        calls.append(record)
        return cache.dataset.load(record)

    build_feature_cache(cache.folder, records, load_while_another_builds, **settings)
    assert len(calls) == len(records)  # this builder ran to the end too
    assert sorted(p.name for p in cache.folder.parent.iterdir()) == [cache.folder.name]  # no partial folders left
    sample = CachedFeatures([cache.folder])[0]
    assert sample["high"].shape == (512, 4, 3) and torch.isfinite(sample["high"]).all()
