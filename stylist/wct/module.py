"""LightningModule that trains the WCT decoders to invert the frozen VGG16 encoder.

For each level ``k`` with encoder features ``F_k = E_k(x)`` and reconstruction ``y = D_k(F_k)``:

    L_k = mean((y - x)^2) + lambda * mean((E_k(y) - F_k)^2) / mean(F_k^2) + mu * (1 - SSIM(y, x))

(pixel reconstruction plus a feature loss, Li et al. 2017, Eq. 1; the feature term is divided by
the mean squared target feature so that one ``lambda`` suits every level on the Caffe 0-255 scale;
the optional structural term, :func:`stylist.losses.ssim_loss`, keeps flat regions free of the grid
noise that max-unpooling leaves, which a pixel MSE barely sees).
The loss trained is ``sum_k L_k``. Logs ``train/loss``, ``train/pixel_relu{k}_1``,
``train/feature_relu{k}_1`` and ``train/ssim_relu{k}_1`` (each when its weight is non-zero: the
term is only computed then), the same under ``val/`` and a reconstruction grid per validation
(a row per validation image, up to :data:`GRID_IMAGES`: the input, then each level's reconstruction).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from stylist.losses import ssim_loss
from stylist.training import TrainingModule
from stylist.utils import StylistError
from stylist.wct.decoder import LEVELS, WCTDecoders, load_named_decoders

__all__ = ["WCTDecoderModule", "reconstruction_losses"]

#: Validation images shown in the reconstruction grid.
GRID_IMAGES = 4


def reconstruction_losses(
    encoder: nn.Module,
    decoders: WCTDecoders,
    images: torch.Tensor,
    feature_weight: float = 1.0,
    ssim_weight: float = 0.0,
) -> dict[str, torch.Tensor]:
    """``{"pixel_<layer>", "loss"}``, plus ``"feature_<layer>"`` when ``feature_weight`` and ``"ssim_<layer>"`` when ``ssim_weight``, for a batch ``x``, ``B x 3 x H x W``
    (H, W multiples of 8): with ``F_k = E_k(x)`` and ``y = D_k(F_k)`` per decoder level ``k``,
    ``pixel_k = mean((y - x)^2)``, ``feature_k = mean((E_k(y) - F_k)^2) / mean(F_k^2)``,
    ``ssim_k = 1 - SSIM(y, x)`` and ``loss = sum_k (pixel_k + feature_weight * feature_k + ssim_weight * ssim_k)``
    (the module docstring's ``L_k``, ``lambda = feature_weight``, ``mu = ssim_weight``).
    Unpooling decoders get the switches of the batch's own encoding.

    Uncalibrated decoders (see :meth:`~stylist.wct.decoder.WCTDecoder.calibrate`) are calibrated on this batch."""
    with torch.no_grad():
        targets, switches = encoder.forward_with_switches(images, decoders.layers)
    terms: dict[str, torch.Tensor] = {}
    total = images.new_zeros(())
    for layer, decoder in decoders.items():
        decoder.calibrate(targets[layer])
        output = decoder(targets[layer], switches)
        terms[f"pixel_{layer}"] = F.mse_loss(output, images)
        total = total + terms[f"pixel_{layer}"]
        if feature_weight:  # a second encoder pass and its backward: only when it is trained
            feature = F.mse_loss(encoder(output, [layer])[layer], targets[layer]) / targets[layer].pow(2).mean().clamp_min(1e-8)
            terms[f"feature_{layer}"] = feature
            total = total + feature_weight * feature
        if ssim_weight:  # five blurs per level and their backward: only when it is trained
            terms[f"ssim_{layer}"] = ssim_loss(output, images)
            total = total + ssim_weight * terms[f"ssim_{layer}"]
    terms["loss"] = total
    return terms


class WCTDecoderModule(TrainingModule):
    """Trains :class:`~stylist.wct.decoder.WCTDecoders` against a frozen encoder.

    Args:
        encoder: the frozen VGG16 (``stylist.backbones.get_backbone``).
        levels: which ``relu{k}_1`` decoders to train.
        unpool: train max-unpooling decoders (PhotoWCT) instead of upsampling ones.
        init: start from these decoders' weights (a shipped name or a ``.pt`` file; same levels);
            ``None``: He init. Either kind can start the other (their parameters are the same).
        feature_weight: ``lambda`` above.
        ssim_weight: ``mu`` above (0: pixel and feature losses only).
        optimizer: a partial optimiser (``torch.optim.Adam`` with ``lr``) bound to the decoders here.
        scheduler: optional partial LR scheduler, stepped every step.
        channels_last: train in channels-last memory format (with bf16-mixed on an AMX CPU: ~3x faster).
    """

    def __init__(
        self,
        encoder: nn.Module,
        levels: Sequence[int] = LEVELS,
        unpool: bool = False,
        init: str | None = None,
        feature_weight: float = 1.0,
        ssim_weight: float = 0.0,
        optimizer: Callable[..., torch.optim.Optimizer] = torch.optim.Adam,
        scheduler: Callable[..., Any] | None = None,
        channels_last: bool = False,
    ) -> None:
        super().__init__(optimizer, scheduler, channels_last)
        levels = [int(level) for level in levels]  # plain ints: checkpoints must load with weights_only=True
        self.save_hyperparameters(ignore=["encoder", "optimizer", "scheduler"])
        self.encoder = encoder.requires_grad_(False).eval()
        self.decoders = WCTDecoders(levels, unpool=unpool)
        if init is not None:
            start = load_named_decoders(init)
            missing = [layer for layer in self.decoders.layers if layer not in start]
            if missing:
                raise StylistError(f"init decoders '{init}' lack {missing}")
            state = {k: v for k, v in start.state_dict().items() if not k.endswith(".unpool")}
            self.decoders.load_state_dict(state, strict=False)
        self.feature_weight = feature_weight
        self.ssim_weight = ssim_weight
        self._grid_rows: list[torch.Tensor] = []

    def training_step(self, batch: torch.Tensor, batch_idx: int) -> torch.Tensor:
        terms = reconstruction_losses(self.encoder, self.decoders, batch, self.feature_weight, self.ssim_weight)
        self.log_dict({f"train/{k}": v for k, v in terms.items() if k != "loss"}, batch_size=len(batch))
        self.log("train/loss", terms["loss"], prog_bar=True, batch_size=len(batch))
        return terms["loss"]

    def validation_step(self, batch: torch.Tensor, batch_idx: int) -> None:
        terms = reconstruction_losses(self.encoder, self.decoders, batch, self.feature_weight, self.ssim_weight)
        self.log_dict({f"val/{k}": v for k, v in terms.items()}, batch_size=len(batch))
        for image in batch[: GRID_IMAGES - len(self._grid_rows)]:
            self._grid_rows.append(self._reconstruction_row(image[None]))

    def _reconstruction_row(self, image: torch.Tensor) -> torch.Tensor:
        """``1 x 3 x H x W`` -> ``3 x H x (1 + levels) W``: the input, then each level's reconstruction."""
        with torch.no_grad():
            features, switches = self.encoder.forward_with_switches(image, self.decoders.layers)
            outputs = [self.decoders[layer](features[layer], switches).clamp(0, 1) for layer in self.decoders.layers]
        return torch.cat([image, *outputs], dim=-1)[0].cpu()

    def on_validation_epoch_end(self) -> None:
        rows, self._grid_rows = self._grid_rows, []
        self.log_image_grid("val/reconstructions", rows)
