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
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["TransformerNet", "ConvLayer", "ResidualBlock", "UpsampleConvLayer"]


class ConvLayer(nn.Sequential):
    """Reflection padding + convolution (+ InstanceNorm + ReLU unless ``activate=False``)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, activate: bool = True):
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(kernel_size // 2),
            nn.Conv2d(in_channels, out_channels, kernel_size, stride),
        ]
        if activate:
            layers += [nn.InstanceNorm2d(out_channels, affine=True), nn.ReLU(inplace=True)]
        super().__init__(*layers)


class ResidualBlock(nn.Module):
    """``x + IN(conv(ReLU(IN(conv(x)))))`` (He et al. 2016, as used by Johnson et al.)."""

    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            ConvLayer(channels, channels, 3),
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3),
            nn.InstanceNorm2d(channels, affine=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class UpsampleConvLayer(nn.Module):
    """Nearest-neighbour x2 upsampling then :class:`ConvLayer` (no checkerboard artifacts,
    Odena et al. 2016)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3):
        super().__init__()
        self.conv = ConvLayer(in_channels, out_channels, kernel_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class TransformerNet(nn.Module):
    """Image transformation network (Johnson et al., ECCV 2016).

    Args:
        width: channels of the first layer ``w`` (residual blocks have ``4w``); 32 in the paper.
        blocks: number of residual blocks; 5 in the paper.

    Input ``B x 3 x H x W`` RGB in [0, 1] with ``H, W`` multiples of 4 (use
    :func:`stylist.johnson.stylize_image` for any size); output the same shape in [0, 1].

    Example:
        >>> net = TransformerNet(width=8, blocks=1)
        >>> net(torch.rand(1, 3, 32, 48)).shape
        torch.Size([1, 3, 32, 48])
    """

    def __init__(self, width: int = 32, blocks: int = 5):
        super().__init__()
        self.width, self.blocks = width, blocks
        self.net = nn.Sequential(
            ConvLayer(3, width, 9),
            ConvLayer(width, 2 * width, 3, stride=2),
            ConvLayer(2 * width, 4 * width, 3, stride=2),
            *(ResidualBlock(4 * width) for _ in range(blocks)),
            UpsampleConvLayer(4 * width, 2 * width),
            UpsampleConvLayer(2 * width, width),
            ConvLayer(width, 3, 9, activate=False),
        )

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        height, width = image.shape[-2:]
        if height % 4 or width % 4:
            raise ValueError(
                f"TransformerNet needs H and W divisible by 4, got {height}x{width}; "
                "use stylist.johnson.stylize_image, which pads and crops back"
            )
        return torch.sigmoid(self.net(image))
