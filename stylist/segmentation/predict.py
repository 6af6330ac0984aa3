"""Inference: :class:`Segmenter`, :func:`load_segmenter` (shipped name or checkpoint) and :func:`segment`.

A :class:`Segmenter` resizes a photo so its longer side is the training size, pads it to a
multiple of 16, runs DeepLabV3+ and resizes the class probabilities back to the full input size.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from stylist.segmentation.model import build_deeplab
from stylist.segmentation.modanet import CLASS_NAMES
from stylist.segmentation.transforms import pad_to_multiple
from stylist.models import register_kind
from stylist.utils import StylistError, cpu_has_fast_bf16, is_positive_number, load_torch_file, warn_if_slow_bf16

__all__ = ["Segmenter", "segment", "load_segmenter", "build_shipped", "load_checkpoint", "shipping"]


class Segmenter(nn.Module):
    """A segmentation network with its input scale and its default test-time augmentation.

    Args:
        net: maps ``B x 3 x H x W`` in [0, 1] (multiples of 16) to ``B x K x H x W`` logits.
        long_side: longer side the photo is resized to before the network (the training scale).
        class_names: names of the ``K`` classes.
        flip, scales: what :func:`segment` does when it is not told (a shipped model's metadata
            sets them under ``inference``); see :func:`segment`.
        bf16: run the network under bf16 autocast (CPUs with AVX512-BF16/AMX: several times
            faster; probabilities within ~1e-2 of float32); logits come back as float32.
            ``"auto"``: only where the CPU runs bf16 natively (a shipped model's default).
        channels_last: run the network in channels-last memory format (``"auto"``: as ``bf16``).

    :meth:`forward` takes ``B x 3 x H x W`` in [0, 1] of any size and returns ``B x K x H x W``
    logits at that size.
    """

    def __init__(
        self,
        net: nn.Module,
        long_side: int = 320,
        class_names: tuple[str, ...] = CLASS_NAMES,
        flip: bool = False,
        scales: Sequence[float] = (1.0,),
        bf16: bool | str = False,
        channels_last: bool | str = False,
    ) -> None:
        super().__init__()
        self.net, self.long_side, self.class_names = net, int(long_side), tuple(class_names)
        self.flip, self.scales = bool(flip), tuple(float(s) for s in scales)
        self.bf16 = self.channels_last = False
        self.use(bf16=bf16, channels_last=channels_last)

    def use(self, bf16: bool | str | None = None, channels_last: bool | str | None = None) -> "Segmenter":
        """Change the inference precision / memory format (``None``: keep the current setting;
        ``"auto"``: on only where the CPU runs bf16 natively, :func:`stylist.utils.cpu_has_fast_bf16`);
        anything else is a user error."""
        for name, value in (("bf16", bf16), ("channels_last", channels_last)):
            if value is not None and value != "auto" and not isinstance(value, bool):
                raise StylistError(f"{name} must be true, false, auto or null (keep the setting), got {value!r}")
        if bf16 is not None:
            self.bf16 = cpu_has_fast_bf16() if bf16 == "auto" else bool(bf16)
            if self.bf16:
                warn_if_slow_bf16("Segmenter(bf16=True)")
        if channels_last is not None:
            self.channels_last = cpu_has_fast_bf16() if channels_last == "auto" else bool(channels_last)
            self.net.to(memory_format=torch.channels_last if self.channels_last else torch.contiguous_format)
        return self

    def test_time(self, flip: bool | None = None, scales: Sequence[float] | None = None) -> tuple[bool, tuple[float, ...]]:
        """``(flip, scales)`` for :func:`segment`, ``None`` meaning this segmenter's own setting;
        anything but a bool for ``flip`` or positive numbers for ``scales`` is a user error."""
        if flip is not None and not isinstance(flip, bool):
            raise StylistError(f"flip must be true, false or null (the segmenter's own setting), got {flip!r}")
        if scales is not None:
            if isinstance(scales, (str, bytes)) or not all(is_positive_number(s) for s in scales):
                raise StylistError(f"scales must be positive numbers, e.g. [0.75, 1, 1.25], got {scales!r}")
        return (self.flip if flip is None else flip,
                self.scales if scales is None else tuple(float(s) for s in scales))  # fmt: skip

    def forward(self, image: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
        """Logits at the input size; ``scale`` multiplies the network's input size (test-time scales)."""
        height, width = image.shape[-2:]
        scale = scale * self.long_side / max(height, width)
        size = (max(1, round(height * scale)), max(1, round(width * scale)))
        small = pad_to_multiple(F.interpolate(image, size=size, mode="bilinear", align_corners=False, antialias=scale < 1))
        if self.channels_last:
            small = small.contiguous(memory_format=torch.channels_last)
        with torch.autocast(small.device.type, dtype=torch.bfloat16, enabled=self.bf16):
            logits = self.net(small)[..., : size[0], : size[1]].float()
        return F.interpolate(logits, size=(height, width), mode="bilinear", align_corners=False)


@torch.no_grad()
def segment(
    image: torch.Tensor, segmenter: Segmenter, flip: bool | None = None, scales: Sequence[float] | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Segment one photo at its full resolution.

    Args:
        image: ``1 x 3 x H x W`` (or ``3 x H x W``) float RGB in [0, 1], any size.
        segmenter: from :func:`load_segmenter`.
        flip: also run the mirrored photo and average the probabilities (``None``: the
            segmenter's own setting, ``segmenter.flip``).
        scales: input-size factors relative to the training scale; probabilities are averaged
            (``None``: ``segmenter.scales``).

    Returns:
        ``(class_map, probs)``: ``H x W`` long class indices (see ``CLASS_NAMES``) and
        ``K x H x W`` class probabilities, both at the input resolution.

    Example:
        >>> from stylist.image import load_image
        >>> seg = load_segmenter()  # doctest: +SKIP
        >>> classes, probs = segment(load_image("photo.jpg"), seg)  # doctest: +SKIP
    """
    if image.dim() == 3:
        image = image[None]
    if image.dim() != 4 or image.shape[:2] != (1, 3):
        raise StylistError(f"segment takes one RGB image 1 x 3 x H x W, got {tuple(image.shape)}")
    was_training = segmenter.training
    segmenter.eval()
    device = next(segmenter.parameters()).device
    image = image.to(device=device, dtype=torch.float32)
    flip, scales = segmenter.test_time(flip, scales)
    runs = []
    for scale in scales:
        runs.append(segmenter(image, scale).softmax(1))
        if flip:
            runs.append(segmenter(image.flip(-1), scale).softmax(1).flip(-1))
    probs = torch.stack(runs).mean(0)
    segmenter.train(was_training)
    probs = probs[0].cpu()
    return probs.argmax(0), probs


def _net_from_state(net_kwargs: dict[str, Any], state: Any, path: Path | str = "the state dict") -> nn.Module:
    net = build_deeplab(**{**net_kwargs, "encoder_weights": None, "freeze_until": None})
    try:
        net.load_state_dict({k: v.float() for k, v in state.items()})
    except (AttributeError, RuntimeError):
        raise StylistError(f"{path} holds no weights of this DeepLabV3+ (architecture {net_kwargs})") from None
    return net.eval()


@register_kind("deeplab", "a segmenter")
def build_shipped(architecture: Mapping[str, Any], state: Mapping[str, torch.Tensor]) -> Segmenter:
    """Builder of shipped ``kind: deeplab`` models (:mod:`stylist.models`): ``architecture`` holds
    ``net`` (:func:`build_deeplab`'s arguments) and :class:`Segmenter`'s other arguments; ``state``
    is the network's state dict."""
    arguments = dict(architecture)
    net = _net_from_state(arguments.pop("net"), state)
    return Segmenter(net, **arguments).eval()


def load_checkpoint(path: str | Path) -> Segmenter:
    """A :class:`Segmenter` from a Lightning checkpoint of ``SegmentationModule``."""
    checkpoint = load_torch_file(path, weights_only=False)
    if not isinstance(checkpoint, dict):
        raise StylistError(f"{path} is not a SegmentationModule checkpoint (not a Lightning checkpoint)")
    net_kwargs = checkpoint.get("hyper_parameters", {}).get("net_kwargs")
    if not net_kwargs:
        raise StylistError(f"{path} is not a SegmentationModule checkpoint (no net_kwargs)")
    state = {k[len("net.") :]: v for k, v in checkpoint["state_dict"].items() if k.startswith("net.")}
    long_side = checkpoint.get("datamodule_hyper_parameters", {}).get("long_side", 320)
    return Segmenter(_net_from_state(net_kwargs, state, Path(path)), long_side).eval()


def load_segmenter(name_or_checkpoint: str = "deeplab_modanet_ccp") -> Segmenter:
    """A segmenter in eval mode: a shipped model's name, a Lightning ``.ckpt`` path, or a shipped-format
    ``.pt`` state dict with its ``.yaml`` metadata next to it.

    Example:
        >>> seg = load_segmenter("deeplab_modanet_ccp")  # doctest: +SKIP
    """
    from stylist import models

    path = Path(str(name_or_checkpoint)).expanduser()
    if path.suffix == ".ckpt":
        if not path.is_file():
            raise StylistError(f"checkpoint {path} does not exist")
        return load_checkpoint(path)
    if path.suffix in (".pt", ".pth") or path.is_file():
        return models.load_model(path, kind="deeplab")  # a .pt with its .yaml beside it
    return models.load_model(str(name_or_checkpoint), kind="deeplab")


def shipping(
    checkpoint: str | Path, flip: bool = False, scales: Sequence[float] = (1.0,), bf16: bool | str = False,
    channels_last: bool | str = False,
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """``(state_dict, architecture)`` of a ``SegmentationModule`` checkpoint for :func:`stylist.models.ship`
    (kind ``deeplab``), with ``flip`` and ``scales`` as the shipped model's default test-time augmentation
    and ``bf16``/``channels_last`` as its default inference options (see :class:`Segmenter`)."""
    segmenter = load_checkpoint(checkpoint)
    net_kwargs = torch.load(checkpoint, map_location="cpu", weights_only=False)["hyper_parameters"]["net_kwargs"]
    architecture = {"net": dict(net_kwargs), "long_side": segmenter.long_side, "class_names": list(segmenter.class_names),
                    "flip": bool(flip), "scales": [float(s) for s in scales],
                    "bf16": bf16 if bf16 == "auto" else bool(bf16),
                    "channels_last": channels_last if channels_last == "auto" else bool(channels_last)}  # fmt: skip
    return segmenter.net.state_dict(), architecture
