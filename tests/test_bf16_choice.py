"""CPU experiments choose bf16 only where the CPU runs it natively (emulated bf16 is slower than float32)."""

from __future__ import annotations

import logging

import pytest
from hydra import compose, initialize_config_dir

from stylist import utils
from stylist.cli import CONFIG_DIR


@pytest.mark.parametrize("fast, precision, channels_last", [(True, "bf16-mixed", True), (False, "32-true", False)])
def test_cpu_experiments_follow_the_cpu(monkeypatch: pytest.MonkeyPatch, fast: bool, precision: str, channels_last: bool) -> None:
    monkeypatch.setattr(utils, "cpu_has_fast_bf16", lambda: fast)
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        seg = compose(config_name="train", overrides=["+experiment=deeplab_modanet_cpu512"])
        johnson = compose(config_name="train", overrides=["+experiment=johnson_paintings_cpu"])
        wct = compose(config_name="train", overrides=["+experiment=wct_unpool_cpu"])
    assert seg.trainer.precision == precision and seg.model.channels_last is channels_last
    assert johnson.trainer.precision == precision and johnson.model.channels_last is channels_last
    assert wct.trainer.precision == precision and wct.model.channels_last is channels_last
    assert seg.data.feature_cache.bf16 is channels_last


def test_slow_bf16_is_warned(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(utils, "cpu_has_fast_bf16", lambda: False)
    with caplog.at_level(logging.WARNING):
        utils.warn_if_slow_bf16("Segmenter(bf16=True)")
    assert "slower than float32" in caplog.text
    caplog.clear()
    monkeypatch.setattr(utils, "cpu_has_fast_bf16", lambda: True)
    with caplog.at_level(logging.WARNING):
        utils.warn_if_slow_bf16("Segmenter(bf16=True)")
    assert caplog.text == ""
