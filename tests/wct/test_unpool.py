"""Max-unpooling decoders (PhotoWCT): the encoder's switches, routed to the right pooling layer."""

import pytest
import torch
import torch.nn.functional as F

import stylist.wct.decoder as decoder_module
from stylist.utils import StylistError
from stylist.wct import WCTDecoders, encode, load_decoders, save_decoders, stylize
from stylist.wct.decoder import WCTDecoder, level_layer


def test_switches_locate_the_maxima(random_encoder):
    image = torch.rand(1, 3, 34, 30)
    features, switches = random_encoder.forward_with_switches(image, ["relu1_2", "relu4_1"])
    assert torch.equal(features["relu4_1"], random_encoder(image, ["relu4_1"])["relu4_1"])
    assert sorted(switches) == ["pool1", "pool2", "pool3"]
    assert switches["pool1"].size == (34, 30) and switches["pool2"].size == (17, 15)
    x = features["relu1_2"]
    pooled = F.max_pool2d(x, 2, 2)
    unpooled = F.max_unpool2d(pooled, switches["pool1"].indices, 2, 2, output_size=switches["pool1"].size)
    assert torch.equal(F.max_pool2d(unpooled, 2, 2), pooled)  # each window's maximum is back in the window...
    hit = unpooled != 0
    assert torch.equal(unpooled[hit], x[hit])  # ...at the position the encoder found it
    assert int(hit.sum()) <= pooled.numel()


def test_encode_returns_the_pools_before_the_level(random_encoder):
    features, switches = encode(random_encoder, torch.rand(1, 3, 32, 32), 3)
    assert features.shape == (1, 256, 8, 8) and sorted(switches) == ["pool1", "pool2"]


@pytest.mark.parametrize("level", [1, 2, 3, 4])
def test_each_decoder_unpools_with_its_own_pools_coarse_to_fine(random_encoder, monkeypatch, level):
    features, switches = encode(random_encoder, torch.rand(1, 3, 35, 29), level)
    used = []
    real = F.max_unpool2d

    def recording(x, indices, *args, **kwargs):
        used.append(next(name for name, s in switches.items() if s.indices is indices))
        return real(x, indices, *args, **kwargs)

    monkeypatch.setattr(decoder_module.F, "max_unpool2d", recording)
    out = WCTDecoder(level, unpool=True)(features, switches)
    assert used == [f"pool{b}" for b in range(level - 1, 0, -1)]
    assert out.shape == (1, 3, 35, 29)  # the switches carry the odd sizes back


def test_missing_switches_are_an_error(random_encoder):
    features, switches = encode(random_encoder, torch.rand(1, 3, 16, 16), 3)
    with pytest.raises(StylistError, match="pool2"):
        WCTDecoder(3, unpool=True)(features, {"pool1": switches["pool1"]})
    with pytest.raises(StylistError):
        WCTDecoder(3, unpool=True)(features)


def test_unpooling_kind_survives_save_and_load_and_stylize_uses_it(tmp_path, random_encoder):
    torch.manual_seed(0)
    decoders = WCTDecoders(unpool=True).eval()
    loaded = load_decoders(save_decoders(decoders, tmp_path / "unpool.pt", half=True))
    assert loaded.unpool and not load_decoders(save_decoders(WCTDecoders(), tmp_path / "up.pt")).unpool
    content = torch.rand(1, 3, 29, 35)
    out = stylize(content, torch.rand(1, 3, 24, 24), alpha=0.0, decoders=loaded, encoder=random_encoder)
    image = F.pad(content, (0, 5, 0, 3), mode="replicate")  # stylize pads to multiples of 8
    for level in (4, 3, 2, 1):
        image = loaded[level_layer(level)](*encode(random_encoder, image, level)).clamp(0, 1)
    assert out.shape == content.shape and torch.allclose(out, image[..., :29, :35], atol=1e-5)
