"""``fast_dev_run`` of both DeepLab experiments on the tiny generated set."""

from __future__ import annotations

import re

import pytest
from tiny_modanet import tiny_modanet, tiny_overrides  # noqa: F401  (fixture)

from stylist.cli import user_error
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


@pytest.mark.parametrize(
    "override, message",
    [
        ("data.crop_size=abc", r"data.crop_size must be \[height, width\]"),
        ("data.crop_size=[64,40]", "data.crop_size must be multiples of 16"),
        ("data.long_side=abc", "data.long_side must be a whole number >= 16"),
        ("data.scale_range=[1.5,0.5]", "data.scale_range must be"),
        (r"data.val_fraction=1", r"data.val_fraction must be a number in \[0, 1\)"),
    ],
)
def test_bad_data_geometry_is_refused_before_the_feature_cache(compose_cfg, tiny_modanet, tmp_path, override, message):
    # with a feature cache, these were found only after the cache was built (minutes to hours), or never
    overrides = ["+experiment=deeplab_modanet_cpu", "trainer.fast_dev_run=true", *tiny_overrides(tiny_modanet, tmp_path),
                 f"data.feature_cache.dir={tmp_path / 'features'}", override]  # fmt: skip
    with pytest.raises(Exception) as raised:  # Hydra wraps errors raised while instantiating
        train_from_config(compose_cfg("train", overrides))
    assert re.search(message, user_error(raised.value) or "")
    assert not (tmp_path / "features").exists()
