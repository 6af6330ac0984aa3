"""stylist.metrics: the transfer scores (style ratio, relative content distance) and the photorealism
measures (colour ratio, semantic colour ratio, SSIM structure term)."""

import pytest
import torch
import torch.nn.functional as F

from stylist.metrics import (
    RATIO_STYLE_LAYERS,
    color_ratio,
    semantic_color_ratio,
    structure_similarity,
    style_ratio_terms,
    transfer_scores,
)
from stylist.utils import StylistError


def test_scores_at_the_ends_of_the_scale(random_encoder):
    content, style = torch.rand(1, 3, 48, 64), torch.rand(1, 3, 40, 40) * 0.5
    as_content = transfer_scores(random_encoder, content, content, style, size=64)
    assert as_content["style_ratio"] == pytest.approx(1.0, rel=1e-5)
    assert as_content["content_ratio"] == pytest.approx(0.0, abs=1e-10)
    between = transfer_scores(random_encoder, 0.5 * content + 0.5 * style[..., :1, :1], content, style, size=64)
    assert 0 < between["style_ratio"] and between["content_ratio"] > 0


def test_style_ratio_is_zero_for_the_style_itself_and_scale_free(random_encoder):
    content, style = torch.rand(1, 3, 64, 64), torch.rand(1, 3, 64, 64) * 0.3
    assert transfer_scores(random_encoder, style, content, style, size=64)["style_ratio"] == pytest.approx(0.0, abs=1e-10)
    big = transfer_scores(random_encoder, content, content, style, size=32)  # every image is resized first
    half = F.interpolate(content, size=(32, 32), mode="bilinear", antialias=True, align_corners=False)
    small = transfer_scores(random_encoder, half, content, style, size=32)  # the content is compared at 32 px
    assert big["style_ratio"] == pytest.approx(1.0, rel=1e-5) and small["content_ratio"] < 1e-8


def test_style_ratio_terms_split_the_style_ratio_by_layer(random_encoder):
    torch.manual_seed(0)
    content, style = torch.rand(1, 3, 48, 64), torch.rand(1, 3, 40, 40) * 0.5
    output = 0.7 * content + 0.3 * style.mean()
    terms = style_ratio_terms(random_encoder, output, content, style, size=64)
    assert list(terms) == list(RATIO_STYLE_LAYERS) and all(t["content"] > 0 for t in terms.values())
    ratio = sum(t["out"] for t in terms.values()) / sum(t["content"] for t in terms.values())
    assert ratio == pytest.approx(transfer_scores(random_encoder, output, content, style, size=64)["style_ratio"], rel=1e-6)
    same = style_ratio_terms(random_encoder, content, content, style, size=64)
    assert all(t["out"] == pytest.approx(t["content"], rel=1e-5) for t in same.values())


@pytest.fixture(scope="module")
def pair():
    generator = torch.Generator().manual_seed(0)
    content = torch.rand(1, 3, 32, 32, generator=generator)
    style = (0.5 * torch.rand(1, 3, 32, 32, generator=generator) + torch.tensor([0.4, 0.1, 0.0]).view(1, 3, 1, 1)).clamp(0, 1)
    return content, style


def test_color_ratio_is_one_without_transfer_and_zero_with_the_style_colours(pair):
    content, style = pair
    assert color_ratio(content, content, style) == pytest.approx(1.0)
    assert color_ratio(style, content, style) == pytest.approx(0.0, abs=1e-9)
    shuffled = style.flatten(2)[..., torch.randperm(32 * 32)].reshape(style.shape)  # same colours, no structure
    assert color_ratio(shuffled, content, style) == pytest.approx(0.0, abs=1e-9)


def test_semantic_ratio_weights_regions_by_content_area(pair):
    content, style = pair
    whole = [torch.ones(1, 1, 32, 32)], [torch.ones(1, 1, 32, 32)]
    assert semantic_color_ratio(content, content, style, *whole) == pytest.approx(1.0)
    top = torch.zeros(1, 1, 32, 32)
    top[..., :8, :] = 1  # a quarter of the content
    output = content.clone()
    output[..., 8:, :] = style[..., 8:, :]  # the bottom region moved fully, the top not at all
    masks, style_masks = [top, 1 - top], [top, 1 - top]
    assert semantic_color_ratio(output, content, style, masks, style_masks) == pytest.approx(0.25, abs=1e-6)
    with pytest.raises(StylistError):
        semantic_color_ratio(content, content, style, [torch.zeros(1, 1, 32, 32)], [top])


def test_structure_is_one_for_the_content_and_low_for_noise_or_inversion(pair):
    content, style = pair
    smooth = torch.nn.functional.avg_pool2d(content, 5, 1, 2)  # some structure to keep
    assert structure_similarity(smooth, smooth) == pytest.approx(1.0)
    assert structure_similarity(0.5 * smooth + 0.2, smooth) == pytest.approx(1.0, abs=1e-3)  # a colour change
    assert structure_similarity(1 - smooth, smooth) < 0
    assert structure_similarity(style, smooth) < 0.3
