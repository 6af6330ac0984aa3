"""``TransformerNet``: the feed-forward stylisation network of Johnson et al. (2016).

Layout (the paper's Table, with the now-standard fixes of the PyTorch ``fast_neural_style``
example: reflection padding, instance normalisation, upsample-then-convolve):

=========================  ===================================
conv 9x9, ``w``            InstanceNorm, ReLU
conv 3x3 stride 2, ``2w``  InstanceNorm, ReLU
conv 3x3 stride 2, ``4w``  InstanceNorm, ReLU
``blocks`` x residual      (conv 3x3, IN, ReLU, conv 3x3, IN) + x
upsample x2, conv 3x3 2w   InstanceNorm, ReLU
upsample x2, conv 3x3 w    InstanceNorm, ReLU
conv 9x9, 3                sigmoid -> RGB in [0, 1]
=========================  ===================================

``w = 32`` and ``blocks = 5`` give the paper's 128-channel residual blocks. Deviation from the
paper: the output is a sigmoid (RGB in [0, 1], stylist's tensor convention) instead of a scaled tanh.

Several styles in one network (``styles=[...]``): every instance norm becomes a
:class:`ConditionalInstanceNorm2d` (Dumoulin et al., ICLR 2017, "A learned representation for
artistic style"): shared convolutions, one scale/shift pair ``(gamma_s, beta_s)`` per style. A style
mix ``w`` (weights summing to 1) uses the blended pair ``(sum_s w_s gamma_s, sum_s w_s beta_s)``;
:meth:`TransformerNet.blend` bakes a mix into a plain single-style network (same output, so tiled
inference, ``torch.compile`` and export work unchanged).
"""

from __future__ import annotations

from typing import Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from stylist.utils import StylistError, check_whole_number

__all__ = ["TransformerNet", "ConditionalInstanceNorm2d", "ConvLayer", "ResidualBlock", "UpsampleConvLayer"]


class ConditionalInstanceNorm2d(nn.Module):
    """Instance norm with one affine pair per style (Dumoulin et al. 2017):
    ``y = gamma(w) * (x - mu(x)) / sqrt(var(x) + eps) + beta(w)``, ``gamma(w) = w @ weight``,
    ``beta(w) = w @ bias`` for the style weights ``w`` (``S``, set by :meth:`TransformerNet.set_style`;
    a one-hot ``w`` selects one style's pair).

    Args:
        channels: ``C``.
        styles: ``S``; ``weight`` and ``bias`` are ``S x C`` (initialised to 1 and 0).
    """

    def __init__(self, channels: int, styles: int):
        super().__init__()
        self.norm = nn.InstanceNorm2d(channels, affine=False)
        self.weight = nn.Parameter(torch.ones(styles, channels))
        self.bias = nn.Parameter(torch.zeros(styles, channels))
        self.register_buffer("mix", F.one_hot(torch.tensor(0), styles).float(), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gamma, beta = self.mix @ self.weight, self.mix @ self.bias
        return self.norm(x) * gamma[None, :, None, None] + beta[None, :, None, None]


def _norm(channels: int, styles: int) -> nn.Module:
    """Affine instance norm for one style, conditional for several."""
    return nn.InstanceNorm2d(channels, affine=True) if styles == 1 else ConditionalInstanceNorm2d(channels, styles)


class ConvLayer(nn.Sequential):
    """Reflection padding + convolution (+ InstanceNorm + ReLU unless ``activate=False``)."""

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, activate: bool = True,
        styles: int = 1,
    ):  # fmt: skip
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(kernel_size // 2),
            nn.Conv2d(in_channels, out_channels, kernel_size, stride),
        ]
        if activate:
            layers += [_norm(out_channels, styles), nn.ReLU(inplace=True)]
        super().__init__(*layers)


class ResidualBlock(nn.Module):
    """``x + IN(conv(ReLU(IN(conv(x)))))`` (He et al. 2016, as used by Johnson et al.)."""

    def __init__(self, channels: int, styles: int = 1):
        super().__init__()
        self.body = nn.Sequential(
            ConvLayer(channels, channels, 3, styles=styles),
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3),
            _norm(channels, styles),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class UpsampleConvLayer(nn.Module):
    """Nearest-neighbour x2 upsampling then :class:`ConvLayer` (no checkerboard artifacts,
    Odena et al. 2016)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, styles: int = 1):
        super().__init__()
        self.conv = ConvLayer(in_channels, out_channels, kernel_size, styles=styles)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class TransformerNet(nn.Module):
    """Image transformation network (Johnson et al., ECCV 2016).

    Args:
        width: channels of the first layer ``w`` (residual blocks have ``4w``); 32 in the paper.
        blocks: number of residual blocks; 5 in the paper.
        styles: names of the styles of a multi-style network (conditional instance norm, one
            scale/shift pair each); ``None``: one style, plain affine instance norm.

    Input ``B x 3 x H x W`` RGB in [0, 1] with ``H, W`` multiples of 4 (use
    :func:`stylist.johnson.stylize_image` for any size); output the same shape in [0, 1].

    Example:
        >>> net = TransformerNet(width=8, blocks=1)
        >>> net(torch.rand(1, 3, 32, 48)).shape
        torch.Size([1, 3, 32, 48])
        >>> multi = TransformerNet(width=8, blocks=1, styles=["a", "b"])
        >>> multi.set_style({"a": 0.7, "b": 0.3})
        >>> multi.blend({"a": 0.7, "b": 0.3})(torch.rand(1, 3, 32, 48)).shape
        torch.Size([1, 3, 32, 48])
    """

    def __init__(self, width: int = 32, blocks: int = 5, styles: Sequence[str] | None = None):
        super().__init__()
        self.width, self.blocks = check_whole_number("width", width, 1), check_whole_number("blocks", blocks, 0)
        if isinstance(styles, str):
            raise ValueError(f"styles must be a list of names, got the string {styles!r}")
        self.styles = list(styles) if styles is not None else None
        n = len(self.styles) if self.styles is not None else 1
        if self.styles is not None and (n < 1 or len(set(self.styles)) != n):
            raise ValueError(f"styles must be distinct names, got {self.styles}")
        self.net = nn.Sequential(
            ConvLayer(3, width, 9, styles=n),
            ConvLayer(width, 2 * width, 3, stride=2, styles=n),
            ConvLayer(2 * width, 4 * width, 3, stride=2, styles=n),
            *(ResidualBlock(4 * width, styles=n) for _ in range(blocks)),
            UpsampleConvLayer(4 * width, 2 * width, styles=n),
            UpsampleConvLayer(2 * width, width, styles=n),
            ConvLayer(width, 3, 9, activate=False),
        )

    def style_weights(self, mix: str | Mapping[str, float] | torch.Tensor) -> torch.Tensor:
        """The ``S`` style weights of ``mix``: a style name, ``{name: weight}`` (weights >= 0,
        normalised to sum 1; missing names weigh 0) or a tensor of ``S`` weights (taken as is).

        Raises:
            StylistError: a single-style network, an unknown name, or no positive weight.
        """
        if self.styles is None:
            raise StylistError("this TransformerNet has one style; a style mix needs a multi-style network")
        if isinstance(mix, torch.Tensor):
            if mix.shape != (len(self.styles),):
                raise StylistError(f"style weights must have shape ({len(self.styles)},), got {tuple(mix.shape)}")
            return mix.float()
        mix = {mix: 1.0} if isinstance(mix, str) else dict(mix)
        unknown = sorted(set(mix) - set(self.styles))
        if unknown:
            raise StylistError(f"unknown style(s) {unknown}; this network has {self.styles}")
        weights = torch.tensor([float(mix.get(name, 0.0)) for name in self.styles])
        if (weights < 0).any() or weights.sum() <= 0:
            raise StylistError(f"style weights must be >= 0 with a positive sum, got {mix}")
        return weights / weights.sum()

    def set_style(self, mix: str | Mapping[str, float] | torch.Tensor) -> None:
        """Use the style mix ``mix`` (see :meth:`style_weights`) in every conditional norm."""
        weights = self.style_weights(mix)
        for module in self.modules():
            if isinstance(module, ConditionalInstanceNorm2d):
                module.mix = weights.to(module.weight)

    def blend(self, mix: str | Mapping[str, float] | torch.Tensor) -> "TransformerNet":
        """A single-style network with the blended scale/shift pairs of ``mix`` and these
        convolutions: its output equals this network's under :meth:`set_style` ``(mix)``."""
        weights = self.style_weights(mix)
        single = TransformerNet(self.width, self.blocks)
        # conditional norms hold the only 2-D tensors (S x C); their keys are the plain norms' keys
        state = {key: weights.to(v) @ v if v.dim() == 2 else v for key, v in self.state_dict().items()}
        single.load_state_dict(state)
        return single.train(self.training)

    @classmethod
    def conditional_from(cls, single: "TransformerNet", styles: Sequence[str]) -> "TransformerNet":
        """A multi-style network with ``single``'s convolutions and its scale/shift pair in
        every style's slot (a start for training several styles from one trained network)."""
        if single.styles is not None:
            raise StylistError("conditional_from takes a single-style network")
        multi = cls(single.width, single.blocks, styles)
        state = {}
        for key, value in single.state_dict().items():
            target = multi.state_dict()[key]
            state[key] = value[None].expand_as(target).clone() if target.dim() == 2 and value.dim() == 1 else value
        multi.load_state_dict(state)
        return multi

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        height, width = image.shape[-2:]
        if height % 4 or width % 4:
            raise ValueError(
                f"TransformerNet needs H and W divisible by 4, got {height}x{width}; "
                "use stylist.johnson.stylize_image, which pads and crops back"
            )
        return torch.sigmoid(self.net(image))
