"""Color-coded label maps -> matched region pairs (unmatched colours reported), and the choice of
region source for the photorealistic methods."""

import numpy as np
import pytest
import torch
from PIL import Image

from stylist.regions import MAX_COLORS, label_map_pairs, load_label_map, resolve_regions
from stylist.utils import StylistError

RED, BLUE, GREEN, YELLOW = (255, 0, 0), (0, 0, 255), (0, 255, 0), (255, 255, 0)


def _write(path, rows):
    Image.fromarray(np.asarray(rows, np.uint8)).save(path)
    return path


@pytest.fixture
def maps(tmp_path):
    # content: left half red, right half blue, bottom-right pixel green (no partner)
    content = [[RED, RED, BLUE, BLUE], [RED, RED, BLUE, GREEN]]
    # style (3 x 2, other size): top blue, bottom red, one yellow pixel (no partner)
    style = [[BLUE, BLUE], [RED, YELLOW], [RED, RED]]
    return _write(tmp_path / "content.png", content), _write(tmp_path / "style.png", style)


def test_regions_pair_by_colour_and_unmatched_colours_are_reported(maps):
    pairs = label_map_pairs(*maps, content_size=(2, 4), style_size=(3, 2))
    assert sorted(pairs.names) == ["#0000ff", "#ff0000"]
    assert pairs.unmatched_content == ["#00ff00"] and pairs.unmatched_style == ["#ffff00"]
    by_name = dict(zip(pairs.names, zip(pairs.content_masks, pairs.style_masks)))
    red_content, red_style = by_name["#ff0000"]
    assert red_content[0, 0].tolist() == [[1, 1, 0, 0], [1, 1, 0, 0]]
    assert red_style[0, 0].tolist() == [[0, 0], [1, 0], [1, 1]]
    blue_content, _ = by_name["#0000ff"]
    assert blue_content[0, 0].tolist() == [[0, 0, 1, 1], [0, 0, 1, 0]]


def test_resizing_is_nearest_neighbour_so_no_new_colours_appear(tmp_path):
    rng = np.random.default_rng(0)
    palette = np.asarray([RED, BLUE, GREEN], np.uint8)
    path = _write(tmp_path / "labels.png", palette[rng.integers(0, 3, (30, 40))])
    labels, colours = load_label_map(path, size=(45, 60))
    assert labels.shape == (45, 60) and sorted(colours) == sorted(map(tuple, palette.tolist()))


def test_jpeg_like_maps_and_wrong_aspect_ratios_are_errors(tmp_path):
    noisy = np.random.default_rng(0).integers(0, 256, (20, 20, 3)).astype(np.uint8)
    with pytest.raises(StylistError, match=f"at most {MAX_COLORS}"):
        load_label_map(_write(tmp_path / "noisy.png", noisy))
    with pytest.raises(StylistError, match="aspect"):
        load_label_map(_write(tmp_path / "flat.png", [[RED] * 4] * 2), size=(4, 4))
    with pytest.raises(StylistError, match="cannot read"):
        load_label_map(tmp_path / "missing.png")


def test_maps_sharing_no_colour_are_an_error(tmp_path):
    a = _write(tmp_path / "a.png", [[RED, RED]])
    b = _write(tmp_path / "b.png", [[BLUE, BLUE]])
    with pytest.raises(StylistError, match="share no colour"):
        label_map_pairs(a, b, (1, 2), (1, 2))


def test_resolve_regions_repeats_the_style_per_pair_and_rejects_mixed_sources(maps):
    content, style = torch.rand(1, 3, 2, 4), torch.rand(1, 3, 3, 2)
    styles, pairs = resolve_regions(content, [style], content_mask=maps[0], style_mask=maps[1])
    assert len(styles) == len(pairs.content_masks) == 2 and all(s is style for s in styles)
    assert resolve_regions(content, [style]) == ([style], None)
    with pytest.raises(StylistError, match="one source"):
        resolve_regions(content, [style], masks=[torch.ones(1, 1, 2, 4)], content_mask=maps[0], style_mask=maps[1])
    with pytest.raises(StylistError, match="both"):
        resolve_regions(content, [style], content_mask=maps[0])
