"""``ChunkStop``: end one process's share (a chunk) of a long training run at a resumable checkpoint.

A run of several CPU hours goes in chunks: each ``python -m stylist.train ... ckpt_path=last``
process trains until its chunk budget (wall minutes or optimiser steps) is spent, then goes on to
the next periodic checkpoint step (a multiple of ``every_n_steps``, the ModelCheckpoint interval),
where ``ModelCheckpoint`` writes ``last.ckpt``, and stops there; the next process resumes from it.
Unlike ``trainer.max_time``/``max_steps`` the budget does not change the run itself: the learning
rate schedule still spans the whole ``max_epochs``, and a chunk never ends between checkpoints.
"""

from __future__ import annotations

import time
from typing import Any

import pytorch_lightning as pl
from pytorch_lightning.callbacks import Callback

from stylist.utils import StylistError, get_logger

__all__ = ["ChunkStop"]

log = get_logger(__name__)


class ChunkStop(Callback):
    """Stop at the first checkpoint step after ``max_minutes`` of training or ``max_steps`` steps.

    Args:
        every_n_steps: the ModelCheckpoint interval (``callbacks.model_checkpoint.every_n_train_steps``).
        max_minutes: wall-clock budget of this chunk (``None``: unlimited).
        max_steps: step budget of this chunk (``None``: unlimited).
    """

    def __init__(self, every_n_steps: int, max_minutes: float | None = None, max_steps: int | None = None) -> None:
        if every_n_steps < 1:
            raise StylistError(f"ChunkStop needs the checkpoint interval (>= 1 step), got {every_n_steps}")
        self.every_n_steps, self.max_minutes, self.max_steps = int(every_n_steps), max_minutes, max_steps
        self._start_time, self._start_step = 0.0, 0

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._start_time, self._start_step = time.perf_counter(), trainer.global_step

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, *args: Any) -> None:
        minutes = (time.perf_counter() - self._start_time) / 60
        steps = trainer.global_step - self._start_step
        spent = (self.max_minutes is not None and minutes >= self.max_minutes) or (
            self.max_steps is not None and steps >= self.max_steps)  # fmt: skip
        if spent and trainer.global_step % self.every_n_steps == 0:
            log.info("chunk done after %d steps (%.1f min) at step %d: resume with ckpt_path=last",
                     steps, minutes, trainer.global_step)  # fmt: skip
            trainer.should_stop = True
