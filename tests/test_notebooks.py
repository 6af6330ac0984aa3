"""Execute every notebook at a tiny size so they cannot rot."""

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from stylist.cli import REPO_ROOT

NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_and_is_stored_without_outputs(path: Path, monkeypatch, tmp_path):
    notebook = nbformat.read(path, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), "strip outputs"
    monkeypatch.setenv("STYLIST_NOTEBOOK_SIZE", "48")
    monkeypatch.setenv("STYLIST_NOTEBOOK_ITERATIONS", "5")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]))
    NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for cell in notebook.cells for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("s per iteration" in o.get("text", "") for o in outputs)
