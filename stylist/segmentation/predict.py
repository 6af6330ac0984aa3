"""Inference: :class:`Segmenter`, :func:`load_segmenter` (shipped name or checkpoint) and :func:`segment`.

A :class:`Segmenter` resizes a photo so its longer side is the training size, pads it to a
multiple of 16, runs DeepLabV3+ and resizes the class probabilities back to the full input size.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any, Sequence

import torch
import torch.nn.functional as F
import yaml
from torch import nn

from stylist.segmentation.model import build_deeplab
from stylist.segmentation.modanet import CLASS_NAMES
from stylist.segmentation.transforms import pad_to_multiple
from stylist.utils import StylistError, atomic_write

__all__ = ["Segmenter", "segment", "load_segmenter", "load_shipped", "load_checkpoint", "ship"]


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
        channels_last: run the network in channels-last memory format.

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
        bf16: bool = False,
        channels_last: bool = False,
    ) -> None:
        super().__init__()
        self.net, self.long_side, self.class_names = net, int(long_side), tuple(class_names)
        self.flip, self.scales = bool(flip), tuple(float(s) for s in scales)
        self.bf16, self.channels_last = bool(bf16), bool(channels_last)
        if self.channels_last:
            self.net.to(memory_format=torch.channels_last)

    def test_time(self, flip: bool | None = None, scales: Sequence[float] | None = None) -> tuple[bool, tuple[float, ...]]:
        """``(flip, scales)`` for :func:`segment`, ``None`` meaning this segmenter's own setting."""
        return (self.flip if flip is None else bool(flip),
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


def _net_from_state(net_kwargs: dict[str, Any], state: dict[str, torch.Tensor]) -> nn.Module:
    net = build_deeplab(**{**net_kwargs, "encoder_weights": None, "freeze_until": None})
    net.load_state_dict({k: v.float() for k, v in state.items()})
    return net.eval()


def load_shipped(path: Path, meta: dict[str, Any]) -> Segmenter:
    """Loader of shipped ``kind: deeplab`` weights (registered in :data:`stylist.weights.LOADERS`)."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    net = _net_from_state(meta["net"], state)
    return Segmenter(net, meta["long_side"], tuple(meta["class_names"]), **meta.get("inference", {})).eval()


def load_checkpoint(path: str | Path) -> Segmenter:
    """A :class:`Segmenter` from a Lightning checkpoint of ``SegmentationModule``."""
    checkpoint = torch.load(path, map_location="cpu", weights_only=False)
    net_kwargs = checkpoint.get("hyper_parameters", {}).get("net_kwargs")
    if not net_kwargs:
        raise StylistError(f"{path} is not a SegmentationModule checkpoint (no net_kwargs)")
    state = {k[len("net.") :]: v for k, v in checkpoint["state_dict"].items() if k.startswith("net.")}
    long_side = checkpoint.get("datamodule_hyper_parameters", {}).get("long_side", 320)
    return Segmenter(_net_from_state(net_kwargs, state), long_side).eval()


def load_segmenter(name_or_checkpoint: str = "deeplab_modanet_ccp") -> Segmenter:
    """A segmenter in eval mode: a shipped model's name or a Lightning ``.ckpt`` path.

    Example:
        >>> seg = load_segmenter("deeplab_modanet_ccp")  # doctest: +SKIP
    """
    from stylist import weights

    path = Path(str(name_or_checkpoint)).expanduser()
    if path.suffix == ".ckpt":
        if not path.is_file():
            raise StylistError(f"checkpoint {path} does not exist")
        return load_checkpoint(path)
    segmenter = weights.load_model(str(name_or_checkpoint))
    if not isinstance(segmenter, Segmenter):
        raise StylistError(f"shipped model '{name_or_checkpoint}' is not a segmenter")
    return segmenter


def ship(checkpoint: str | Path, out_dir: str | Path, name: str, extra: dict[str, Any]) -> tuple[Path, Path]:
    """Write ``<name>.pt`` (float16 state dict) and ``<name>.yaml`` (``kind: deeplab`` metadata).

    Args:
        checkpoint: a ``SegmentationModule`` Lightning checkpoint.
        out_dir: usually ``stylist/weights``.
        name: the model's name.
        extra: more metadata (config, epochs, steps, data, metrics, command).
    """
    segmenter = load_checkpoint(checkpoint)
    out_dir = Path(out_dir)
    weights_file, meta_file = out_dir / f"{name}.pt", out_dir / f"{name}.yaml"
    state = {k: v.half() if v.is_floating_point() else v for k, v in segmenter.net.state_dict().items()}
    with atomic_write(weights_file) as tmp:
        torch.save(state, tmp)
    net_kwargs = torch.load(checkpoint, map_location="cpu", weights_only=False)["hyper_parameters"]["net_kwargs"]
    meta = {"kind": "deeplab", "net": net_kwargs, "long_side": segmenter.long_side,
            "class_names": list(segmenter.class_names), "date": datetime.date.today().isoformat(), **extra}  # fmt: skip
    with atomic_write(meta_file) as tmp:
        tmp.write_text(yaml.safe_dump(meta, sort_keys=False))
    return weights_file, meta_file
