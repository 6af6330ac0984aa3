"""Helpers for the segmentation tests: a tiny generated ModaNet-format set and overrides for it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

# (category, polygon as fractions of width/height); big garments plus a small item on top.
_SHAPES = [
    (9, [(0.25, 0.15), (0.75, 0.15), (0.8, 0.5), (0.2, 0.5)]),  # top
    (8, [(0.25, 0.5), (0.75, 0.5), (0.7, 0.9), (0.3, 0.9)]),  # pants
    (2, [(0.25, 0.47), (0.75, 0.47), (0.75, 0.53), (0.25, 0.53)]),  # belt, on top of both
]
_COLOURS = {9: (200, 40, 40), 8: (40, 40, 200), 2: (240, 220, 30)}


def make_modanet_set(root: Path, n_images: int = 6, size: tuple[int, int] = (96, 64), seed: int = 0) -> dict[str, Path]:
    """Write ``images/NNNNNNN.jpg`` and ``annotations/train.json`` (COCO instances); returns paths."""
    rng = np.random.default_rng(seed)
    height, width = size
    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "annotations").mkdir(exist_ok=True)
    images, annotations = [], []
    for image_id in range(1, n_images + 1):
        photo = Image.fromarray(rng.integers(90, 160, (height, width, 3), dtype=np.uint8))
        draw = ImageDraw.Draw(photo)
        shift = rng.uniform(-0.08, 0.08, 2)
        for category, polygon in _SHAPES:
            points = [((x + shift[0]) * width, (y + shift[1]) * height) for x, y in polygon]
            draw.polygon(points, fill=_COLOURS[category])
            flat = [round(v, 1) for point in points for v in point]
            annotations.append({
                "id": len(annotations) + 1, "image_id": image_id, "category_id": category,
                "segmentation": [flat], "area": 1.0, "bbox": [0, 0, 1, 1], "iscrowd": 0,
            })  # fmt: skip
        file_name = f"{image_id:07d}.jpg"
        photo.save(root / "images" / file_name, quality=95)
        images.append({"id": image_id, "width": width, "height": height, "file_name": file_name})
    categories = [{"id": i, "name": n, "supercategory": "fashion"} for i, n in enumerate(
        ["bag", "belt", "boots", "footwear", "outer", "dress", "sunglasses", "pants", "top", "shorts",
         "skirt", "headwear", "scarf/tie"], start=1)]  # fmt: skip
    path = root / "annotations" / "train.json"
    path.write_text(json.dumps({"images": images, "annotations": annotations, "categories": categories}))
    return {"root": root / "images", "annotations": path}


def tiny_overrides(data: dict[str, Path], tmp: Path) -> list[str]:
    """Overrides that point an experiment at the tiny set and shrink it for a CPU test."""
    return [
        f"data.root={data['root']}",
        f"data.annotations={data['annotations']}",
        "data.val_annotations=null",
        "data.lmdb=null",
        "data.val_fraction=0.34",
        "data.long_side=64",
        "data.crop_size=[64,48]",
        "data.batch_size=2",
        "data.num_workers=0",
        f"data.mask_cache_dir={tmp / 'masks'}",
        "backbone.weights=random",
        "model.net.decoder_channels=32",
        f"paths.output_dir={tmp / 'outputs'}",
        "logger=none",
        "callbacks=none",
    ]


@pytest.fixture(scope="session")
def tiny_modanet(tmp_path_factory) -> dict[str, Path]:
    """Six 96 x 64 photos with a top, pants and a belt each (``{"root", "annotations"}``)."""
    return make_modanet_set(tmp_path_factory.mktemp("modanet"))
