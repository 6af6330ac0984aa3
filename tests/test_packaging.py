"""pyproject.toml builds without deprecation warnings, with a pinned build backend."""

from __future__ import annotations

import shutil
import tomllib
import warnings

import pytest
from packaging.requirements import Requirement

from stylist.cli import REPO_ROOT


def test_license_is_an_spdx_expression_and_the_backend_is_pinned():
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    assert project["project"]["license"] == "MIT"
    (requirement,) = [Requirement(r) for r in project["build-system"]["requires"]]
    assert requirement.name == "setuptools"
    bounds = {spec.operator for spec in requirement.specifier}
    assert "==" in bounds or {">=", "<"} <= bounds, f"unpinned build backend: {requirement}"
    assert requirement.specifier.contains("77.0.3") or "==" in bounds  # 77 reads SPDX license expressions


def test_setuptools_reads_the_project_table_without_warnings(tmp_path, monkeypatch):
    pytest.importorskip("setuptools", minversion="77")
    from setuptools.config.pyprojecttoml import apply_configuration
    from setuptools.dist import Distribution

    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO_ROOT / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dist = apply_configuration(Distribution(), "pyproject.toml")
    assert dist.metadata.license_expression == "MIT"
    assert not [str(w.message).splitlines()[0] for w in caught if "license" in str(w.message).lower()]
