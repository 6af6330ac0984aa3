"""``python -m stylist.evaluate task=segmentation`` and ``python -m stylist.segment`` with the shipped model."""

from __future__ import annotations

import json

import pytest
from PIL import Image
from tiny_modanet import tiny_modanet  # noqa: F401  (fixture)

from stylist.cli.evaluate import evaluate_from_config
from stylist.cli.segment import segment_from_config
from stylist.segmentation import CLASS_NAMES
from stylist.utils import StylistError


@pytest.mark.slow
def test_evaluate_writes_scores_table_and_confusion(compose_cfg, tiny_modanet, tmp_path):
    cfg = compose_cfg("evaluate", [f"data.root={tiny_modanet['root']}", f"data.annotations={tiny_modanet['annotations']}",
                                   "panel=2", f"output_dir={tmp_path}"])  # fmt: skip
    result = evaluate_from_config(cfg)
    assert set(result["iou"]) == set(CLASS_NAMES) and result["images"] == 6
    assert 0 <= result["miou"] <= 1 and 0 <= result["pixel_accuracy"] <= 1
    def no_nan(constant):
        raise AssertionError(f"{constant} in scores.json: classes without pixels must be null")

    saved = json.loads((tmp_path / "scores.json").read_text(), parse_constant=no_nan)
    assert saved["miou"] == pytest.approx(result["miou"])
    assert {k for k, v in saved["iou"].items() if v is None} == {k for k, v in result["iou"].items() if v != v}
    assert "| **mIoU (14 classes)** |" in (tmp_path / "iou_table.md").read_text()
    for name in ("confusion.png", "panel.png"):
        assert Image.open(tmp_path / name).size[0] > 100


def test_evaluate_unknown_task(compose_cfg):
    with pytest.raises(StylistError, match="segmentation"):
        evaluate_from_config(compose_cfg("evaluate", ["task=depth"]))


def test_segment_writes_mask_and_overlay(compose_cfg, tiny_modanet, tmp_path):
    image = tiny_modanet["root"] / "0000001.jpg"
    mask, overlay = segment_from_config(compose_cfg("segment", [f"image={image}", f"output_dir={tmp_path}"]))
    assert Image.open(mask).size == Image.open(image).size
    assert Image.open(overlay).size[1] == Image.open(image).size[1]


def test_segment_passes_test_time_scales(compose_cfg, tiny_modanet, tmp_path):
    image = tiny_modanet["root"] / "0000001.jpg"
    cfg = compose_cfg("segment", [f"image={image}", "scales=[-1]", f"output_dir={tmp_path}"])
    with pytest.raises(StylistError, match="scales must be positive numbers"):
        segment_from_config(cfg)
    one_pass = compose_cfg("segment", [f"image={image}", "scales=[1.0]", "flip=false", f"output_dir={tmp_path}"])
    assert Image.open(segment_from_config(one_pass)[0]).size == Image.open(image).size
