"""``fast_dev_run`` of every Johnson experiment config, with data pointed at a tiny folder."""

import re
from pathlib import Path

import pytest
import torch

from stylist.cli import CONFIG_DIR, user_error
from stylist.cli.train import train_from_config
from stylist.utils import StylistError

EXPERIMENTS = sorted(p.stem for p in (Path(CONFIG_DIR) / "experiment").glob("johnson_*.yaml"))
TINY = [
    "trainer.accelerator=cpu", "trainer.precision=32-true", "trainer.fast_dev_run=true",
    "backbone.weights=random", "model.serve_size=64", "model.init_from=null",
    "model.net.width=4", "model.net.blocks=1",
    "data.patterns=[*.png]", "data.samples=[]", "data.size=32", "data.batch_size=2", "data.num_workers=0",
    "data.val_images=[chelsea]", "data.val_size=32",
]


def test_every_johnson_experiment_is_found():
    assert {"johnson_starry", "johnson_seed", "johnson_starry_cpu", "johnson_paintings_cpu"} <= set(EXPERIMENTS)


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_fast_dev_run(compose_cfg, tiny_folder, experiment):
    multi = "paintings" in experiment  # multi-style: one style image per conditional-norm slot
    style = "model.style=[swirls,chelsea,coffee]" if multi else "model.style=swirls"
    cfg = compose_cfg("train", [f"+experiment={experiment}", f"data.root={tiny_folder}", style, *TINY])
    metrics = train_from_config(cfg)
    assert metrics["train/total"] > 0


@pytest.mark.skipif(torch.cuda.is_available(), reason="the check is for machines without a CUDA GPU")
def test_gpu_experiment_without_a_gpu_is_one_clear_error(compose_cfg):
    cfg = compose_cfg("train", ["+experiment=johnson_starry"])
    assert cfg.trainer.accelerator == "gpu"
    expected = "no CUDA GPU: add trainer=cpu, or run +experiment=johnson_starry_cpu"
    with pytest.raises(StylistError, match=re.escape(expected)):
        train_from_config(cfg)


@pytest.mark.parametrize(
    "override, message",
    [
        ("trainer.max_steps=abc", "trainer.max_steps must be a whole number"),  # was a TypeError in Lightning
        ("seed=abc", "seed must be a whole number >= 0"),  # was Lightning's int() ValueError
        ("model.net.width=abc", "width must be a whole number >= 1"),  # was a TypeError in TransformerNet
        ("model.serve_size=abc", "serve_size must be a whole number >= 16"),  # was a TypeError in style_size
        ("data.batch_size=0", "data.batch_size must be a whole number >= 1"),  # was a DataLoader ValueError mid-fit
        ("model.optimizer.lr=-1", "model.optimizer: Invalid learning rate: -1"),  # was torch.optim's traceback
    ],
)
def test_bad_training_settings_are_one_clear_error(compose_cfg, tiny_folder, override, message):
    overrides = ["+experiment=johnson_starry_cpu", f"data.root={tiny_folder}", "model.style=swirls", *TINY, override]
    with pytest.raises(Exception) as raised:  # Hydra wraps errors raised while instantiating
        train_from_config(compose_cfg("train", overrides))
    assert re.search(message, user_error(raised.value) or "")  # the one line the CLI prints
