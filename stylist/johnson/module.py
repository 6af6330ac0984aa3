"""``JohnsonModule``: trains a :class:`~stylist.johnson.model.TransformerNet` for one style, or one
multi-style network for several (conditional instance norm, Dumoulin et al. 2017), with the
perceptual loss of Johnson et al. (2016).

Per batch of content crops ``x`` with output ``y = T(x)``:
``L = a * mean((phi_relu2_2(y) - phi_relu2_2(x))^2)
+ b * mean_l mean((G(phi_l(y)) - G(phi_l(s)))^2) + t * TV(y)``, ``l`` in relu1_2, relu2_2, relu3_3,
relu4_3, ``G(F) = F F^T / (C H W)`` (see :mod:`stylist.losses`). The style Grams ``G(phi_l(s))`` are
computed once at construction (non-persistent buffers of the loss), from the style image resized to
``serve_size * style_scale`` px (longest side): the network paints strokes of the size the
painting's strokes have at ``style_scale`` on a ``serve_size`` output (a feed-forward network's
strokes keep their pixel size at any input size). With several styles, step ``k`` trains style
``k mod S`` on the whole batch (deterministic, so resumed runs match).

Logs ``train/{total,content,style,tv}`` every step, ``val/*`` and a grid of (content, stylised)
validation pairs at each validation (``trainer.val_check_interval`` = every N steps).
Checkpoints leave out the frozen VGG weights (restored from the live encoder on load).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import torch
from torch import nn

from stylist.image import load_image, style_size
from stylist.johnson.model import ConditionalInstanceNorm2d, TransformerNet
from stylist.losses import PerceptualLoss
from stylist.training import TrainingModule
from stylist.utils import StylistError, check_whole_number

__all__ = ["JohnsonModule"]

_ENCODER_PREFIX = "loss.encoder."


class JohnsonModule(TrainingModule):
    """Lightning module for fast style transfer.

    Args:
        net: the network to train.
        loss: ``PerceptualLoss`` factory taking ``encoder=`` (a Hydra partial of
            ``conf/loss/johnson.yaml``).
        encoder: the frozen VGG16 encoder (``conf/backbone``).
        style: style image name or path (``starry_night``...), or a list of them for a
            multi-style ``net`` (its ``styles`` are these images' names, in order).
        style_scale: the style image's longest side relative to ``serve_size`` (neural-style's
            ``style_scale``; larger = bigger strokes).
        serve_size: the output size the model is meant for, px (longest side).
        init_from: optional shipped model name or checkpoint whose weights start the training (a
            single-style model starts every style slot of a multi-style ``net``).
        norm_lr_scale: learning-rate multiplier of the per-style scale/shift pairs of a
            multi-style ``net`` (they see 1/S of the steps and start equal when ``init_from`` fills
            every slot).
        optimizer: optimizer factory taking the parameters (``_partial_`` Adam).
        scheduler: optional LR scheduler factory taking the optimizer.
        channels_last: train in channels-last memory format (see :class:`~stylist.training.TrainingModule`).
    """

    def __init__(
        self,
        net: TransformerNet,
        loss: Callable[..., PerceptualLoss],
        encoder: nn.Module,
        style: str | Sequence[str] = "starry_night",
        style_scale: float = 1.0,
        serve_size: int = 512,
        init_from: str | None = None,
        norm_lr_scale: float = 1.0,
        optimizer: Callable[..., torch.optim.Optimizer] = torch.optim.Adam,
        scheduler: Callable[..., Any] | None = None,
        channels_last: bool = False,
    ):
        super().__init__(optimizer, scheduler, channels_last)
        self.save_hyperparameters(ignore=["net", "loss", "encoder", "optimizer", "scheduler"])
        styles = [style] if isinstance(style, str) else [str(s) for s in style]
        self.hparams["style"] = style if isinstance(style, str) else styles  # plain types: weights_only loads
        if (net.styles is None) != (len(styles) == 1) or (net.styles is not None and len(net.styles) != len(styles)):
            raise StylistError(f"{len(styles)} style image(s) for a network with styles {net.styles}")
        self.net = net
        if init_from is not None:
            _initialise(net, init_from)
        self.loss = loss(encoder=encoder)
        size = style_size(check_whole_number("serve_size", serve_size, 16), style_scale)
        targets = []
        for spec in styles:  # one set of Gram targets per style, swapped in per step
            self.loss.set_style(load_image(spec, size=size))
            targets.append(self.loss.style_losses)
        self.style_targets = nn.ModuleList(targets)
        self._val_pairs: list[torch.Tensor] = []

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.net(image)

    def _use_style(self, index: int) -> None:
        self.loss.style_losses = self.style_targets[index]
        if self.net.styles is not None:
            self.net.set_style(self.net.styles[index])

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
        self._use_style(self.global_step % len(self.style_targets))
        total, _ = self._step(batch, "train")
        return total

    def validation_step(self, batch: torch.Tensor, batch_idx: int) -> None:
        """Each validation image in every style (one row: content, then each style's output)."""
        outputs = []
        for index in range(len(self.style_targets)):
            self._use_style(index)
            _, output = self._step(batch, "val")
            outputs.append(output[0].detach())
        self._val_pairs.append(torch.cat([batch[0], *outputs], dim=-1).cpu())

    def on_validation_epoch_end(self) -> None:
        pairs, self._val_pairs = self._val_pairs, []
        self.log_image_grid("val/stylized", pairs)

    def parameter_groups(self) -> list[dict[str, Any]]:
        """The network's shared parameters, and for a multi-style ``net`` its per-style scale/shift
        pairs at ``norm_lr_scale`` times the learning rate."""
        norms = {id(p) for m in self.net.modules() if isinstance(m, ConditionalInstanceNorm2d) for p in m.parameters()}
        shared = [p for p in self.net.parameters() if id(p) not in norms]
        per_style = [p for p in self.net.parameters() if id(p) in norms]
        scaled = [{"params": per_style, "lr_scale": self.hparams.norm_lr_scale}] if per_style else []
        return [{"params": shared}, *scaled]

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        state = checkpoint["state_dict"]
        for key in [k for k in state if k.startswith(_ENCODER_PREFIX)]:
            del state[key]
        checkpoint["transformer"] = {"width": self.net.width, "blocks": self.net.blocks, "styles": self.net.styles}

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        state = checkpoint["state_dict"]
        for key, value in self.loss.encoder.state_dict().items():
            state.setdefault(_ENCODER_PREFIX + key, value)


def _initialise(net: TransformerNet, init_from: str) -> None:
    """Copy the weights of a trained model (shipped name or checkpoint) into ``net``; a
    single-style model fills every style slot of a multi-style ``net``."""
    from stylist.johnson.inference import load_transformer

    source = load_transformer(init_from)
    if net.styles is not None and source.styles is None:
        source = TransformerNet.conditional_from(source, net.styles)
    try:
        net.load_state_dict(source.state_dict())
    except RuntimeError as err:
        raise StylistError(f"init_from={init_from}: its architecture does not match the network: {err}") from None
