"""Tiny content folders and a tiny Johnson setup for the tests in this folder."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image


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
