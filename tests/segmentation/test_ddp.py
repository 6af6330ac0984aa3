"""Two-process CPU data-parallel training through Lightning's DDP (``trainer=ddp``, gloo)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from tiny_modanet import tiny_modanet, tiny_overrides  # noqa: F401  (fixture)

from stylist.cli import REPO_ROOT


@pytest.mark.slow
def test_ddp_two_cpu_processes(tiny_modanet, tmp_path):
    command = [
        sys.executable, "-m", "stylist.train", "+experiment=deeplab_modanet_cpu", "trainer=ddp",
        "trainer.accelerator=cpu", "trainer.devices=2", "trainer.max_steps=2", "trainer.limit_val_batches=1",
        "trainer.enable_progress_bar=false", *tiny_overrides(tiny_modanet, tmp_path),
        "data.feature_cache.size=[64,48]", f"data.feature_cache.dir={tmp_path / 'features'}", "callbacks=default", "~callbacks.lr_monitor",
        "~callbacks.progress_bar",
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "MEMBER: 2/2" in output, output[-3000:]
    assert (tmp_path / "outputs" / "train" / "deeplab_modanet_cpu" / "checkpoints" / "last.ckpt").is_file()
