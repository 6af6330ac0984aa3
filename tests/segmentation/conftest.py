"""Fixtures of the segmentation tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_modanet import make_modanet_set


@pytest.fixture(scope="session")
def tiny_modanet(tmp_path_factory) -> dict[str, Path]:
    """Six 96 x 64 photos with a top, pants and a belt each (``{"root", "annotations"}``)."""
    return make_modanet_set(tmp_path_factory.mktemp("modanet"))
