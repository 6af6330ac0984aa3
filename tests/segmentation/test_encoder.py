"""The VGG16 smp encoder: registry, strides, pretrained weights, and the cached-feature path."""

from __future__ import annotations

import pytest
import segmentation_models_pytorch as smp
import torch

from stylist.segmentation.encoder import ENCODER_NAME, VGG16Encoder
from stylist.segmentation.model import build_deeplab


def test_registered_in_smp():
    assert ENCODER_NAME in smp.encoders.get_encoder_names()
    net = smp.DeepLabV3Plus(encoder_name=ENCODER_NAME, encoder_weights=None, encoder_output_stride=16, classes=3)
    assert isinstance(net.encoder, VGG16Encoder) and net.encoder.output_stride == 16


@pytest.mark.parametrize("stride", [32, 16, 8])
def test_feature_strides(stride):
    encoder = VGG16Encoder(output_stride=stride)
    features = encoder(torch.rand(1, 3, 64, 32))
    assert [f.shape[1] for f in features] == [3, 64, 128, 256, 512, 512]
    expected = [min(2**k, stride) for k in range(6)]
    assert [64 // f.shape[-2] for f in features] == expected


def test_pretrained_features_match_the_backbone(hed_encoder):
    encoder = VGG16Encoder(output_stride=16).load_vgg("hed")
    image = torch.rand(1, 3, 48, 32)
    with torch.no_grad():
        ours = encoder(image)
        reference = hed_encoder(image, ["pool2", "relu5_3"])
    torch.testing.assert_close(ours[2], reference["pool2"])
    torch.testing.assert_close(ours[5], reference["relu5_3"])


def test_cached_path_gives_the_full_forward():
    torch.manual_seed(0)
    net = build_deeplab(encoder_weights="random", freeze_until="pool4", atrous_rates=(1, 2, 3), decoder_channels=32).eval()
    image = torch.rand(2, 3, 64, 48)
    with torch.no_grad():
        full = net(image)
        low, high = net.encoder.frozen_features(image)
        cached = net.segmentation_head(net.decoder(net.encoder.features_from(low, high)))
    torch.testing.assert_close(cached, full)
    frozen = [name for name, p in net.encoder.named_parameters() if not p.requires_grad]
    assert "layers.conv4_3.weight" in frozen and "layers.conv5_1.weight" not in frozen
    assert net.build_kwargs["freeze_until"] == "pool4"
