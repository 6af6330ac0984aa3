"""Segmentation with bad inputs: corrupt or foreign model files, broken annotation files, evaluation
of files without images or annotations, bad ``panel``/``bf16`` settings, ``python -m stylist.segment`` without
``image=``."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch
import yaml
from tiny_modanet import tiny_modanet  # noqa: F401  (fixture)

from stylist.cli.evaluate import evaluate_from_config
from stylist.segmentation import CLASS_NAMES, Segmenter, load_segmenter
from stylist.segmentation.model import build_deeplab
from stylist.segmentation.modanet import ModaNetAnnotations
from stylist.utils import StylistError

NET = {"decoder_channels": 32}


@pytest.fixture(scope="module")
def tiny_segmenter_file(tmp_path_factory):
    """A random DeepLabV3+ saved as shipped models are: ``seg.pt`` and ``seg.yaml`` side by side."""
    folder = tmp_path_factory.mktemp("segmenter")
    torch.manual_seed(0)
    torch.save(build_deeplab(encoder_weights=None, **NET).state_dict(), folder / "seg.pt")
    meta = {"kind": "deeplab", "architecture": {"net": NET, "long_side": 48, "class_names": list(CLASS_NAMES)}}
    (folder / "seg.yaml").write_text(yaml.safe_dump(meta))
    return folder / "seg.pt"


def test_weights_file_with_its_metadata_loads(tiny_segmenter_file):
    segmenter = load_segmenter(str(tiny_segmenter_file))
    assert isinstance(segmenter, Segmenter) and segmenter.long_side == 48


@pytest.mark.parametrize("name", ["seg.pt", "seg.ckpt"])
def test_corrupt_segmenter_file_is_named_not_called_unknown(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"\x80\x02garbage" * 20)
    with pytest.raises(StylistError, match=f"cannot read model file {path}") as info:
        load_segmenter(str(path))
    assert "no shipped model" not in str(info.value)


def test_bare_state_dict_without_metadata_says_what_is_missing(tmp_path, tiny_segmenter_file):
    bare = tmp_path / "bare.pt"
    bare.write_bytes(tiny_segmenter_file.read_bytes())
    with pytest.raises(StylistError, match="bare state dict: a segmenter also needs its metadata bare.yaml"):
        load_segmenter(str(bare))


def test_other_kind_of_model_is_refused(tmp_path):
    torch.save({"net.0.1.weight": torch.zeros(1)}, tmp_path / "style.pt")
    (tmp_path / "style.yaml").write_text(yaml.safe_dump({"kind": "johnson"}))
    with pytest.raises(StylistError, match="does not describe a segmenter"):
        load_segmenter(str(tmp_path / "style.pt"))


def _write(path, text):
    path.write_text(text)
    return path


IMAGE = {"id": 1, "file_name": "0000001.jpg", "height": 96, "width": 64}


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"images": [{"id": 1, "file_name": "a.jpg", "hei', "is not valid JSON"),
        (json.dumps({"images": [IMAGE], "annotations": [
            {"id": 7, "image_id": 1, "category_id": 9, "segmentation": [["a", "b", "c", "d", "e", "f"]]}]}),
         "annotation 7: segmentation must be polygons of numbers"),
        (json.dumps({"images": [IMAGE], "annotations": [
            {"id": 8, "image_id": 1, "category_id": 9, "segmentation": "1 2 3 4 5 6"}]}),
         "annotation 8: segmentation must be"),
        (json.dumps({"images": [IMAGE], "annotations": [{"id": 9, "image_id": "one", "category_id": 9}]}),
         "annotation 9: needs numeric image_id and category_id"),
        (json.dumps({"images": [IMAGE], "annotations": [{"id": 3, "image_id": 1, "category_id": 42}]}),
         "category_id 42 outside"),
        (json.dumps({"images": [{"id": 1, "file_name": "a.jpg"}]}), "image record lacks"),
        ("[1, 2]", "not a COCO instances file"),
    ],
)
def test_broken_annotation_file_is_one_line(tmp_path, content, message):
    with pytest.raises(StylistError, match=message) as info:
        ModaNetAnnotations(_write(tmp_path / "ann.json", content))
    assert "\n" not in str(info.value)


def _evaluate(compose_cfg, segmenter_file, annotations, root, tmp_path):
    cfg = compose_cfg("evaluate", [f"checkpoint={segmenter_file}", f"data.annotations={annotations}",
                                   f"data.root={root}", f"output_dir={tmp_path / 'eval'}"])  # fmt: skip
    return evaluate_from_config(cfg)


def test_annotation_file_without_images_is_an_error(compose_cfg, tiny_segmenter_file, tmp_path):
    annotations = _write(tmp_path / "none.json", json.dumps({"images": [], "annotations": []}))
    with pytest.raises(StylistError, match="lists no images: nothing to evaluate"):
        _evaluate(compose_cfg, tiny_segmenter_file, annotations, tmp_path, tmp_path)
    assert not (tmp_path / "eval" / "scores.json").exists()


def test_annotation_file_without_annotations_warns_and_writes_strict_json(
    compose_cfg, tiny_segmenter_file, tiny_modanet, tmp_path
):
    images = json.loads(tiny_modanet["annotations"].read_text())["images"][:1]
    annotations = _write(tmp_path / "images_only.json", json.dumps({"images": images}))
    with pytest.warns(UserWarning, match="has no annotations: every pixel counts as background"):
        result = _evaluate(compose_cfg, tiny_segmenter_file, annotations, tiny_modanet["root"], tmp_path)
    assert result["images"] == 1

    def refuse(constant):
        raise AssertionError(f"{constant} in scores.json")

    saved = json.loads((tmp_path / "eval" / "scores.json").read_text(), parse_constant=refuse)
    assert saved["iou"]["background"] is not None and saved["images"] == 1


def test_unwritable_evaluation_folder_is_refused_before_loading(compose_cfg, tmp_path):
    (tmp_path / "taken").write_text("x")
    cfg = compose_cfg("evaluate", ["checkpoint=/no/such/model.ckpt", f"output_dir={tmp_path / 'taken' / 'eval'}"])
    with pytest.raises(StylistError, match="a parent is a file"):
        evaluate_from_config(cfg)


@pytest.mark.parametrize("panel", ["abc", "-3", "1.5"])
def test_bad_panel_is_refused_before_loading(compose_cfg, tmp_path, panel):
    cfg = compose_cfg("evaluate", ["checkpoint=/no/such/model.ckpt", f"panel={panel}", f"output_dir={tmp_path}"])
    with pytest.raises(StylistError, match="panel must be a whole number >= 0"):
        evaluate_from_config(cfg)


@pytest.mark.parametrize("setting", ["bf16", "channels_last"])
def test_bad_precision_setting_is_one_error(tiny_segmenter_file, setting):
    segmenter = load_segmenter(str(tiny_segmenter_file))
    with pytest.raises(StylistError, match=f"{setting} must be true, false, auto or null"):
        segmenter.use(**{setting: "maybe"})
    assert segmenter.use(**{setting: "auto"}) is segmenter


def test_segment_without_image_is_one_line(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "stylist.segment", f"paths.output_dir={tmp_path}"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == ["error: missing value for 'image': give it on the command line, e.g. image=..."]
