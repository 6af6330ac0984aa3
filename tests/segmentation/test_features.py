"""The frozen-feature cache: built once, reused, one random orientation per training sample."""

from __future__ import annotations

import torch
from tiny_modanet import tiny_modanet  # noqa: F401  (fixture)

from stylist.segmentation.datamodule import ModaNetDataModule
from stylist.segmentation.encoder import VGG16Encoder


def test_cache_is_built_once_and_matches_the_encoder(tiny_modanet, tmp_path):
    spec = {"weights": "random", "freeze_until": "pool4", "size": [64, 48], "dir": str(tmp_path / "features")}
    dm = ModaNetDataModule(root=str(tiny_modanet["root"]), annotations=str(tiny_modanet["annotations"]),
                           val_fraction=0.34, long_side=64, batch_size=2, mask_cache_dir=str(tmp_path / "masks"),
                           feature_cache=spec)  # fmt: skip
    dm.prepare_data()
    folders = [f for f, _, _ in dm._cache_folders().values()]
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
