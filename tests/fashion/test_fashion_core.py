"""Fashion core: part names, feathering, exact compositing, colour modes, routing, missing parts."""

import pytest
import torch

from stylist.fashion import (
    PART_NAMES,
    class_map_from_mask,
    composite,
    feather_mask,
    part_index,
    part_shares,
    restyle,
    transfer_color,
)
from stylist.losses import gram_matrix
from stylist.utils import StylistError


def _scene(height=40, width=30):
    """A class map with a top (rows 5-14), pants (rows 20-34) and background elsewhere."""
    class_map = torch.zeros(height, width, dtype=torch.long)
    class_map[5:15, 5:25] = part_index("top")
    class_map[20:35, 8:22] = part_index("pants")
    photo = torch.rand(1, 3, height, width, generator=torch.Generator().manual_seed(0))
    photo = (photo * 255).round() / 255  # 8-bit values, as loaded from a file
    return photo, class_map


def _paint(colors):
    """A fake method: paints the whole image in the style's colour."""

    def stylize(photo, style, masks):
        return torch.tensor(colors[style]).view(1, 3, 1, 1).expand_as(photo).clone()

    return stylize


def test_part_names_and_aliases():
    assert part_index("top") == 9 and part_index("Pants") == 8 and part_index("scarf/tie") == 13
    with pytest.raises(StylistError, match="valid parts: bag, belt"):
        part_index("hat")
    assert len(PART_NAMES) == 13


def test_feather_stays_exactly_zero_beyond_its_radius():
    mask = torch.zeros(1, 1, 30, 30)
    mask[..., 10:20, 10:20] = 1
    soft = feather_mask(mask, 3)
    ring = torch.zeros_like(mask, dtype=torch.bool)
    ring[..., 7:23, 7:23] = True
    assert soft[~ring].eq(0).all() and soft[ring].gt(0).all()
    assert soft[..., 12:18, 12:18].eq(1).all() and 0 < soft[0, 0, 15, 8] < 1
    assert torch.equal(feather_mask(mask, 0), mask)


def test_composite_is_exact_outside_the_mask():
    photo, stylized = torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8)
    mask = torch.zeros(1, 1, 8, 8)
    mask[..., :4, :] = 1.0
    mask[..., 4, :] = 0.25
    out = composite(photo, stylized, mask)
    assert torch.equal(out[..., 5:, :], photo[..., 5:, :])
    assert torch.allclose(out[..., :4, :], stylized[..., :4, :])
    assert torch.allclose(out[..., 4, :], 0.75 * photo[..., 4, :] + 0.25 * stylized[..., 4, :])


def test_each_part_gets_its_own_style_and_the_rest_is_untouched():
    photo, class_map = _scene()
    result = restyle(
        photo, class_map, {"top": "red", "pants": "blue"}, _paint({"red": [1.0, 0, 0], "blue": [0, 0, 1.0]}), feather=2
    )
    red, blue = torch.tensor([1.0, 0, 0]), torch.tensor([0, 0, 1.0])
    assert torch.allclose(result.image[0, :, 9, 15], red) and torch.allclose(result.image[0, :, 27, 15], blue)
    far = feather_mask((class_map > 0).float()[None, None], 2)[0, 0] == 0
    assert torch.equal(result.image[0][:, far], photo[0][:, far])
    assert result.restyled == {"top": "red", "pants": "blue"} and not result.missing
    assert set(result.parts_found) == {"top", "pants"}
    assert result.parts_found["top"] == pytest.approx(200 / 1200)


def test_parts_sharing_a_style_are_stylized_once():
    photo, class_map = _scene()
    calls = []

    def stylize(photo, style, masks):
        calls.append((style, len(masks)))
        return torch.zeros_like(photo)

    restyle(photo, class_map, {"top": "a", "pants": "a"}, stylize)
    assert calls == [("a", 2)]


def test_missing_part_warns_and_returns_the_photo_unchanged():
    photo, class_map = _scene()
    with pytest.warns(UserWarning, match="skirt not found in the photo; found: pants, top"):
        result = restyle(photo, class_map, {"skirt": "red"}, _paint({"red": [1.0, 0, 0]}))
    assert torch.equal(result.image, photo) and result.missing == ["skirt"] and result.restyled == {}


def test_unknown_part_is_an_error_listing_valid_names():
    photo, class_map = _scene()
    with pytest.raises(StylistError, match="unknown part 'jeans'; valid parts:"):
        restyle(photo, class_map, {"jeans": "red"}, _paint({"red": [1.0, 0, 0]}))


def test_color_modes_swap_luminance_and_colour():
    photo = torch.full((1, 3, 4, 4), 0.5)
    photo[:, 0] = 0.8  # a reddish grey garment
    stylized = 0.35 + 0.3 * torch.rand(1, 3, 4, 4, generator=torch.Generator().manual_seed(1))  # unclipped
    garment = transfer_color(photo, stylized, "garment")
    style = transfer_color(photo, stylized, "style")
    luma = lambda x: (0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2])  # noqa: E731
    assert torch.allclose(luma(style), luma(photo), atol=1e-3)
    assert not torch.allclose(luma(garment), luma(photo), atol=1e-2)
    assert torch.equal(transfer_color(photo, stylized, "none"), stylized)
    with pytest.raises(StylistError, match="color must be one of"):
        transfer_color(photo, stylized, "sepia")


def test_user_mask_as_label_map_or_binary():
    labels = torch.zeros(1, 1, 6, 6)
    labels[..., :3, :] = part_index("skirt") / 255
    assert class_map_from_mask(labels, ["top"])[0, 0] == part_index("skirt")
    binary = torch.zeros(1, 1, 6, 6)
    binary[..., 3:, :] = 1.0
    class_map = class_map_from_mask(binary, ["pants", "top"])
    assert class_map[5, 0] == part_index("pants") and class_map[0, 0] == 0


def test_part_shares_sorted_largest_first():
    _, class_map = _scene()
    assert list(part_shares(class_map)) == ["pants", "top"]


def test_guided_gram_ignores_features_outside_the_mask():
    features = torch.rand(1, 4, 10, 10)
    guide = torch.zeros(1, 1, 10, 10)
    guide[..., :5, :] = 1
    changed = features.clone()
    changed[..., 5:, :] = torch.rand(1, 4, 5, 10)
    assert torch.allclose(gram_matrix(features, guide), gram_matrix(changed, guide))
    assert not torch.allclose(gram_matrix(features), gram_matrix(changed))
