"""VGG16 as a segmentation_models_pytorch encoder, from the project's offline VGG16 weights.

Registered in smp's encoder registry as ``"stylist_vgg16"``, so a genuine
``smp.DeepLabV3Plus(encoder_name="stylist_vgg16", encoder_weights=None, ...)`` uses it; the
pretrained conv weights (``hed``/``imagenet``) come from :func:`stylist.backbones.get_backbone`
through :meth:`VGG16Encoder.load_vgg` (smp's own hub weights are unreachable offline).

Stages (smp's contract: feature ``k`` has stride ``2**k``): ``f0`` = the input, ``f_k`` =
``pool{k}`` (the output of VGG block ``k``), channels ``(3, 64, 128, 256, 512, 512)``.
Output stride 16 removes the last block's downsampling (``pool5`` becomes the identity);
output stride 8 also removes ``pool4`` and dilates block 5's convolutions by 2. DeepLabV3+ reads
``f2`` (stride 4) and ``f5``.

The layers, their names, the weights and the normalisation are :mod:`stylist.backbones`' VGG16
(:func:`~stylist.backbones.vgg16_layers`, :func:`~stylist.backbones.vgg16_weights`,
:func:`~stylist.backbones.caffe_normalize`): RGB in [0, 1], 0-255 scale minus the per-channel mean
(a buffer saved with the weights); this module only adapts them to smp's encoder contract.

A frozen prefix (``freeze(until="pool4")``) lets training cache its features once:
:meth:`VGG16Encoder.frozen_features` gives ``(f2, x)`` at the frozen boundary and
:meth:`VGG16Encoder.features_from` finishes the forward pass from there.
"""

from __future__ import annotations


import torch
from segmentation_models_pytorch.encoders import encoders as smp_encoders
from segmentation_models_pytorch.encoders._base import EncoderMixin
from torch import nn

from stylist.backbones import caffe_normalize, layer_names, vgg16_layers, vgg16_weights
from stylist.backbones.vgg import IMAGENET_RGB_MEAN
from stylist.utils import StylistError

__all__ = ["ENCODER_NAME", "VGG16Encoder", "register_encoder"]

ENCODER_NAME = "stylist_vgg16"


class VGG16Encoder(nn.Module, EncoderMixin):
    """smp encoder over VGG16's 13 convolutions (``layers.conv{b}_{i}``), no batch norm.

    Args:
        depth: smp encoder depth (only 5).
        output_stride: 32, 16 or 8 (set by smp through :meth:`make_dilated`).

    Input ``B x 3 x H x W`` in [0, 1]; :meth:`forward` returns six feature maps.
    """

    def __init__(self, depth: int = 5, output_stride: int = 32, **_: object) -> None:
        super().__init__()
        if depth != 5:
            raise StylistError(f"the VGG16 encoder has depth 5, not {depth}")
        self._depth, self._in_channels, self._output_stride = 5, 3, 32
        self._out_channels = [3, 64, 128, 256, 512, 512]
        self.register_buffer("rgb_mean", torch.tensor(IMAGENET_RGB_MEAN).view(1, 3, 1, 1))
        self.layers = nn.ModuleDict(vgg16_layers("max", inplace_relu=True))
        self.frozen_until: str | None = None
        if output_stride != 32:
            self.make_dilated(output_stride)

    def make_dilated(self, output_stride: int) -> None:
        """Remove the downsampling of the last block (16) or last two blocks (8, block 5 dilated)."""
        if output_stride not in (8, 16):
            raise StylistError(f"output stride must be 8, 16 or 32, not {output_stride}")
        self.layers["pool5"] = nn.Identity()
        if output_stride == 8:
            self.layers["pool4"] = nn.Identity()
            for index in range(1, 4):
                conv = self.layers[f"conv5_{index}"]
                conv.dilation, conv.padding = (2, 2), (2, 2)
        self._output_stride = output_stride

    def get_stages(self) -> dict[int, list[nn.Module]]:
        """Modules per output stride (smp's contract)."""
        names = layer_names()
        stages: dict[int, list[nn.Module]] = {}
        start = 0
        for block in range(1, 6):
            end = names.index(f"pool{block}") + 1
            stages[2**block] = [self.layers[n] for n in names[start:end]]
            start = end
        return stages

    def load_vgg(self, weights: str = "hed") -> "VGG16Encoder":
        """Load pretrained conv weights and their normalisation (:func:`stylist.backbones.vgg16_weights`;
        ``random``: the backbone's seeded random initialisation)."""
        state, mean, _ = vgg16_weights(weights)
        if state is None:
            from stylist.backbones import get_backbone

            state = get_backbone("vgg16", weights="random").layers.state_dict()
        self.layers.load_state_dict(state)
        with torch.no_grad():
            self.rgb_mean.copy_(torch.tensor(mean).view(1, 3, 1, 1))
        return self

    def freeze(self, until: str | None) -> None:
        """Stop gradients for every layer up to and including ``until`` (``None``: train all)."""
        names = layer_names()
        if until is not None and until not in names:
            raise StylistError(f"freeze_until must be a VGG16 layer name (pool4, relu5_2, ...), not '{until}'")
        if until is not None and names.index(until) < names.index("pool2"):
            raise StylistError("freeze_until must be at or after pool2 (the decoder's stride-4 features)")
        last = names.index(until) if until else -1
        for index, name in enumerate(names):
            self.layers[name].requires_grad_(index > last)
        self.frozen_until = until

    def _run(self, x: torch.Tensor, names: list[str], features: list[torch.Tensor]) -> torch.Tensor:
        for name in names:
            x = self.layers[name](x)
            if name.startswith("pool"):
                features.append(x)
        return x

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """``[x, f1, ..., f5]`` (see the module docstring for strides and channels)."""
        features = [x]
        self._run(caffe_normalize(x, self.rgb_mean), layer_names(), features)
        return features

    def frozen_features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(f2, activation at frozen_until)`` of the frozen prefix, without gradients."""
        if self.frozen_until is None:
            raise StylistError("frozen_features needs a frozen prefix: call freeze(until=...) first")
        names = layer_names()
        features: list[torch.Tensor] = []
        with torch.no_grad():
            out = self._run(caffe_normalize(x, self.rgb_mean), names[: names.index(self.frozen_until) + 1], features)
        return features[1], out

    def features_from(self, f2: torch.Tensor, frozen: torch.Tensor) -> list[torch.Tensor]:
        """The decoder's feature list from cached ``frozen_features`` (unused entries are ``f2``).

        DeepLabV3+ reads only ``features[2]`` and ``features[-1]``.
        """
        names = layer_names()
        out = self._run(frozen, names[names.index(self.frozen_until) + 1 :], [])
        return [f2, f2, f2, f2, f2, out]


def register_encoder() -> None:
    """Add ``stylist_vgg16`` to smp's encoder registry (idempotent)."""
    smp_encoders.setdefault(
        ENCODER_NAME, {"encoder": VGG16Encoder, "pretrained_settings": {}, "params": {}}
    )


register_encoder()
