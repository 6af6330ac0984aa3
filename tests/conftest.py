"""Shared fixtures: the real Hydra configs composed for CPU, ../shared data, tiny images and photo folders."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig, open_dict
from PIL import Image

from stylist.cli import CONFIG_DIR, REPO_ROOT

SHARED = Path(os.environ.get("STYLIST_SHARED", REPO_ROOT.parent / "shared"))
SHARED_IMAGES = SHARED / "data" / "images"
MODANET_CCP = SHARED / "data" / "modanet_ccp"

torch.set_num_threads(min(2, os.cpu_count() or 1))


def needs_shared(*parts: str) -> pytest.MarkDecorator:
    """Skip (with a reason) when ``../shared/<parts>`` is absent."""
    path = SHARED.joinpath(*parts)
    return pytest.mark.skipif(not path.exists(), reason=f"{path} is absent (shared data not available)")


@pytest.fixture(scope="session")
def hed_encoder():
    """The pretrained VGG16 encoder from the hed weights (converted once per machine)."""
    from stylist.backbones import get_backbone

    return get_backbone("vgg16", weights="hed")


@pytest.fixture(scope="session")
def random_encoder():
    from stylist.backbones import get_backbone

    return get_backbone("vgg16", weights="random")


def compose_config(config_name: str, overrides: list[str], output_dir: Path) -> DictConfig:
    """Compose a real config from ``conf/`` with Hydra's runtime keys filled for ``output_dir``."""
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        cfg = compose(config_name=config_name, overrides=overrides, return_hydra_config=True)
    with open_dict(cfg):
        cfg.hydra.runtime.output_dir = str(output_dir)
        cfg.hydra.job.name = config_name
    from hydra.core.hydra_config import HydraConfig

    HydraConfig.instance().set_config(cfg)
    with open_dict(cfg):
        del cfg["hydra"]  # a task sees its config without the hydra node, as in a real run
    return cfg


@pytest.fixture
def compose_cfg(tmp_path):
    """``compose_cfg("stylize", [overrides])`` -> a config writing under ``tmp_path``."""

    def _compose(config_name: str, overrides: list[str] | None = None) -> DictConfig:
        return compose_config(config_name, list(overrides or []), tmp_path)

    yield _compose
    GlobalHydra.instance().clear()


@pytest.fixture
def tiny_folder(tmp_path):
    """Six small smooth RGB photos-to-be (PNG, 40x48) and one unreadable ``broken.jpg``."""
    folder = tmp_path / "content"
    folder.mkdir()
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:40, 0:48] / 48.0
    for index in range(6):
        phase = rng.uniform(0, 6, size=3)
        array = 0.5 + 0.5 * np.sin(np.stack([xx * (3 + index) + p + yy * 2 for p in phase], axis=-1))
        Image.fromarray((array * 255).astype(np.uint8)).save(folder / f"img{index}.png")
    (folder / "broken.jpg").write_bytes(b"not a jpeg")
    return folder
