"""Every config group option and every experiment composes, and every ``_target_`` imports."""

from pathlib import Path

import pytest
from hydra.utils import get_object, instantiate
from omegaconf import DictConfig, ListConfig, OmegaConf

from stylist.cli import CONFIG_DIR

CONF = Path(CONFIG_DIR)
EXPERIMENTS = sorted(p.stem for p in (CONF / "experiment").glob("*.yaml"))
STYLIZE_EXPERIMENT_PREFIXES = ("gatys_",)


def _targets(node):
    if isinstance(node, DictConfig):
        if "_target_" in node:
            yield node._target_
        for value in node.values():
            yield from _targets(value)
    elif isinstance(node, ListConfig):
        for value in node:
            yield from _targets(value)


def _root_for(experiment: str) -> str:
    return "stylize" if experiment.startswith(STYLIZE_EXPERIMENT_PREFIXES) else "train"


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_experiment_composes_and_targets_import(compose_cfg, experiment):
    text = (CONF / "experiment" / f"{experiment}.yaml").read_text()
    assert text.startswith("# @package _global_"), "experiment files start with '# @package _global_'"
    cfg = compose_cfg(_root_for(experiment), [f"+experiment={experiment}"])
    OmegaConf.to_container(cfg, resolve=False)
    for target in _targets(cfg):
        assert get_object(target) is not None


@pytest.mark.parametrize("name", ["stylize", "train"])
def test_primary_configs_compose(compose_cfg, name):
    cfg = compose_cfg(name)
    for target in _targets(cfg):
        get_object(target)


@pytest.mark.parametrize("option", sorted(p.stem for p in (CONF / "trainer").glob("*.yaml")))
def test_trainer_options_instantiate(compose_cfg, option):
    cfg = compose_cfg("train", [f"trainer={option}", "trainer.devices=1", "trainer.accelerator=cpu"])
    trainer = instantiate(cfg.trainer, strategy="auto", logger=False, enable_checkpointing=False)
    assert trainer.max_epochs == cfg.trainer.max_epochs


def test_backbone_loss_and_method_instantiate(compose_cfg):
    cfg = compose_cfg("stylize", ["backbone.weights=random"])
    encoder = instantiate(cfg.backbone)
    loss = instantiate(cfg.loss)(encoder=encoder)
    assert loss.content_layers == ["relu2_2"]
    assert callable(instantiate(cfg.method))


@pytest.mark.parametrize("group", ["callbacks", "logger"])
def test_callbacks_and_loggers_instantiate(compose_cfg, group):
    cfg = compose_cfg("train")
    for node in (cfg.get(group) or {}).values():
        assert instantiate(node) is not None
