"""``python -m stylist.stylize``: default config, overrides, outputs, bad inputs, multirun."""

import csv
import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from stylist.cli import REPO_ROOT
from stylist.cli.stylize import stylize_from_config
from stylist.image import load_image
from stylist.utils import StylistError

TINY = ["size=48", "method.iterations=3", "progress=false", "backbone.weights=random"]


def _run_cli(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "stylist.stylize", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_default_config_uses_embedded_offline_images(compose_cfg):
    cfg = compose_cfg("stylize")
    assert (cfg.content, cfg.style, cfg.method.optimizer) == ("astronaut", "swirls", "lbfgs")
    assert cfg.backbone.weights == "auto"
    assert load_image(cfg.content, size=32).shape[1] == 3 and load_image(cfg.style, size=32).shape[1] == 3


def test_run_writes_image_json_and_plot(compose_cfg, tmp_path):
    cfg = compose_cfg("stylize", TINY + ["loss.content_layers=[block4_conv2]", "loss.tv_weight=1.0"])
    record = stylize_from_config(cfg)
    output = tmp_path / "stylized.png"
    assert record["output"] == str(output) and Image.open(output).size == (48, 48)
    saved = json.loads((tmp_path / "stylized.json").read_text())
    assert saved["settings"]["loss"]["content_layers"] == ["block4_conv2"]
    assert saved["iterations"] == 3 and len(saved["history"]["total"]) == 3
    assert set(saved["final_losses"]) == {"total", "content", "style", "tv"} and saved["final_losses"]["tv"] > 0
    assert saved["backbone_weights"] == "random" and saved["seconds_per_iteration"] > 0
    assert "machine" in saved and (tmp_path / "stylized_loss.png").is_file()


def test_multi_style_blend_and_masks(compose_cfg, tmp_path):
    mask = tmp_path / "mask.png"
    array = np.zeros((48, 48), np.uint8)
    array[:, :24] = 255
    Image.fromarray(array).save(mask)
    cfg = compose_cfg("stylize", TINY + ["style=[swirls,coffee]", "style_blend=[0.7,0.3]"])
    stylize_from_config(cfg)
    cfg = compose_cfg("stylize", TINY + ["style=[swirls,coffee]", f"masks=[{mask},{mask}]"])
    stylize_from_config(cfg)
    cfg = compose_cfg("stylize", TINY + ["style=[swirls,coffee]", f"masks=[{mask}]"])
    with pytest.raises(StylistError, match="one mask per style"):
        stylize_from_config(cfg)


@pytest.mark.parametrize(
    "override, message",
    [
        ("content=/no/such/photo.jpg", "image not found"),
        ("output=out.gif.txt", "output must end in .png or .jpg"),
        ("loss.content_layers=[relu9_1]", "unknown VGG16 layer"),
        ("method.optimizer=sgd", "optimizer must be"),
    ],
)
def test_user_errors_raise_stylist_error(compose_cfg, override, message):
    with pytest.raises(StylistError, match=message):
        stylize_from_config(compose_cfg("stylize", TINY + [override]))


def test_cli_user_error_is_one_line_and_nonzero(tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not a jpeg")
    proc = _run_cli(f"content={bad}", *TINY, f"paths.output_dir={tmp_path}", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [f"error: cannot read image {bad}: cannot identify image file '{bad}'"]
    assert "Traceback" not in proc.stderr + proc.stdout


@pytest.mark.slow
def test_multirun_sweep_writes_contact_sheet_and_csv(tmp_path):
    proc = _run_cli(
        "--multirun", *TINY, "size=32", "loss.content_weight=0.1,10", "loss.content_layers=[relu2_2],[relu4_2]",
        f"paths.output_dir={tmp_path}", cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    sweep_dirs = list((tmp_path / "stylize_multirun").iterdir())
    assert len(sweep_dirs) == 1
    rows = list(csv.DictReader(open(sweep_dirs[0] / "results.csv")))
    assert len(rows) == 4
    assert {r["loss.content_weight"] for r in rows} == {"0.1", "10"}
    assert all(float(r["final_total"]) > 0 for r in rows)
    sheet = Image.open(sweep_dirs[0] / "contact_sheet.png")
    assert sheet.width > 2 * 32 and sheet.height > 2 * 32
    assert (REPO_ROOT / "conf").is_dir()


def test_tensorboard_logging_is_optional(compose_cfg, tmp_path):
    stylize_from_config(compose_cfg("stylize", TINY + ["tensorboard=true"]))
    assert list((tmp_path / "tensorboard").glob("events.out.tfevents.*"))
