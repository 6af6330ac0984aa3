"""Decoders that invert the VGG16 encoder at ``relu{k}_1`` (k = 1..4), as in Li et al. (2017).

Each decoder mirrors the encoder's convolutions from ``conv{k}_1`` back to the image: every conv
``c_in -> c_out`` becomes a reflection-padded 3x3 conv ``c_out -> c_in`` followed by a ReLU; the
last conv (to RGB) has no ReLU. Every max-pool becomes either

* a nearest-neighbour 2x upsampling (``unpool=False``, the WCT decoders of Li et al. 2017), or
* a max-unpooling through the encoder's own pooling switches (``unpool=True``, the PhotoWCT
  decoders of Li et al., ECCV 2018): the decoder of level ``k`` unpools with the switches of
  ``pool{k-1}``, ..., ``pool1`` (coarse to fine) of the image that was encoded, so edges return to
  where the encoder found its maxima instead of being re-invented from a 2x-coarser map.

Both kinds have the same parameters (an upsampling and an unpooling have none), so weights of one
kind can start the training of the other.

Example:
    >>> from stylist.backbones import get_backbone
    >>> enc = get_backbone("vgg16", weights="random")
    >>> features, switches = encode(enc, torch.rand(1, 3, 16, 16), 2)
    >>> WCTDecoder(2, unpool=True)(features, switches).shape
    torch.Size([1, 3, 16, 16])
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from stylist.backbones import vgg16_plan
from stylist.backbones.vgg import Switch
from stylist.models import register_kind
from stylist.utils import StylistError, atomic_write

__all__ = [
    "LEVELS", "level_layer", "encode", "WCTDecoder", "WCTDecoders", "save_decoders", "load_decoders",
    "decoders_from_state", "load_named_decoders", "build_shipped",
]  # fmt: skip

#: The encoder layers the decoders invert, coarse (4) to fine (1).
LEVELS = (1, 2, 3, 4)
#: VGG16 up to conv4_1 (:func:`stylist.backbones.vgg16_plan`): conv channel pairs, "pool{b}" between blocks.
_ENCODER_PLAN = tuple(vgg16_plan("conv4_1"))
_FIRST_CONV_OF_LEVEL = {level: len(vgg16_plan(f"conv{level}_1")) - 1 for level in LEVELS}


def level_layer(level: int) -> str:
    """The encoder layer a level's decoder inverts: ``relu{level}_1``."""
    if level not in LEVELS:
        raise StylistError(f"WCT level must be one of {LEVELS}, not {level}")
    return f"relu{level}_1"


def encode(encoder: nn.Module, image: torch.Tensor, level: int) -> tuple[torch.Tensor, dict[str, Switch]]:
    """``(features, switches)``: the encoder's ``relu{level}_1`` features of ``image`` and the
    switches of the pooling layers before it (``pool1`` ... ``pool{level-1}``), what a
    ``WCTDecoder(level, unpool=True)`` needs. ``encoder`` is a
    :class:`~stylist.backbones.vgg.VGGEncoder` with max pooling."""
    layer = level_layer(level)
    features, switches = encoder.forward_with_switches(image, [layer])
    return features[layer], switches


class WCTDecoder(nn.Module):
    """Mirror of VGG16 from ``relu{level}_1`` back to RGB.

    Input ``B x C x h x w`` features (C = 64, 128, 256, 512 for levels 1-4) and, for an unpooling
    decoder, the encoder's switches (:func:`encode`; the decoder takes ``pool{level-1}`` ... ``pool1``
    by name, extra entries are ignored); output ``B x 3 x (h 2^(level-1)) x (w 2^(level-1))``
    (with unpooling: the size the encoder saw), unclamped (about [0, 1]).

    The features are first multiplied by the buffer ``input_scale`` (1 / their RMS on the first
    training batch, see :meth:`calibrate`), so that one learning rate suits every level although
    the encoder works on the 0-255 scale, and the last (RGB) conv starts with weights 0.1x He's
    and bias 0.5, so that training starts from about a mid-grey image rather than noise of
    standard deviation ~1.4. Deviations from the paper, which has neither; in a 100-step pilot
    the start lowered the relu1_1 decoder's pixel error from 0.080 to 0.0007
    (``experiments/wct_decoders_cpu/init_pilot.py``). The buffer ``unpool`` records the kind, so a
    saved state dict says which decoder it is.
    """

    def __init__(self, level: int, unpool: bool = False) -> None:
        super().__init__()
        level_layer(level)
        self.level = level
        plan = list(reversed(_ENCODER_PLAN[: _FIRST_CONV_OF_LEVEL[level] + 1]))
        layers: list[nn.Module] = []
        self._pools: dict[int, str] = {}  # index in ``net`` -> the pooling layer it undoes
        for index, step in enumerate(plan):
            if isinstance(step, str):
                self._pools[len(layers)] = step
                layers.append(nn.MaxUnpool2d(2, 2) if unpool else nn.Upsample(scale_factor=2, mode="nearest"))
                continue
            c_in, c_out = step
            layers += [nn.ReflectionPad2d(1), nn.Conv2d(c_out, c_in, 3)]
            if index < len(plan) - 1:
                layers.append(nn.ReLU())
        self.net = nn.Sequential(*layers)
        convs = [module for module in self.net if isinstance(module, nn.Conv2d)]
        for conv in convs:  # He init: PyTorch's default shrinks activations in deep stacks
            nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
            nn.init.zeros_(conv.bias)
        with torch.no_grad():  # start near a mid-grey image, not He-scaled noise (much faster training)
            convs[-1].weight.mul_(0.1)
            convs[-1].bias.fill_(0.5)
        self.register_buffer("input_scale", torch.tensor(0.0))
        self.register_buffer("unpool", torch.tensor(unpool))

    @property
    def pools(self) -> list[str]:
        """The pooling layers whose switches an unpooling decoder uses, in the order it uses them."""
        return list(self._pools.values())

    @torch.no_grad()
    def calibrate(self, features: torch.Tensor) -> None:
        """Set ``input_scale`` to ``1 / RMS(features)`` if not yet set (a loaded decoder keeps its own)."""
        if float(self.input_scale) == 0.0:
            self.input_scale.fill_(float(features.pow(2).mean().sqrt().clamp_min(1e-8).reciprocal()))

    def forward(self, features: torch.Tensor, switches: Mapping[str, Switch] | None = None) -> torch.Tensor:
        unpool = bool(self.unpool)
        if unpool and (switches is None or any(pool not in switches for pool in self.pools)):
            raise StylistError(f"an unpooling relu{self.level}_1 decoder needs the switches of {self.pools}: use encode()")
        scale = self.input_scale if float(self.input_scale) > 0 else features.new_tensor(1.0)
        x = features * scale
        for index, module in enumerate(self.net):
            if unpool and index in self._pools:
                indices, size = switches[self._pools[index]]
                x = F.max_unpool2d(x, indices, 2, 2, output_size=size)
            else:
                x = module(x)
        return x


class WCTDecoders(nn.ModuleDict):
    """One :class:`WCTDecoder` per level, keyed ``"relu{k}_1"``, built of one kind (``unpool``).
    A set may mix kinds level by level (each decoder knows its own; unpooling ones take the
    switches, upsampling ones ignore them), e.g. to keep the better decoder of each level."""

    def __init__(self, levels: Sequence[int] = LEVELS, unpool: bool = False) -> None:
        super().__init__({level_layer(level): WCTDecoder(level, unpool) for level in levels})

    @property
    def unpool(self) -> bool:
        """Whether any decoder unpools through the encoder's switches."""
        return any(bool(decoder.unpool) for decoder in self.values())

    @property
    def layers(self) -> list[str]:
        """The inverted layers, fine to coarse (``relu1_1`` first)."""
        return list(self.keys())


def save_decoders(decoders: WCTDecoders, path: str | os.PathLike, half: bool = False) -> Path:
    """Write the decoders' state dict atomically (``half``: as float16 to halve the file)."""
    state = {k: (v.half() if half and v.is_floating_point() else v) for k, v in decoders.state_dict().items()}
    with atomic_write(path) as tmp:
        torch.save(state, tmp)
    return Path(path)


def load_decoders(path: str | os.PathLike) -> WCTDecoders:
    """Build decoders from a saved state dict (float16 files are cast back to float32); eval mode.

    The kind (upsampling or unpooling) comes from the state's ``unpool`` buffers; files written
    before they existed are upsampling decoders.
    """
    from stylist.models import load_state

    if not Path(path).is_file():
        raise StylistError(f"WCT decoder weights not found: {path}")
    state = load_state(path)
    try:
        return decoders_from_state(state).eval().requires_grad_(False)
    except (TypeError, ValueError, KeyError, AttributeError, RuntimeError):
        raise StylistError(f"{path} holds no WCT decoder weights (keys like 'relu4_1...')") from None


def decoders_from_state(state: Mapping[str, torch.Tensor]) -> WCTDecoders:
    """:class:`WCTDecoders` of the levels and kind found in a state dict (keys ``relu{k}_1.*``)."""
    levels = sorted({int(key.split("_")[0][len("relu"):]) for key in state})
    state = {k: (v.float() if v.is_floating_point() else v) for k, v in state.items()}
    decoders = WCTDecoders(levels)
    for level in levels:  # each level's own kind: a set may mix them (see WCTDecoders)
        layer = level_layer(level)
        unpool = bool(state.setdefault(f"{layer}.unpool", torch.tensor(False)))
        decoders[layer] = WCTDecoder(level, unpool=unpool)
    decoders.load_state_dict(state)
    return decoders


@register_kind("wct", "a set of WCT decoders")
def build_shipped(architecture: Mapping[str, Any], state: Mapping[str, torch.Tensor]) -> WCTDecoders:
    """Builder of shipped ``kind: wct`` models (:mod:`stylist.models`): the levels and each level's kind
    (upsampling or unpooling) are read from the state itself."""
    return decoders_from_state(state).eval().requires_grad_(False)


def load_named_decoders(name: str) -> WCTDecoders:
    """Decoders from a ``.pt`` file or a shipped name (:mod:`stylist.models`); eval mode, frozen."""
    if Path(name).suffix == ".pt":
        return load_decoders(name)
    from stylist.models import load_model

    return load_model(name, kind="wct")
