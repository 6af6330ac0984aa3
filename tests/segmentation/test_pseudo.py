"""Pseudo-labels: classes outside the tags are forbidden, low confidence is ignored, val photos refused."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image
from tiny_modanet import tiny_modanet  # noqa: F401  (fixture)

from stylist.segmentation import CLASS_NAMES, IGNORE_INDEX, Segmenter
from stylist.segmentation.model import build_deeplab
from stylist.segmentation.pseudo import PseudoLabelled, pseudo_label, write_pseudo_labels
from stylist.utils import StylistError

TOP, DRESS, SKIRT = (CLASS_NAMES.index(n) for n in ("top", "dress", "skirt"))


def _probs(*columns: dict[int, float]) -> torch.Tensor:
    """``K x 1 x W`` probabilities, one pixel per dict ``{class: probability}``."""
    probs = torch.zeros(len(CLASS_NAMES), 1, len(columns))
    for x, column in enumerate(columns):
        for k, p in column.items():
            probs[k, 0, x] = p
    return probs


def test_classes_outside_the_tags_are_forbidden():
    # pixel 0: skirt 0.6 / dress 0.35 (tagged: dress) -> dress (renormalised 0.35 / 0.4 = 0.875)
    # pixel 1: top 0.9 (tagged) -> top; pixel 2: background 0.95 -> background (always allowed)
    probs = _probs({SKIRT: 0.6, DRESS: 0.35, 0: 0.05}, {TOP: 0.9, 0: 0.1}, {0: 0.95, SKIRT: 0.05})
    labels = pseudo_label(probs, tags=[DRESS, TOP], threshold=0.7)
    assert labels.dtype == torch.uint8 and labels.shape == (1, 3)
    assert labels[0].tolist() == [DRESS, TOP, 0]
    assert SKIRT in pseudo_label(probs, tags=[DRESS, TOP, SKIRT], threshold=0.5)[0].tolist()  # allowed: kept


def test_low_confidence_and_forbidden_mass_are_ignored():
    probs = _probs({TOP: 0.5, DRESS: 0.45, 0: 0.05}, {SKIRT: 0.9, DRESS: 0.05, 0: 0.05}, {TOP: 0.75, 0: 0.25})
    labels = pseudo_label(probs, tags=[TOP, DRESS], threshold=0.7, min_allowed_mass=0.2)[0].tolist()
    # 0: top 0.5/0.95 = 0.53 < 0.7; 1: only 0.1 of the mass on allowed classes; 2: top 0.75 >= 0.7
    assert labels == [IGNORE_INDEX, IGNORE_INDEX, TOP]
    assert pseudo_label(probs, tags=[TOP, DRESS], threshold=0.5)[0, 0] == TOP  # a lower threshold keeps it
    with pytest.raises(StylistError, match="not a class index"):
        pseudo_label(probs, tags=[14])


def test_write_pseudo_labels_end_to_end(tiny_modanet, tmp_path):
    annotations = tiny_modanet["annotations"]
    ids = [img["id"] for img in json.loads(annotations.read_text())["images"]]
    tags = tmp_path / "tags.json"
    tags.write_text(json.dumps({str(i): [TOP] for i in ids}))
    torch.manual_seed(0)
    teacher = Segmenter(build_deeplab(encoder_weights="random", decoder_channels=32).eval(), long_side=64)
    out = tmp_path / "pseudo"
    meta = write_pseudo_labels(teacher, annotations, tags, tiny_modanet["root"], out, threshold=0.0, min_allowed_mass=0.0, max_images=3)
    assert meta["ids"] == ids[:3] and sum(meta["class_pixels"]) > 0
    for image_id in ids[:3]:
        labels = np.asarray(Image.open(out / f"{image_id}.png"))
        assert labels.shape == (96, 64)  # the photo's full resolution
        assert set(np.unique(labels)) <= {0, TOP}  # threshold 0: every pixel labelled, tags only
    assert 0.0 <= meta["ignored_fraction"] < 1e-9
    labelled = PseudoLabelled(out, tiny_modanet["root"])
    image, mask = labelled.load(labelled.annotations.images[ids[0]])
    assert image.size == (64, 96) and mask.shape == (96, 64)
    strict = write_pseudo_labels(teacher, annotations, tags, tiny_modanet["root"], tmp_path / "strict", threshold=0.999,
                                 min_allowed_mass=0.0, max_images=3)  # fmt: skip
    assert strict["ignored_fraction"] > 0.5  # a random teacher is never that sure
    with pytest.raises(StylistError, match="never label val photos"):
        write_pseudo_labels(teacher, annotations, tags, tiny_modanet["root"], tmp_path / "x", exclude=annotations)
    tags.write_text(json.dumps({str(ids[0]): [TOP]}))
    with pytest.raises(StylistError, match="no tags"):
        write_pseudo_labels(teacher, annotations, tags, tiny_modanet["root"], tmp_path / "y")


@pytest.mark.slow
def test_student_trains_on_labelled_and_pseudo_labelled_photos(compose_cfg, tmp_path):
    from tiny_modanet import make_modanet_set, tiny_overrides

    from stylist.cli.train import train_from_config

    data = make_modanet_set(tmp_path / "set", n_images=9)
    full = json.loads(data["annotations"].read_text())
    labelled, unlabelled = tmp_path / "labelled.json", tmp_path / "unlabelled.json"
    labelled.write_text(json.dumps({**full, "images": full["images"][:6],
                                    "annotations": [a for a in full["annotations"] if a["image_id"] <= 6]}))  # fmt: skip
    unlabelled.write_text(json.dumps({**full, "images": full["images"][6:], "annotations": []}))
    tags = tmp_path / "tags.json"
    tags.write_text(json.dumps({"7": [TOP], "8": [TOP], "9": [TOP]}))
    torch.manual_seed(0)
    teacher = Segmenter(build_deeplab(encoder_weights="random", decoder_channels=32).eval(), long_side=64)
    write_pseudo_labels(teacher, unlabelled, tags, data["root"], tmp_path / "pseudo", threshold=0.0, min_allowed_mass=0.0)
    overrides = ["+experiment=deeplab_modanet_cpu512_student", "trainer.fast_dev_run=true", "model.init_from=null",
                 *tiny_overrides({"root": data["root"], "annotations": labelled}, tmp_path),
                 "data.feature_cache.size=[64,48]", "data.feature_cache.crop=[48,32]",
                 f"data.feature_cache.dir={tmp_path / 'features'}", f"data.pseudo_labels.dir={tmp_path / 'pseudo'}"]  # fmt: skip
    cfg = compose_cfg("train", overrides)
    metrics = train_from_config(cfg)
    assert metrics["train/loss"] > 0 and 0.0 <= metrics["val/miou"] <= 1.0
    from hydra.utils import instantiate

    datamodule = instantiate(cfg.data)
    datamodule.setup("fit")
    assert len(datamodule.train_set) == 4 + 3  # 4 labelled training photos (2 are val) + 3 pseudo-labelled
    assert datamodule.train_set[(5, 0, -1)]["high"].shape[-2:] == (6, 4)  # pool3 features: stride 8 of 48 x 32
