"""``JohnsonModule``: trains a :class:`~stylist.johnson.model.TransformerNet` for one style with
the perceptual loss of Johnson et al. (2016).

Per batch of content crops ``x`` with output ``y = T(x)``:
``L = a * mean((phi_relu2_2(y) - phi_relu2_2(x))^2)
+ b * mean_l mean((G(phi_l(y)) - G(phi_l(s)))^2) + t * TV(y)``, ``l`` in relu1_2, relu2_2, relu3_3,
relu4_3, ``G(F) = F F^T / (C H W)`` (see :mod:`stylist.losses`). The style Grams ``G(phi_l(s))`` are
computed once at construction (non-persistent buffers of the loss).

Logs ``train/{total,content,style,tv}`` every step, ``val/*`` and a grid of (content, stylised)
validation pairs at each validation (``trainer.val_check_interval`` = every N steps).
Checkpoints leave out the frozen VGG weights (restored from the live encoder on load).
"""

from __future__ import annotations

from typing import Any, Callable

import pytorch_lightning as pl
import torch
from torch import nn

from stylist.image import load_image
from stylist.johnson.model import TransformerNet
from stylist.losses import PerceptualLoss

__all__ = ["JohnsonModule"]

_ENCODER_PREFIX = "loss.encoder."


class JohnsonModule(pl.LightningModule):
    """Lightning module for fast style transfer.

    Args:
        net: the network to train.
        loss: ``PerceptualLoss`` factory taking ``encoder=`` (a Hydra partial of
            ``conf/loss/johnson.yaml``).
        encoder: the frozen VGG16 encoder (``conf/backbone``).
        style: style image name or path (``starry_night``...).
        style_size: longest side of the style image when its Grams are computed, px.
        optimizer: optimizer factory taking the parameters (``_partial_`` Adam).
        scheduler: optional LR scheduler factory taking the optimizer.
    """

    def __init__(
        self,
        net: TransformerNet,
        loss: Callable[..., PerceptualLoss],
        encoder: nn.Module,
        style: str = "starry_night",
        style_size: int | None = 512,
        optimizer: Callable[..., torch.optim.Optimizer] = torch.optim.Adam,
        scheduler: Callable[..., Any] | None = None,
    ):
        super().__init__()
        self.save_hyperparameters(ignore=["net", "loss", "encoder", "optimizer", "scheduler"])
        self.net = net
        self.loss = loss(encoder=encoder)
        self.loss.set_style(load_image(style, size=style_size))
        self.optimizer_factory, self.scheduler_factory = optimizer, scheduler
        self._val_pairs: list[torch.Tensor] = []

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.net(image)

    def _step(self, content: torch.Tensor, stage: str) -> tuple[torch.Tensor, torch.Tensor]:
        self.loss.set_content(content)
        output = self.net(content)
        terms = self.loss(output)
        self.log_dict(
            {f"{stage}/{key}": value for key, value in vars(terms).items()},
            prog_bar=stage == "train",
            batch_size=content.shape[0],
            on_step=stage == "train",
            on_epoch=stage != "train",
        )
        return terms.total, output

    def training_step(self, batch: torch.Tensor, batch_idx: int) -> torch.Tensor:
        total, _ = self._step(batch, "train")
        return total

    def validation_step(self, batch: torch.Tensor, batch_idx: int) -> None:
        _, output = self._step(batch, "val")
        self._val_pairs.append(torch.cat([batch[0], output[0].detach()], dim=-1).cpu())

    def on_validation_epoch_end(self) -> None:
        pairs, self._val_pairs = self._val_pairs, []
        if not pairs:
            return
        from torchvision.utils import make_grid

        width = max(p.shape[-1] for p in pairs)
        height = max(p.shape[-2] for p in pairs)
        padded = [nn.functional.pad(p, (0, width - p.shape[-1], 0, height - p.shape[-2]), value=1.0) for p in pairs]
        grid = make_grid(padded, nrow=1, padding=4, pad_value=1.0)
        for logger in self.loggers:
            experiment = getattr(logger, "experiment", None)
            if hasattr(experiment, "add_image"):
                experiment.add_image("val/stylized", grid, self.global_step)

    def configure_optimizers(self) -> Any:
        optimizer = self.optimizer_factory(self.net.parameters())
        if self.scheduler_factory is None:
            return optimizer
        scheduler = self.scheduler_factory(optimizer)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        state = checkpoint["state_dict"]
        for key in [k for k in state if k.startswith(_ENCODER_PREFIX)]:
            del state[key]
        checkpoint["transformer"] = {"width": self.net.width, "blocks": self.net.blocks}

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        state = checkpoint["state_dict"]
        for key, value in self.loss.encoder.state_dict().items():
            state.setdefault(_ENCODER_PREFIX + key, value)
