"""The network: smp's ``DeepLabV3Plus`` on the project's VGG16 encoder (``stylist_vgg16``)."""

from __future__ import annotations

from typing import Sequence

import segmentation_models_pytorch as smp

from stylist.segmentation.encoder import ENCODER_NAME, register_encoder
from stylist.segmentation.modanet import NUM_CLASSES

__all__ = ["build_deeplab"]


def build_deeplab(
    encoder_weights: str | None = "hed",
    freeze_until: str | None = None,
    output_stride: int = 16,
    atrous_rates: Sequence[int] = (6, 12, 18),
    decoder_channels: int = 256,
    aspp_dropout: float = 0.5,
    classes: int = NUM_CLASSES,
) -> smp.DeepLabV3Plus:
    """Build DeepLabV3+ with the VGG16 encoder.

    Args:
        encoder_weights: VGG16 weights for the encoder (``"hed"``, ``"imagenet"``, a ``.pth`` path,
            see :func:`stylist.backbones.vgg.vgg16`) or ``None`` for random initialisation.
        freeze_until: VGG16 layer up to which the encoder is frozen (``"pool4"``), or ``None``.
        output_stride: 16 or 8.
        atrous_rates: ASPP dilation rates.
        decoder_channels: ASPP and decoder width.
        aspp_dropout: dropout in the ASPP projection.
        classes: number of output classes.

    Returns:
        ``smp.DeepLabV3Plus`` mapping ``B x 3 x H x W`` in [0, 1] (sides multiples of 16) to
        ``B x classes x H x W`` logits; its constructor arguments are kept in ``.build_kwargs``.

    Example:
        >>> net = build_deeplab(encoder_weights=None)
        >>> net(torch.rand(2, 3, 64, 48)).shape  # doctest: +SKIP
        torch.Size([2, 14, 64, 48])
    """
    register_encoder()
    net = smp.DeepLabV3Plus(
        encoder_name=ENCODER_NAME,
        encoder_weights=None,
        encoder_output_stride=output_stride,
        decoder_atrous_rates=tuple(atrous_rates),
        decoder_channels=decoder_channels,
        decoder_aspp_dropout=aspp_dropout,
        classes=classes,
    )
    if encoder_weights is not None:
        net.encoder.load_vgg(encoder_weights)
    net.encoder.freeze(freeze_until)
    net.build_kwargs = {
        "encoder_weights": encoder_weights, "freeze_until": freeze_until, "output_stride": output_stride,
        "atrous_rates": [int(r) for r in atrous_rates], "decoder_channels": decoder_channels,
        "aspp_dropout": aspp_dropout, "classes": classes,
    }  # fmt: skip
    return net
