"""``python -m stylist.fashion`` with user label maps at another size or with values outside 0-13, and
with style names that name nothing."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from stylist.cli.fashion import fashion_from_config
from stylist.fashion import class_map_from_mask, part_index
from stylist.utils import StylistError

TINY_GATYS = ["method=gatys", "method.iterations=2", "method.optimizer=adam", "method.lr=0.05",
              "backbone.weights=random", "progress=false"]  # fmt: skip


def test_label_map_at_half_size_is_resized_without_inventing_classes(compose_cfg, tmp_path):
    rng = np.random.default_rng(0)
    Image.fromarray((rng.random((48, 40, 3)) * 255).astype(np.uint8)).save(tmp_path / "photo.png")
    labels = np.zeros((24, 20), np.uint8)
    labels[2:10, 3:17] = part_index("top")
    labels[10:23, 5:15] = part_index("pants")  # touches the top: bilinear would paint classes between them
    Image.fromarray(labels).save(tmp_path / "labels.png")
    cfg = compose_cfg("fashion", TINY_GATYS + [f"image={tmp_path / 'photo.png'}", f"mask={tmp_path / 'labels.png'}",
                                               "parts=[top]", "style=swirls"])  # fmt: skip
    record = fashion_from_config(cfg)
    assert set(record["parts_found"]) == {"top", "pants"}
    assert record["parts_found"]["top"] == pytest.approx((labels == part_index("top")).mean(), abs=0.01)


def test_label_map_with_values_outside_0_13_is_an_error():
    labels = torch.zeros(1, 1, 8, 8)
    labels[..., :4, :] = part_index("top") / 255
    labels[..., 4:, :2] = part_index("pants") / 255
    labels[..., 6, 6] = 20 / 255
    with pytest.raises(StylistError, match="label map has values outside ModaNet's 0-13: 20"):
        class_map_from_mask(labels, ["top"])


def test_binary_mask_with_soft_edges_is_still_binary():
    mask = torch.zeros(1, 1, 8, 8)
    mask[..., 4:, :] = 1.0
    mask[..., 3, :] = 5 / 255  # an antialiased edge
    class_map = class_map_from_mask(mask, ["skirt"])
    assert set(class_map.unique().tolist()) == {0, part_index("skirt")}


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["styles={top: starry_night, pants: no_such_model}"], "no shipped model or file 'no_such_model'"),
        (TINY_GATYS + ["parts=[top]", "style=no_such_painting"], "image not found: no_such_painting"),
        (TINY_GATYS + ["parts=[top]", f"style={__file__}"], "cannot read image"),  # a file, but not an image
        (["parts=[top]", "feather=-3"], "feather must be a whole number >= 0"),  # was taken as 0
        (["parts=[top]", "feather=2.5"], "feather must be a whole number >= 0"),
    ],
)
def test_bad_style_or_setting_fails_before_segmentation(compose_cfg, tmp_path, monkeypatch, overrides, message):
    import stylist.segmentation

    def no_segmenter(*args, **kwargs):
        raise AssertionError("the segmenter was loaded before the styles were checked")

    monkeypatch.setattr(stylist.segmentation, "load_segmenter", no_segmenter)
    Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(tmp_path / "photo.png")
    cfg = compose_cfg("fashion", [f"image={tmp_path / 'photo.png'}", f"output={tmp_path / 'out.png'}", *overrides])
    with pytest.raises(StylistError, match=message):
        fashion_from_config(cfg)
    assert not (tmp_path / "out.png").exists()
