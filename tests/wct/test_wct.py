"""Multi-level stylize: alpha=0 is the content reconstruction, odd sizes, masks, the METHODS adapter."""

import pytest
import torch

from stylist.methods import get_method
from stylist.utils import StylistError
from stylist.wct import WCTDecoders, save_decoders, stylize, stylize_regions


@pytest.fixture(scope="module")
def decoders():
    torch.manual_seed(0)
    return WCTDecoders().eval()


def _reconstruct(encoder, decoders, image):
    for layer in ("relu4_1", "relu3_1", "relu2_1", "relu1_1"):
        image = decoders[layer](encoder(image, [layer])[layer]).clamp(0, 1)
    return image


def test_alpha_zero_returns_the_content_reconstruction(random_encoder, decoders):
    content, style = torch.rand(1, 3, 32, 32), torch.rand(1, 3, 24, 24)
    out = stylize(content, style, alpha=0.0, decoders=decoders, encoder=random_encoder)
    assert torch.allclose(out, _reconstruct(random_encoder, decoders, content), atol=1e-5)
    styled = stylize(content, style, alpha=1.0, decoders=decoders, encoder=random_encoder)
    assert not torch.allclose(out, styled, atol=1e-4)


def test_odd_sizes_and_flat_images(random_encoder, decoders):
    out = stylize(torch.rand(1, 3, 29, 35), torch.rand(1, 3, 20, 20), decoders=decoders, encoder=random_encoder)
    assert out.shape == (1, 3, 29, 35)
    flat = stylize(torch.full((1, 3, 32, 32), 0.5), torch.full((1, 3, 16, 16), 0.2), alpha=1.0,
                   decoders=decoders, encoder=random_encoder)  # fmt: skip
    assert torch.isfinite(flat).all()


def test_regions_with_empty_mask_equal_the_reconstruction(random_encoder, decoders):
    content = torch.rand(1, 3, 32, 32)
    out = stylize_regions(content, [torch.rand(1, 3, 16, 16)], [torch.zeros(1, 1, 32, 32)],
                          decoders=decoders, encoder=random_encoder)  # fmt: skip
    assert torch.allclose(out, _reconstruct(random_encoder, decoders, content), atol=1e-5)
    with pytest.raises(StylistError):
        stylize_regions(content, [content], [], decoders=decoders, encoder=random_encoder)
    with pytest.raises(StylistError):
        stylize(content, [content], masks=[torch.ones(1, 1, 32, 32)], style_blend=[1.0],
                decoders=decoders, encoder=random_encoder)  # fmt: skip


def test_method_adapter_runs_with_a_decoder_file(tmp_path, decoders, monkeypatch):
    import stylist.backbones

    path = save_decoders(decoders, tmp_path / "dec.pt")
    real = stylist.backbones.get_backbone
    monkeypatch.setattr(stylist.backbones, "get_backbone", lambda name, **kw: real(name, weights="random"))
    result = get_method("wct")(model=str(path), alpha=0.5)(torch.rand(1, 3, 32, 32), [torch.rand(1, 3, 32, 32)])
    assert result.image.shape == (1, 3, 32, 32)



def test_each_style_is_encoded_once_for_all_levels(random_encoder, decoders, monkeypatch):
    calls = []
    real = type(random_encoder).forward

    def counting(self, image, layers):
        calls.append(list(layers))
        return real(self, image, layers)

    monkeypatch.setattr(type(random_encoder), "forward", counting)
    styles = [torch.rand(1, 3, 24, 24), torch.rand(1, 3, 16, 16)]
    stylize(torch.rand(1, 3, 32, 32), styles, alpha=1.0, decoders=decoders, encoder=random_encoder)
    assert calls == [["relu4_1", "relu3_1", "relu2_1", "relu1_1"]] * 2
