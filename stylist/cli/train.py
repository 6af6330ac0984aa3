"""``python -m stylist.train +experiment=<name>``: build data, model, callbacks, loggers and trainer
from the config, fit (resuming with ``ckpt_path=last``), optionally test, and return a metric for sweeps.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import hydra
import pytorch_lightning as pl
import torch
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from stylist.cli import CONFIG_DIR, user_errors_exit
from stylist.utils import StylistError, check_whole_number

log = logging.getLogger("stylist.train")


def instantiate_group(group: DictConfig | None) -> list[Any]:
    """Instantiate every ``_target_`` entry of a config group like ``callbacks`` or ``logger``."""
    if not group:
        return []
    return [instantiate(node) for node in group.values() if isinstance(node, DictConfig) and "_target_" in node]


def train_from_config(cfg: DictConfig) -> dict[str, float]:
    """Fit (and optionally test) the configured model; returns the trainer's final metrics."""
    if cfg.get("model") is None or cfg.get("data") is None:
        experiments = sorted(path.stem for path in (Path(CONFIG_DIR) / "experiment").glob("*.yaml"))
        raise StylistError(f"choose an experiment: python -m stylist.train +experiment=<name>, one of {experiments}")
    check_trainer(cfg)
    pl.seed_everything(check_whole_number("seed", cfg.seed, 0), workers=True)
    datamodule: pl.LightningDataModule = instantiate(cfg.data)
    model: pl.LightningModule = instantiate(cfg.model)
    trainer: pl.Trainer = instantiate(
        cfg.trainer, callbacks=instantiate_group(cfg.get("callbacks")), logger=instantiate_group(cfg.get("logger")) or False
    )
    for logger in trainer.loggers:
        logger.log_hyperparams(OmegaConf.to_container(cfg, resolve=True))
    if cfg.train:
        ckpt_path = cfg.ckpt_path
        if ckpt_path == "last" and not _has_last_checkpoint(trainer):
            raise StylistError(f"ckpt_path=last: no checkpoint to resume in {cfg.paths.output_dir}/train/{cfg.task_name}")
        # our own checkpoints hold Hydra partials (optimizer, scheduler): not loadable with weights_only=True
        trainer.fit(model, datamodule=datamodule, ckpt_path=ckpt_path, weights_only=False)
    if cfg.test:
        trainer.test(model, datamodule=datamodule, ckpt_path=None)
    metrics = {k: float(v) for k, v in trainer.callback_metrics.items()}
    log.info("final metrics: %s", metrics)
    return metrics


def check_trainer(cfg: DictConfig) -> None:
    """Trainer settings that Lightning would refuse only after the data and model were built, or in
    its own words: ``max_steps``/``max_epochs`` not whole numbers (``-1``: no limit), and a GPU
    trainer (``trainer=gpu``, the paper-scale experiments) on a machine without a CUDA GPU (Lightning:
    "No supported gpu backend found!"), which names the experiment's CPU config if it has one."""
    for key in ("max_steps", "max_epochs"):
        if cfg.trainer.get(key) is not None:
            check_whole_number(f"trainer.{key}", cfg.trainer.get(key), -1, " (-1: no limit)")
    accelerator = str(cfg.trainer.get("accelerator", "auto"))
    if accelerator in ("gpu", "cuda") and not torch.cuda.is_available():
        cpu_config = f"{cfg.get('task_name')}_cpu"
        has_cpu_config = (Path(CONFIG_DIR) / "experiment" / f"{cpu_config}.yaml").is_file()
        hint = f"+experiment={cpu_config}" if has_cpu_config else "a *_cpu experiment"
        raise StylistError(
            f"trainer.accelerator={accelerator} but this machine has no CUDA GPU: add trainer=cpu, or run {hint}"
        )


def _has_last_checkpoint(trainer: pl.Trainer) -> bool:
    checkpoint = trainer.checkpoint_callback
    dirpath = getattr(checkpoint, "dirpath", None)
    return bool(dirpath) and (Path(dirpath) / "last.ckpt").is_file()


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="train")
@user_errors_exit
def main(cfg: DictConfig) -> float | None:
    metrics = train_from_config(cfg)
    return metrics.get(cfg.optimized_metric) if cfg.optimized_metric else None


if __name__ == "__main__":
    main()
