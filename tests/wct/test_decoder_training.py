"""Decoder training through the real experiment config: a chunked run (stopped mid-epoch and
resumed with ckpt_path=last) ends with exactly the weights of an uninterrupted one."""

import torch
from conftest import compose_config
from hydra.core.global_hydra import GlobalHydra

from stylist.cli.train import train_from_config

TINY = [
    "backbone.weights=random",
    "logger=none",
    "data.train=[astronaut,chelsea,coffee]",
    "data.val=[]",
    "data.crop_size=32",
    "data.resize=40",
    "data.batch_size=2",
    "model.levels=[1,3]",
    "model.init=null",
    "model.optimizer.lr=1e-2",
    "~callbacks.progress_bar",
    "~callbacks.lr_monitor",
    "trainer.enable_progress_bar=false",
    "callbacks.model_checkpoint.every_n_train_steps=1",
]


def _train(output_dir, max_steps, resume=False):
    overrides = ["+experiment=wct_unpool_cpu", f"trainer.max_steps={max_steps}", *TINY]
    try:
        train_from_config(compose_config("train", overrides + (["ckpt_path=last"] if resume else []), output_dir))
    finally:
        GlobalHydra.instance().clear()
    state = torch.load(output_dir / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    return {k: v for k, v in state["state_dict"].items() if k.startswith("decoders.")}, state["global_step"]


def test_chunked_training_resumes_exactly(tmp_path):
    straight, steps = _train(tmp_path / "straight", 5)
    assert steps == 5
    first, first_steps = _train(tmp_path / "chunked", 2)  # 2 batches of 2 from 3 photos: stops mid-epoch
    resumed, steps = _train(tmp_path / "chunked", 5, resume=True)
    assert first_steps == 2 and steps == 5
    assert straight.keys() == resumed.keys() and any(k.endswith(".unpool") for k in straight)
    for name, value in straight.items():
        assert torch.equal(value, resumed[name]), name
    assert not torch.equal(first["decoders.relu3_1.net.1.weight"], resumed["decoders.relu3_1.net.1.weight"])
