"""stylist.gatys refuses optimizers, iteration counts, scales and style blends it cannot honour, before optimising;
the style-blend check is the one WCT uses."""

from __future__ import annotations

import pytest
import torch

from stylist.gatys import stylize
from stylist.utils import StylistError
from stylist.wct.transforms import wct


@pytest.fixture
def pair():
    generator = torch.Generator().manual_seed(0)
    return torch.rand(1, 3, 32, 32, generator=generator), torch.rand(1, 3, 32, 32, generator=generator)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"iterations": 0}, "iterations must be a whole number >= 1, got 0"),
        ({"iterations": -5}, "iterations must be"),
        ({"scales": [0, -1]}, r"scales must be positive numbers .* got \[0, -1\]"),
        ({"scales": []}, "scales is empty"),
        ({"scales": [0.5, float("inf")]}, "scales must be positive"),
        ({"optimizer": "sgd"}, "optimizer must be 'lbfgs' or 'adam', not 'sgd'"),
    ],
)
def test_bad_budget_is_refused(random_encoder, pair, options, message):
    with pytest.raises(StylistError, match=message):
        stylize(*pair, encoder=random_encoder, progress=False, **{"iterations": 2, **options})


def test_scale_that_makes_a_thin_content_too_small_is_refused(random_encoder):
    content = torch.rand(1, 3, 20, 80)
    with pytest.raises(StylistError, match="scale 0.5 makes the 80x20 px content 40x10 px"):
        stylize(content, content, scales=[0.5, 1.0], iterations=2, encoder=random_encoder, progress=False)


def test_negative_blend_weights_are_refused_by_gatys_as_by_wct(random_encoder, pair):
    content, style = pair
    with pytest.raises(StylistError, match=r"style_blend: need 2 non-negative numbers .* got \[1.5, -0.5\]"):
        stylize(content, [style, style.flip(-1)], style_blend=[1.5, -0.5], iterations=2, encoder=random_encoder,
                progress=False)  # fmt: skip
    with pytest.raises(StylistError, match=r"style_blend: need 2 non-negative numbers .* got \[1.5, -0.5\]"):
        wct(torch.rand(1, 4, 5, 5), [torch.rand(1, 4, 5, 5)] * 2, style_blend=[1.5, -0.5])
