"""``style_scale``: the style image's longest side is the output's times ``style_scale``, for Gatys
(library and CLI) and for Johnson training (``serve_size x style_scale``)."""

import functools

import pytest
import torch

import stylist.gatys
import stylist.johnson.module
import stylist.methods
from stylist.cli.stylize import stylize_from_config
from stylist.image import load_image, style_size
from stylist.utils import StylistError


class _Seen(Exception):
    pass


def test_style_size_is_output_times_scale():
    assert [style_size(512, s) for s in (0.5, 1.0, 2.0)] == [256, 512, 1024]
    assert style_size(20, 0.1) == 16  # never below the smallest loadable image
    for bad in (0.0, -1, "abc", True):
        with pytest.raises(StylistError, match="style_scale must be a number > 0"):
            style_size(512, bad)


@pytest.mark.parametrize("scale", [0.5, 2.0])
def test_gatys_resizes_the_style_to_content_times_scale(monkeypatch, scale):
    seen = {}

    def capture(loss_fn, content, styles, *args, **kwargs):
        seen["content"], seen["style"] = content.shape[-2:], styles[0].shape[-2:]
        raise _Seen

    monkeypatch.setattr(stylist.gatys, "optimise_over_scales", capture)
    content, style = torch.rand(1, 3, 40, 64), torch.rand(1, 3, 90, 60)
    with pytest.raises(_Seen):
        stylist.gatys.stylize(content, style, style_scale=scale, encoder=torch.nn.Identity(), progress=False)
    assert max(seen["style"]) == round(64 * scale)
    assert seen["style"][0] / seen["style"][1] == pytest.approx(90 / 60, rel=0.05)  # aspect kept


def test_cli_style_scale_sizes_every_style(compose_cfg, monkeypatch):
    seen = {}

    def capture(self, content, styles, *args, **kwargs):
        seen["content"], seen["styles"] = content.shape[-2:], [s.shape[-2:] for s in styles]
        raise _Seen

    monkeypatch.setattr(stylist.methods.Gatys, "__call__", capture)
    cfg = compose_cfg("stylize", ["size=64", "style=[swirls,chelsea]", "style_scale=0.5", "progress=false"])
    with pytest.raises(_Seen):
        stylize_from_config(cfg)
    assert max(seen["content"]) == 64 and [max(s) for s in seen["styles"]] == [32, 32]


def test_johnson_training_style_is_serve_size_times_scale(monkeypatch, random_encoder):
    sizes = []

    def recording_load(spec, size=None, **kwargs):
        sizes.append(size)
        return load_image(spec, size=size, **kwargs)

    monkeypatch.setattr(stylist.johnson.module, "load_image", recording_load)
    from stylist.johnson import JohnsonModule, TransformerNet
    from stylist.losses import PerceptualLoss

    loss = functools.partial(PerceptualLoss, content_layers=["relu2_2"], style_layers=["relu1_2"])
    JohnsonModule(TransformerNet(width=4, blocks=1), loss, random_encoder, style="swirls", style_scale=0.75, serve_size=64)
    assert sizes == [48]
