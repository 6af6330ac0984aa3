"""``python -m stylist.stylize`` answers bad input in one line, before the long work: sizes, scales,
iterations, blends, outputs, untrained or ignored models' options, errors raised inside Hydra."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Mapping, Sequence

import numpy as np
import pytest
from PIL import Image

import stylist.cli.stylize
from stylist.cli.stylize import stylize_from_config
from stylist.utils import StylistError

TINY = ["size=32", "method.iterations=2", "progress=false", "backbone.weights=random"]
JOHNSON = ["method=johnson", "method.model=starry_night", "size=32", "progress=false"]


def _run_cli(module, *args, cwd):
    return subprocess.run([sys.executable, "-m", module, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize(
    "override, message",
    [
        ("size=-1", "size must be a whole number of pixels, at least 16, got -1"),
        ("size=0", "size must be a whole number of pixels, at least 16, got 0"),
        ("size=abc", "size must be a whole number of pixels, got 'abc'"),
        ("style_size=-3", "size must be"),
        ("style_size=abc", "style_size must be a whole number of pixels, got 'abc'"),  # was a TypeError
        ("style_scale=abc", "style_scale must be a number > 0, got 'abc'"),  # was a TypeError
        ("loss.style_weight=abc", "loss.style_weight must be a number >= 0"),  # was a TypeError mid-optimisation
        ("method.scales=[0,-1]", "scales must be positive numbers"),
        ("method.iterations=0", "iterations must be a whole number >= 1"),
        ("size=40000", "size 40000 is above max_size 4096"),
        ("style_scale=200", "the style images would be 6400 px on their longest side"),
        ("style=[swirls,coffee]", None),  # fine: the next case only adds a negative blend
    ],
)
def test_invalid_numbers_are_user_errors(compose_cfg, override, message):
    cfg = compose_cfg("stylize", TINY + [override])
    if message is None:
        cfg = compose_cfg("stylize", TINY + [override, "style_blend=[1.5,-0.5]"])
        message = r"style_blend: need 2 non-negative numbers with a positive sum, got \[1.5, -0.5\]"
    with pytest.raises(StylistError, match=message):
        stylize_from_config(cfg)


@pytest.mark.parametrize("where", ["under_a_file", "read_only"])
def test_unwritable_output_is_refused_before_any_work(compose_cfg, tmp_path, monkeypatch, where):
    if where == "under_a_file":
        (tmp_path / "taken").write_text("x")
        output, message = tmp_path / "taken" / "out.png", "a parent is a file"
    else:
        output, message = "/sys/stylist_out.png", "cannot write /sys/stylist_out.png"
        try:
            open(output, "wb").close()
            pytest.skip("/sys is writable here")
        except OSError:
            pass
    monkeypatch.setattr(stylist.cli.stylize, "load_image", lambda *a, **k: pytest.fail("loaded images first"))
    with pytest.raises(StylistError, match=message):
        stylize_from_config(compose_cfg("stylize", TINY + [f"output={output}"]))


def test_untrained_johnson_model_is_refused(compose_cfg):
    # model= is the training group (a Lightning module): it is not part of stylize's config at all,
    # and a name that is not a trained model is refused before any work
    with pytest.raises(Exception, match="Could not override 'model'"):
        compose_cfg("stylize", ["method=johnson", "model=johnson"])
    cfg = compose_cfg("stylize", ["method=johnson", "method.model=johnson", "size=32", "progress=false"])
    with pytest.raises(StylistError, match="no shipped model or file 'johnson'; shipped: .*starry_night"):
        stylize_from_config(cfg)


def test_johnson_warns_about_style_and_masks_and_records_no_style(compose_cfg, tmp_path):
    mask = tmp_path / "mask.png"
    Image.fromarray(np.full((32, 32), 255, np.uint8)).save(mask)
    with pytest.warns(UserWarning, match="trained model has its own style: ignoring style, masks"):
        stylize_from_config(compose_cfg("stylize", JOHNSON + ["style=the_scream", f"masks=[{mask}]"]))
    saved = json.loads((tmp_path / "stylized.json").read_text())
    assert saved["settings"]["style"] is None and saved["settings"]["masks"] is None
    assert saved["ignored_options"] == ["style", "masks"]


def test_johnson_without_style_options_does_not_warn(compose_cfg, tmp_path, recwarn):
    stylize_from_config(compose_cfg("stylize", JOHNSON))
    assert not [w for w in recwarn if "own style" in str(w.message)]
    saved = json.loads((tmp_path / "stylized.json").read_text())
    assert saved["ignored_options"] == [] and saved["settings"]["style"] is None  # the model's style was used


def test_gatys_records_its_style(compose_cfg, tmp_path):
    stylize_from_config(compose_cfg("stylize", TINY))
    saved = json.loads((tmp_path / "stylized.json").read_text())
    assert saved["settings"]["style"] == "swirls" and saved["ignored_options"] == []


def test_error_raised_while_instantiating_is_one_line(tmp_path):
    proc = _run_cli("stylist.stylize", "backbone.weights=bogus", *TINY[:3], f"paths.output_dir={tmp_path}", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: VGG16 weights must be one of") and "'bogus'" in lines[0]
    assert "Traceback" not in proc.stderr + proc.stdout


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["method=wct", "method.alpha=abc"], "method.alpha must be a number, got 'abc'"),
        (["method=wct", "method.bf16=maybe"], "method.bf16 must be true or false, got 'maybe'"),
        (["method=wct", "method.levels=[4,x]"], r"method.levels must be a list, each item an integer, got \[4, 'x'\]"),
        (["method.iterations=1.5"], "method.iterations must be an integer, got 1.5"),
        (["method=johnson", "method.tile_size=big"], r"method.tile_size must be an integer \(or null\), got 'big'"),
        (["method=photo", "method.stage2_iterations=many"], "method.stage2_iterations must be an integer"),  # **options
        (["method=photowct", "method.smooth_weight=high"], "method.smooth_weight must be a number, got 'high'"),
    ],
)
def test_option_values_of_the_wrong_type_are_refused_before_any_work(compose_cfg, monkeypatch, overrides, message):
    cfg = compose_cfg("stylize", ["size=32", "progress=false", "backbone.weights=random", *overrides])
    monkeypatch.setattr(stylist.cli.stylize, "load_image", lambda *a, **k: pytest.fail("loaded images first"))
    with pytest.raises(StylistError, match=message):
        stylize_from_config(cfg)


def test_check_options_accepts_what_the_annotations_allow():
    from stylist.cli import check_options

    def target(a: float = 1.0, b: int | None = None, c: Sequence[float] = (), d: str | Mapping[str, float] | None = None,
               e: object = None) -> None: ...  # fmt: skip

    check_options(target, {"a": 2, "b": None, "c": [1, 0.5], "d": {"x": 1.0}, "e": "anything", "unknown": 1}, "m")
    for bad, message in [({"a": True}, "m.a must be a number"), ({"b": "3"}, "m.b must be an integer"),
                         ({"c": 0.5}, "m.c must be a list"), ({"d": 3}, "m.d must be a string")]:  # fmt: skip
        with pytest.raises(StylistError, match=message):
            check_options(target, bad, "m")
