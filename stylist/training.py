"""``TrainingModule``: the Lightning base of every trained method (Johnson, WCT decoders, segmentation).

It builds the optimiser from a partial (``conf/model/*.yaml``: ``optimizer: {_target_: torch.optim.Adam,
_partial_: true, lr: ...}``) over :meth:`~TrainingModule.parameter_groups`, a group's ``lr_scale``
multiplying its learning rate, with an optional partial LR scheduler stepped every step; and
:meth:`~TrainingModule.log_image_grid` writes images to every logger that takes them (TensorBoard).
With ``channels_last=True`` the module and every 4-D tensor of its batches are put in channels-last
memory format at the start of fitting: with ``trainer.precision=bf16-mixed`` on a CPU with AMX,
oneDNN's bf16 convolutions need that layout to be fast (about 3x for the WCT decoders' training step).
"""

from __future__ import annotations

import warnings
from typing import Any, Callable, Sequence

import pytorch_lightning as pl
import torch
import torch.nn.functional as F

from stylist.utils import StylistError

__all__ = ["TrainingModule"]

# Lightning warns whenever a module overrides a batch hook while a datamodule is used; ours only
# changes the memory format, which is what we want with any datamodule.
warnings.filterwarnings("ignore", message="You have overridden `on_after_batch_transfer`")


class TrainingModule(pl.LightningModule):
    """A ``LightningModule`` with its optimiser from partials and image grids for the loggers.

    Args:
        optimizer: optimiser factory taking the parameter groups (``_partial_`` Adam...).
        scheduler: optional LR scheduler factory taking the optimiser, stepped every step.
        channels_last: train in channels-last memory format (module and image batches).
    """

    def __init__(
        self,
        optimizer: Callable[..., torch.optim.Optimizer] = torch.optim.Adam,
        scheduler: Callable[..., Any] | None = None,
        channels_last: bool = False,
    ) -> None:
        super().__init__()
        self.optimizer_factory, self.scheduler_factory = optimizer, scheduler
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format

    def on_fit_start(self) -> None:
        if self.memory_format is torch.channels_last:
            self.to(memory_format=torch.channels_last)

    def on_after_batch_transfer(self, batch: Any, dataloader_idx: int) -> Any:
        """4-D tensors of a batch (a tensor, or in a dict / list / tuple) in the module's memory format."""
        if self.memory_format is torch.contiguous_format:
            return batch
        if isinstance(batch, torch.Tensor):
            return batch.contiguous(memory_format=self.memory_format) if batch.dim() == 4 else batch
        if isinstance(batch, dict):
            return {key: self.on_after_batch_transfer(value, dataloader_idx) for key, value in batch.items()}
        if isinstance(batch, (list, tuple)):
            return type(batch)(self.on_after_batch_transfer(value, dataloader_idx) for value in batch)
        return batch

    def parameter_groups(self) -> list[dict[str, Any]]:
        """The optimiser's parameter groups (hook): ``{"params": [...]}`` dicts, optionally with an
        ``lr_scale`` multiplying the group's learning rate. Default: every trainable parameter."""
        return [{"params": [p for p in self.parameters() if p.requires_grad]}]

    def make_scheduler(self, optimizer: torch.optim.Optimizer) -> Any:
        """The LR scheduler of ``optimizer`` (hook; called only with a ``scheduler`` factory)."""
        return self.scheduler_factory(optimizer)

    def configure_optimizers(self) -> Any:
        groups = [dict(group) for group in self.parameter_groups()]
        scales = [group.pop("lr_scale", 1.0) for group in groups]
        try:
            optimizer = self.optimizer_factory(groups)
        except ValueError as err:  # torch.optim's own checks, e.g. "Invalid learning rate: -1"
            raise StylistError(f"model.optimizer: {err}") from None
        for group, scale in zip(optimizer.param_groups, scales):
            group["lr"] *= scale
        if self.scheduler_factory is None:
            return optimizer
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": self.make_scheduler(optimizer), "interval": "step"}}

    def log_image_grid(self, tag: str, images: Sequence[torch.Tensor], nrow: int = 1) -> None:
        """Write ``images`` (``3 x H x W`` each, sizes may differ: padded white to the largest) as one
        grid of ``nrow`` per row to every logger with ``add_image``, at the current global step."""
        if len(images) == 0:
            return
        from torchvision.utils import make_grid

        height, width = max(i.shape[-2] for i in images), max(i.shape[-1] for i in images)
        padded = [F.pad(i.detach().float().cpu(), (0, width - i.shape[-1], 0, height - i.shape[-2]), value=1.0)
                  for i in images]  # fmt: skip
        grid = make_grid(padded, nrow=nrow, padding=4, pad_value=1.0).clamp(0, 1)
        for logger in self.loggers:
            experiment = getattr(logger, "experiment", None)
            if hasattr(experiment, "add_image"):
                experiment.add_image(tag, grid, self.global_step)
