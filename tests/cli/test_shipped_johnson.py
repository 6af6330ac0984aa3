"""Every shipped Johnson model loads by name through the stylize CLI's ``method.model=<name>`` (the key the
README and ``--help`` show); a multi-style one needs ``style_mix``."""

import pytest
from PIL import Image

from stylist.models import metadata, shipped
from stylist.cli.stylize import stylize_from_config
from stylist.utils import StylistError

JOHNSON = sorted(name for name, meta in shipped().items() if meta.get("kind") == "johnson")


def test_there_are_shipped_johnson_models():
    assert "starry_night" in JOHNSON


@pytest.mark.parametrize("name", JOHNSON)
def test_loads_by_name_through_the_cli(compose_cfg, tmp_path, name):
    styles = metadata(name).get("styles")
    mix = [f"style_mix={{{styles[0]}: 0.7, {styles[-1]}: 0.3}}"] if styles else []
    cfg = compose_cfg("stylize", ["method=johnson", f"method.model={name}", "size=48", "progress=false", *mix])
    record = stylize_from_config(cfg)
    assert Image.open(record["output"]).size == (48, 48)


@pytest.mark.parametrize("name", [n for n in JOHNSON if metadata(n).get("styles")])
def test_a_multi_style_model_asks_for_a_mix(compose_cfg, name):
    cfg = compose_cfg("stylize", ["method=johnson", f"method.model={name}", "size=48", "progress=false"])
    with pytest.raises(StylistError, match="style_mix"):
        stylize_from_config(cfg)


def test_help_lists_every_shipped_model_with_its_key():
    import subprocess
    import sys

    from stylist.cli import REPO_ROOT

    run = subprocess.run([sys.executable, "-m", "stylist.stylize", "--help"], cwd=REPO_ROOT, capture_output=True,
                         text=True, timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    lines = {line.split()[0]: line for line in run.stdout.split("== Shipped models, loaded by name ==")[1].splitlines()
             if line.strip() and not line.startswith(("Powered", "Use"))}  # fmt: skip
    assert set(lines) == set(shipped())
    for name in JOHNSON:
        assert f"method=johnson method.model={name}" in lines[name]
