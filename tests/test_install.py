"""A regular (non-editable) install ships conf/ as package data and composes its configs from there."""

import shutil
import subprocess
import sys
import zipfile

import pytest

from stylist.cli import REPO_ROOT


@pytest.mark.slow
def test_a_built_wheel_finds_its_configs(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(REPO_ROOT / name, source / name)
    shutil.copytree(REPO_ROOT / "conf", source / "conf")
    shutil.copytree(REPO_ROOT / "stylist", source / "stylist", ignore=shutil.ignore_patterns("*.pt", "__pycache__"))
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path / "dist"),
         str(source)], capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if build.returncode != 0 and "No module named pip" in build.stderr:
        pytest.skip("pip is not available to build a wheel")
    assert build.returncode == 0, build.stderr
    (wheel,) = (tmp_path / "dist").glob("stylist-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {"stylist/conf/stylize.yaml", "stylist/conf/method/gatys.yaml", "stylist/conf/hydra/default.yaml"} <= set(names)
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (
        "from hydra import compose, initialize_config_dir; from stylist.cli import CONFIG_DIR;"
        "import stylist; assert CONFIG_DIR.startswith(stylist.__path__[0]), CONFIG_DIR;"
        "initialize_config_dir(config_dir=CONFIG_DIR, version_base='1.3');"
        "cfg = compose('stylize', ['method=wct']); print(cfg.method._target_)"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env={"PYTHONPATH": str(site)},
                         capture_output=True, text=True, timeout=300)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "stylist.methods.WCT"
