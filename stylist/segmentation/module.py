"""``SegmentationModule``: Lightning training of DeepLabV3+ with weighted (focal) cross-entropy (+ Dice).

Loss, for logits ``z`` (``B x K x H x W``), probabilities ``p = softmax(z)``, labels ``y``, class
weights ``w`` and focal exponent ``gamma`` (pixels with ``y_i = 255`` count nowhere)::

    CE   = sum_i w[y_i] * (1 - p_i[y_i])**gamma * (-log p_i[y_i]) / sum_i w[y_i]   (gamma = 0: weighted CE)
    Dice = 1 - mean_k (2 * sum_i p_ik * [y_i = k] + eps) / (sum_i p_ik + sum_i [y_i = k] + eps)
    loss = CE + dice_weight * Dice

The focal factor (Lin et al., 2017) shrinks the loss of pixels already classified with confidence
(most background and big-garment pixels), and Dice weighs every class equally whatever its area:
together with the class weights, neither background nor the big classes dominate the gradient.

Class weights from the training masks' pixel frequencies ``f_k`` (Eigen & Fergus, 2015 for the
median-frequency rule): ``"median_frequency"``: ``w_k = median(f) / f_k``; ``"sqrt_inverse"``:
``w_k = 1 / sqrt(f_k)``; both rescaled so that the mean weight per pixel ``sum_k f_k w_k`` is 1.

Batches are either images (``{"image", "mask"}``) or cached frozen-encoder features
(``{"low", "high", "mask"}``, see :mod:`stylist.segmentation.features`); both give the same logits.
Checkpoints carry torch's global random state (dropout), restored on resume: with the seeded
sampler of the datamodule a resumed run repeats an uninterrupted one exactly.
Logged: ``train/loss``, ``val/loss``, ``val/miou``, ``val/miou_no_background``, ``val/pixel_accuracy``,
``val/iou/<class>`` and, in TensorBoard, image | truth | prediction overlays each validation epoch.
"""

from __future__ import annotations

from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import nn

from stylist.segmentation.metrics import confusion_matrix, scores
from stylist.segmentation.modanet import IGNORE_INDEX, NUM_CLASSES
from stylist.segmentation.visualize import overlay
from stylist.training import TrainingModule
from stylist.utils import StylistError

__all__ = ["SegmentationModule", "class_weights_from_counts", "dice_loss", "focal_cross_entropy"]


def class_weights_from_counts(counts: torch.Tensor, rule: str) -> torch.Tensor:
    """Class weights from pixel counts (see the module docstring); absent classes get the largest weight."""
    freq = counts.double() / counts.sum().clamp(min=1)
    present = freq > 0
    if rule == "median_frequency":
        raw = freq[present].median() / freq.clamp(min=1e-12)
    elif rule == "sqrt_inverse":
        raw = freq.clamp(min=1e-12).rsqrt()
    else:
        raise StylistError(f"class_weighting must be null, 'median_frequency' or 'sqrt_inverse', not '{rule}'")
    raw = torch.where(present, raw, raw[present].max())
    return (raw / (freq * raw).sum()).float()


def dice_loss(logits: torch.Tensor, target: torch.Tensor, ignore_index: int = IGNORE_INDEX, eps: float = 1.0) -> torch.Tensor:
    """Soft multi-class Dice loss over the batch's non-ignored pixels ``i`` (notation of the module docstring):
    ``Dice = 1 - mean_k (2 * sum_i p_ik * [y_i = k] + eps) / (sum_i p_ik + sum_i [y_i = k] + eps)``.

    Args:
        logits: ``B x K x H x W``; target: ``B x H x W`` long.
    """
    valid = (target != ignore_index).unsqueeze(1).float()
    probs = logits.softmax(1) * valid
    onehot = F.one_hot(target.clamp(max=logits.shape[1] - 1), logits.shape[1]).permute(0, 3, 1, 2).float() * valid
    dims = (0, 2, 3)
    dice = (2 * (probs * onehot).sum(dims) + eps) / (probs.sum(dims) + onehot.sum(dims) + eps)
    return 1 - dice.mean()


def focal_cross_entropy(logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None,
                        gamma: float = 0.0, ignore_index: int = IGNORE_INDEX) -> torch.Tensor:  # fmt: skip
    """Class-weighted focal cross-entropy over the non-ignored pixels ``i`` (notation of the module docstring):
    ``CE = sum_i w[y_i] * (1 - p_i[y_i])**gamma * (-log p_i[y_i]) / sum_i w[y_i]`` (``w = 1`` without ``weight``).

    Args:
        logits: ``B x K x H x W``; target: ``B x H x W`` long; weight: ``K`` class weights or ``None``.
        gamma: focal exponent (0: ``F.cross_entropy`` with ``weight``).
    """
    if gamma == 0:
        return F.cross_entropy(logits, target, weight=weight, ignore_index=ignore_index)
    valid = target != ignore_index
    safe = target.masked_fill(~valid, 0)
    log_p = logits.log_softmax(1).gather(1, safe[:, None])[:, 0]
    pixel_weight = (weight[safe] if weight is not None else torch.ones_like(log_p)) * valid
    focal = (1 - log_p.exp()).clamp(min=0) ** gamma
    return -(pixel_weight * focal * log_p).sum() / pixel_weight.sum().clamp(min=1e-12)


class SegmentationModule(TrainingModule):
    """Train a segmentation network (DeepLabV3+ from :func:`~stylist.segmentation.model.build_deeplab`).

    Args:
        net: the network; its ``build_kwargs`` are saved with checkpoints.
        optimizer: partial optimizer (``_partial_: true``) taking ``params``.
        scheduler: partial LR scheduler stepped every step; ``total_iters`` is filled in, or ``None``.
        class_weighting: ``None``, ``"median_frequency"`` or ``"sqrt_inverse"`` (from the datamodule's
            ``class_pixel_counts()``).
        dice_weight: weight of the Dice term.
        focal_gamma: focal exponent of the cross-entropy term (0: plain weighted cross-entropy).
        encoder_lr_scale: learning-rate factor for the trainable encoder layers.
        channels_last: run the network and its inputs in channels-last memory format (with
            ``trainer.precision=bf16-mixed`` on a CPU with AMX: oneDNN's fast bf16 convolutions).
        num_overlays: validation images shown in TensorBoard.
        init_from: start the network from these weights (a shipped segmenter's name or a ``.ckpt``
            of this module, same architecture), e.g. a student fine-tuned from its teacher.
    """

    def __init__(
        self,
        net: nn.Module,
        optimizer: Callable[..., torch.optim.Optimizer],
        scheduler: Callable[..., Any] | None = None,
        class_weighting: str | None = "sqrt_inverse",
        dice_weight: float = 0.0,
        focal_gamma: float = 0.0,
        encoder_lr_scale: float = 0.1,
        channels_last: bool = False,
        num_overlays: int = 4,
        init_from: str | None = None,
    ) -> None:
        super().__init__(optimizer, scheduler)
        self.save_hyperparameters(ignore=["net"], logger=False)
        self.hparams["net_kwargs"] = dict(getattr(net, "build_kwargs", {}))
        if init_from is not None:
            from stylist.segmentation.predict import load_segmenter

            net.load_state_dict(load_segmenter(init_from).net.state_dict())
        self.net = net.to(memory_format=torch.channels_last) if channels_last else net
        self.register_buffer("class_weights", torch.ones(NUM_CLASSES))
        self.register_buffer("confusion", torch.zeros(NUM_CLASSES, NUM_CLASSES, dtype=torch.long), persistent=False)
        self._overlay_batch: dict[str, torch.Tensor] | None = None

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """``B x 3 x H x W`` in [0, 1] (sides multiples of 16) -> ``B x K x H x W`` logits."""
        return self.net(image)

    def logits(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Logits for an image batch or a cached-feature batch."""
        fmt = torch.channels_last if self.hparams.channels_last else torch.contiguous_format
        if "low" in batch:
            features = self.net.encoder.features_from(batch["low"].contiguous(memory_format=fmt),
                                                      batch["high"].contiguous(memory_format=fmt))  # fmt: skip
            return self.net.segmentation_head(self.net.decoder(features)).float()
        return self.net(batch["image"].contiguous(memory_format=fmt)).float()

    def setup(self, stage: str) -> None:
        if stage != "fit" or self.hparams.class_weighting is None:
            return
        datamodule = getattr(self.trainer, "datamodule", None)
        if datamodule is None or not hasattr(datamodule, "class_pixel_counts"):
            raise StylistError("class_weighting needs a datamodule with class_pixel_counts()")
        weights = class_weights_from_counts(datamodule.class_pixel_counts(), self.hparams.class_weighting)
        self.class_weights.copy_(weights)

    def loss(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Weighted (focal) cross-entropy plus ``dice_weight`` times Dice."""
        value = focal_cross_entropy(logits, target, self.class_weights, self.hparams.focal_gamma)
        if self.hparams.dice_weight:
            value = value + self.hparams.dice_weight * dice_loss(logits, target)
        return value

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        loss = self.loss(self.logits(batch), batch["mask"])
        self.log("train/loss", loss, prog_bar=True, batch_size=len(batch["mask"]))
        return loss

    def _eval_step(self, batch: dict[str, torch.Tensor], batch_idx: int, prefix: str) -> None:
        logits = self.logits(batch)
        self.log(f"{prefix}/loss", self.loss(logits, batch["mask"]), sync_dist=True, batch_size=len(batch["mask"]))
        pred = logits.argmax(1)
        self.confusion += confusion_matrix(pred, batch["mask"], NUM_CLASSES)
        if batch_idx == 0 and "image" in batch:
            n = self.hparams.num_overlays
            self._overlay_batch = {"image": batch["image"][:n], "mask": batch["mask"][:n], "pred": pred[:n]}

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        self._eval_step(batch, batch_idx, "val")

    def test_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        self._eval_step(batch, batch_idx, "test")

    def _epoch_end(self, prefix: str) -> None:
        matrix = self.trainer.strategy.reduce(self.confusion.clone(), reduce_op="sum") if self.trainer.world_size > 1 else self.confusion
        result = scores(matrix.cpu())
        self.log(f"{prefix}/miou", result["miou"], sync_dist=False)
        self.log(f"{prefix}/miou_no_background", result["miou_no_background"])
        self.log(f"{prefix}/pixel_accuracy", result["pixel_accuracy"])
        for name, value in result["iou"].items():
            if value == value:  # not NaN
                self.log(f"{prefix}/iou/{name}", value)
        self.confusion.zero_()
        self._log_overlays(prefix)

    def _log_overlays(self, prefix: str) -> None:
        batch, self._overlay_batch = self._overlay_batch, None
        if batch is None or self.trainer.sanity_checking:
            return
        rows = [torch.cat([image.cpu().float(), overlay(image, mask, legend=False), overlay(image, pred, legend=True)],
                          dim=-1) for image, mask, pred in zip(batch["image"], batch["mask"], batch["pred"])]  # fmt: skip
        self.log_image_grid(f"{prefix}/image_truth_prediction", rows)

    def on_validation_epoch_end(self) -> None:
        self._epoch_end("val")

    def on_test_epoch_end(self) -> None:
        self._epoch_end("test")

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["torch_rng_state"] = torch.get_rng_state()

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        if "torch_rng_state" in checkpoint:
            torch.set_rng_state(checkpoint["torch_rng_state"])

    def parameter_groups(self) -> list[dict[str, Any]]:
        """The trainable parameters; the encoder's at ``encoder_lr_scale`` times the learning rate."""
        encoder = [p for p in self.net.encoder.parameters() if p.requires_grad]
        encoder_ids = {id(p) for p in encoder}
        rest = [p for p in self.parameters() if p.requires_grad and id(p) not in encoder_ids]
        scaled = [{"params": encoder, "lr_scale": self.hparams.encoder_lr_scale}] if encoder else []
        return [{"params": rest}, *scaled]

    def make_scheduler(self, optimizer: torch.optim.Optimizer) -> Any:
        """The scheduler factory with ``total_iters`` = the run's optimiser steps (polynomial decay to the end)."""
        return self.scheduler_factory(optimizer=optimizer, total_iters=max(1, self.trainer.estimated_stepping_batches))
