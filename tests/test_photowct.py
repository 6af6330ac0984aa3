"""FastPhotoStyle: PhotoWCT with style-region statistics, then smoothing; a tiny end-to-end run.
(The unpooling decoders themselves are tested in tests/wct/test_unpool.py.)"""

import numpy as np
import pytest
import torch
from PIL import Image

from stylist.methods import PhotoWCT
from stylist.photowct import stylize
from stylist.utils import StylistError
from stylist.wct import WCTDecoders, masked_wct


def test_regions_take_the_statistics_of_their_style_region_only():
    torch.manual_seed(0)
    content = torch.randn(1, 4, 6, 6)
    style = torch.randn(1, 4, 6, 6)
    style[..., :3, :] += 5.0  # the masked style region has mean ~5, the rest ~0
    style_mask = torch.zeros(1, 1, 6, 6)
    style_mask[..., :3, :] = 1
    whole = torch.ones(1, 1, 6, 6)
    inside = masked_wct(content, [style], [whole], style_masks=[style_mask])
    everywhere = masked_wct(content, [style], [whole])
    assert torch.allclose(inside.mean(dim=(2, 3)), style[..., :3, :].mean(dim=(2, 3)), atol=1e-4)
    assert not torch.allclose(everywhere.mean(dim=(2, 3)), inside.mean(dim=(2, 3)), atol=1.0)


def test_tiny_end_to_end_with_unpooling_decoders_and_label_maps(tmp_path, random_encoder):
    torch.manual_seed(0)
    decoders = WCTDecoders(levels=(1, 2), unpool=True).eval()
    labels = np.zeros((24, 32, 3), np.uint8)
    labels[:, :16] = (255, 0, 0)
    Image.fromarray(labels).save(tmp_path / "c.png")
    Image.fromarray(labels).save(tmp_path / "s.png")
    content, style = torch.rand(1, 3, 24, 32), torch.rand(1, 3, 24, 32)
    photowct = PhotoWCT(decoders, content_mask=str(tmp_path / "c.png"), style_mask=str(tmp_path / "s.png"),
                        encoder=random_encoder, levels=[2, 1])  # fmt: skip
    result = photowct(content, [style])
    image = result.image
    assert image.shape == content.shape and torch.isfinite(image).all() and image.min() >= 0 and image.max() <= 1
    assert sorted(result.info["regions"]) == ["#000000", "#ff0000"] and {"photowct", "smoothing"} <= set(result.info["seconds"])


def test_smoothing_can_be_switched_off(random_encoder):
    torch.manual_seed(0)
    decoders = WCTDecoders(levels=(1,), unpool=True).eval()
    content, style = torch.rand(1, 3, 16, 16), torch.rand(1, 3, 16, 16)
    result = stylize(content, style, decoders=decoders, encoder=random_encoder, levels=(1,), smooth_weight=0)
    assert torch.equal(result.image, result.unsmoothed) and "smoothing" not in result.seconds


@pytest.mark.parametrize(
    "option, message",
    [
        ({"smooth_weight": -1.0}, "smooth_weight must be >= 0"),
        ({"filter_eps": 0.0}, "filter_eps > 0"),
        ({"filter_radius": 0}, "filter_radius must be >= 1"),
        ({"smooth_size": 4}, "smooth_size must be at least 16 px"),
    ],
)
def test_bad_smoothing_settings_are_refused_before_any_work(option, message):
    image = torch.rand(1, 3, 16, 16)
    with pytest.raises(StylistError, match=message):  # before, a negative weight silently skipped the smoothing
        stylize(image, image, decoders="no_such_decoders", **option)
