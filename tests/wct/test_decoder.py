"""Decoders mirror the encoder: shapes, save/load round trip (float16 too), calibration."""

import pytest
import torch

from stylist.utils import StylistError
from stylist.wct.decoder import LEVELS, WCTDecoder, WCTDecoders, level_layer, load_decoders, save_decoders


@pytest.mark.parametrize("level", LEVELS)
def test_decoder_inverts_encoder_shapes(random_encoder, level):
    image = torch.rand(1, 3, 32, 48)
    layer = level_layer(level)
    features = random_encoder(image, [layer])[layer]
    assert WCTDecoder(level)(features).shape == image.shape


def test_unknown_level_is_an_error():
    with pytest.raises(StylistError):
        WCTDecoder(5)


def test_calibrate_sets_scale_once():
    decoder = WCTDecoder(1)
    decoder.calibrate(torch.full((1, 64, 4, 4), 4.0))
    assert float(decoder.input_scale) == pytest.approx(0.25)
    decoder.calibrate(torch.full((1, 64, 4, 4), 1.0))
    assert float(decoder.input_scale) == pytest.approx(0.25)


@pytest.mark.parametrize("half", [False, True])
def test_save_load_round_trip(tmp_path, half):
    decoders = WCTDecoders((1, 2))
    decoders["relu1_1"].calibrate(torch.full((1, 64, 2, 2), 2.0))
    path = save_decoders(decoders, tmp_path / "d.pt", half=half)
    loaded = load_decoders(path)
    assert loaded.layers == ["relu1_1", "relu2_1"]
    features = torch.rand(1, 64, 8, 8)
    tol = 1e-2 if half else 1e-6
    assert torch.allclose(loaded["relu1_1"](features), decoders["relu1_1"](features), atol=tol)
    with pytest.raises(StylistError):
        load_decoders(tmp_path / "missing.pt")
