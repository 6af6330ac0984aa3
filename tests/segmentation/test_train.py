"""``fast_dev_run`` of both DeepLab experiments on the tiny generated set."""

from __future__ import annotations

import pytest
from tiny_modanet import tiny_modanet, tiny_overrides  # noqa: F401  (fixture)

from stylist.cli.train import train_from_config


@pytest.mark.parametrize("experiment", ["deeplab_modanet", "deeplab_modanet_cpu", "deeplab_modanet_cpu512"])
def test_fast_dev_run(compose_cfg, tiny_modanet, tmp_path, experiment):
    overrides = [f"+experiment={experiment}", "trainer.fast_dev_run=true", "trainer.accelerator=cpu",
                 "trainer.precision=32-true", *tiny_overrides(tiny_modanet, tmp_path)]  # fmt: skip
    if "_cpu" in experiment:
        overrides += ["data.feature_cache.size=[64,48]", f"data.feature_cache.dir={tmp_path / 'features'}"]
    if experiment.endswith("512"):
        overrides += ["data.feature_cache.crop=[48,32]"]
    metrics = train_from_config(compose_cfg("train", overrides))
    assert metrics["train/loss"] > 0
    assert 0.0 <= metrics["val/miou"] <= 1.0
