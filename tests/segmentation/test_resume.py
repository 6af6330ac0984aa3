"""Chunked training: a run stopped by ``ChunkStop`` mid-epoch and resumed with ``ckpt_path=last``
ends with exactly the weights of the same run done in one go."""

from __future__ import annotations

import pytest
import torch
from conftest import compose_config
from hydra.core.global_hydra import GlobalHydra
from tiny_modanet import tiny_modanet, tiny_overrides  # noqa: F401  (fixture)

from stylist.cli.train import train_from_config


def _overrides(tiny_modanet, tmp_path, name, extra):
    return ["+experiment=deeplab_modanet_cpu", *tiny_overrides(tiny_modanet, tmp_path / name), "callbacks=default",
            "~callbacks.lr_monitor", "~callbacks.progress_bar", "trainer.max_epochs=3", "trainer.enable_progress_bar=false",
            "data.feature_cache.size=[64,48]", f"data.feature_cache.dir={tmp_path / 'features'}",
            "data.balanced_fraction=0.5", "model.net.aspp_dropout=0.5",
            "callbacks.model_checkpoint.every_n_train_steps=1",
            "+callbacks.chunk_stop._target_=stylist.segmentation.chunks.ChunkStop", "+callbacks.chunk_stop.every_n_steps=1",
            *extra]  # fmt: skip


def _train(tiny_modanet, tmp_path, name, extra):
    try:
        train_from_config(compose_config("train", _overrides(tiny_modanet, tmp_path, name, extra), tmp_path / name))
    finally:
        GlobalHydra.instance().clear()


def _weights(path):
    state = torch.load(path, map_location="cpu", weights_only=False)
    return state["global_step"], state["state_dict"]


@pytest.mark.slow
def test_chunked_run_resumes_exactly(tiny_modanet, tmp_path):
    # 4 training photos, batch 2: 2 steps per epoch, 6 in all; the chunk stops after step 3 (mid-epoch)
    _train(tiny_modanet, tmp_path, "whole", [])
    _train(tiny_modanet, tmp_path, "chunks", ["+callbacks.chunk_stop.max_steps=3"])
    step, _ = _weights(tmp_path / "chunks" / "checkpoints" / "last.ckpt")
    assert step == 3
    initial = _weights(tmp_path / "chunks" / "checkpoints" / "last.ckpt")[1]
    _train(tiny_modanet, tmp_path, "chunks", ["ckpt_path=last"])
    whole_step, whole = _weights(tmp_path / "whole" / "checkpoints" / "last.ckpt")
    chunk_step, chunked = _weights(tmp_path / "chunks" / "checkpoints" / "last.ckpt")
    assert whole_step == chunk_step == 6
    assert whole.keys() == chunked.keys()
    for key in whole:
        torch.testing.assert_close(chunked[key], whole[key], rtol=0, atol=0, msg=key)
    # the second chunk did train: the comparison is not between two copies of the step-3 weights
    assert any(not torch.equal(initial[k], v) for k, v in whole.items())
