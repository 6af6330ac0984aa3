"""Decoders that invert the VGG16 encoder at ``relu{k}_1`` (k = 1..4), as in Li et al. (2017).

Each decoder mirrors the encoder's convolutions from ``conv{k}_1`` back to the image: every conv
``c_in -> c_out`` becomes a reflection-padded 3x3 conv ``c_out -> c_in`` followed by a ReLU, and
every max-pool becomes a nearest-neighbour 2x upsampling; the last conv (to RGB) has no ReLU.

Example:
    >>> dec = WCTDecoder(2)
    >>> dec(torch.rand(1, 128, 8, 8)).shape
    torch.Size([1, 3, 16, 16])
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping, Sequence

import torch
from torch import nn

from stylist.backbones import vgg16_plan
from stylist.models import register_kind
from stylist.utils import StylistError, atomic_write

__all__ = ["LEVELS", "level_layer", "WCTDecoder", "WCTDecoders", "save_decoders", "load_decoders", "build_shipped"]

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


class WCTDecoder(nn.Module):
    """Mirror of VGG16 from ``relu{level}_1`` back to RGB.

    Input ``B x C x h x w`` features (C = 64, 128, 256, 512 for levels 1-4); output
    ``B x 3 x (h 2^(level-1)) x (w 2^(level-1))``, unclamped (about [0, 1]).

    The features are first multiplied by the buffer ``input_scale`` (1 / their RMS on the first
    training batch, see :meth:`calibrate`), so that one learning rate suits every level although
    the encoder works on the 0-255 scale, and the last (RGB) conv starts with weights 0.1x He's
    and bias 0.5, so that training starts from about a mid-grey image rather than noise of
    standard deviation ~1.4. Deviations from the paper, which has neither; in a 100-step pilot
    the start lowered the relu1_1 decoder's pixel error from 0.080 to 0.0007
    (``experiments/wct_decoders_cpu/init_pilot.py``).
    """

    def __init__(self, level: int) -> None:
        super().__init__()
        level_layer(level)
        self.level = level
        plan = list(reversed(_ENCODER_PLAN[: _FIRST_CONV_OF_LEVEL[level] + 1]))
        layers: list[nn.Module] = []
        for index, step in enumerate(plan):
            if isinstance(step, str):  # pool{b}
                layers.append(nn.Upsample(scale_factor=2, mode="nearest"))
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

    @torch.no_grad()
    def calibrate(self, features: torch.Tensor) -> None:
        """Set ``input_scale`` to ``1 / RMS(features)`` if not yet set (a loaded decoder keeps its own)."""
        if float(self.input_scale) == 0.0:
            self.input_scale.fill_(float(features.pow(2).mean().sqrt().clamp_min(1e-8).reciprocal()))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        scale = self.input_scale if float(self.input_scale) > 0 else features.new_tensor(1.0)
        return self.net(features * scale)


class WCTDecoders(nn.ModuleDict):
    """One :class:`WCTDecoder` per level, keyed ``"relu{k}_1"``."""

    def __init__(self, levels: Sequence[int] = LEVELS) -> None:
        super().__init__({level_layer(level): WCTDecoder(level) for level in levels})

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
    """Build decoders from a saved state dict (float16 files are cast back to float32); eval mode."""
    from stylist.models import load_state

    if not Path(path).is_file():
        raise StylistError(f"WCT decoder weights not found: {path}")
    state = load_state(path)
    try:
        levels = sorted({int(key.split("_")[0][len("relu"):]) for key in state})
        return build_shipped({"levels": levels}, state)
    except (TypeError, ValueError, KeyError, AttributeError, RuntimeError):
        raise StylistError(f"{path} holds no WCT decoder weights (keys like 'relu4_1...')") from None


@register_kind("wct")
def build_shipped(architecture: Mapping[str, Any], state: Mapping[str, torch.Tensor]) -> WCTDecoders:
    """Builder of shipped ``kind: wct`` models (:mod:`stylist.models`): ``WCTDecoders(**architecture)``."""
    decoders = WCTDecoders(**architecture)
    decoders.load_state_dict(state)
    return decoders.eval().requires_grad_(False)
