"""The transfer scores of stylist.metrics: style ratio and relative content distance."""

import pytest
import torch
import torch.nn.functional as F

from stylist.metrics import transfer_scores


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
