"""``python -m stylist.fashion``: user-mask path, outputs, errors, and an end-to-end run with the
shipped segmenter and Johnson model on a shared street photo."""

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from stylist.cli import REPO_ROOT
from stylist.cli.fashion import fashion_from_config
from stylist.fashion import part_index
from stylist.image import load_image, to_pil
from conftest import MODANET_CCP, needs_shared

TINY_GATYS = [
    "method=gatys", "method.iterations=3", "method.optimizer=adam", "method.lr=0.05",
    "backbone.weights=random", "progress=false",
]


def _photo_and_label_map(tmp_path):
    photo = (np.random.default_rng(0).random((48, 40, 3)) * 255).astype(np.uint8)
    labels = np.zeros((48, 40), np.uint8)
    labels[4:20, 5:35] = part_index("top")
    labels[26:46, 10:30] = part_index("pants")
    Image.fromarray(photo).save(tmp_path / "photo.png")
    Image.fromarray(labels).save(tmp_path / "labels.png")
    return photo, labels


def test_user_label_map_two_parts_two_styles(compose_cfg, tmp_path):
    photo, labels = _photo_and_label_map(tmp_path)
    cfg = compose_cfg(
        "fashion",
        TINY_GATYS + [f"image={tmp_path / 'photo.png'}", f"mask={tmp_path / 'labels.png'}", "styles={top: swirls, pants: coffee}", "feather=2"],
    )
    record = fashion_from_config(cfg)
    out = np.asarray(Image.open(tmp_path / "fashion.png"))
    far = np.ones_like(labels, dtype=bool)
    far[2:22, 3:37] = False
    far[24:48, 8:32] = False
    assert np.array_equal(out[far], photo[far])
    assert np.abs(out[8:16, 10:30].astype(int) - photo[8:16, 10:30]).mean() > 1
    saved = json.loads((tmp_path / "fashion.json").read_text())
    assert saved["restyled"] == {"top": "swirls", "pants": "coffee"} and saved["mask_source"] == "user"
    assert set(saved["parts_found"]) == {"top", "pants"} and saved["seconds"]["stylize"] > 0
    assert Image.open(tmp_path / "fashion_panel.png").width > 3 * 40 and record["output"].endswith("fashion.png")


def test_missing_part_writes_the_photo_unchanged(compose_cfg, tmp_path):
    photo, _ = _photo_and_label_map(tmp_path)
    cfg = compose_cfg("fashion", TINY_GATYS + [f"image={tmp_path / 'photo.png'}", f"mask={tmp_path / 'labels.png'}",
                                               "parts=[skirt]", "style=swirls"])  # built in: no ../shared needed
    with pytest.warns(UserWarning, match="skirt not found"):
        record = fashion_from_config(cfg)
    assert np.array_equal(np.asarray(Image.open(tmp_path / "fashion.png")), photo) and record["missing"] == ["skirt"]


def test_unknown_part_is_one_line_and_exit_2(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "stylist.fashion", "parts=[jeans]", f"hydra.run.dir={tmp_path}"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 2
    assert run.stderr.strip().splitlines()[-1].startswith("error: unknown part 'jeans'; valid parts: bag")


@pytest.mark.slow
@needs_shared("data", "modanet_ccp", "images", "0000810.jpg")
def test_end_to_end_segmenter_and_johnson_on_a_street_photo(compose_cfg, tmp_path):
    image = MODANET_CCP / "images" / "0000810.jpg"
    cfg = compose_cfg("fashion", [f"image={image}", "parts=[pants]", "style=starry_night", "size=256"])
    record = fashion_from_config(cfg)
    assert "pants" in record["restyled"] and record["parts_found"]["pants"] > 0.03
    photo = np.asarray(to_pil(load_image(image, size=256))).astype(int)
    out = np.asarray(Image.open(tmp_path / "fashion.png")).astype(int)
    changed = np.abs(out - photo).max(axis=2) > 0
    assert 0.03 < changed.mean() < 0.5  # the trousers changed, most of the photo did not
