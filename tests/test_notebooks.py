"""Execute every notebook at a tiny size so they cannot rot."""

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from stylist.cli import REPO_ROOT

NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))
#: What each notebook must print (its results, not only run): a text marker and how many images it displays.
SHOWS = {
    "01_losses_and_gatys.ipynb": ("s per iteration", 0),
    "02_shipped_models_side_by_side.ipynb": ("style ratio", 5),
}


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
    assert path.name in SHOWS, f"add {path.name} to SHOWS: what it must print and how many images it shows"
    marker, images = SHOWS[path.name]
    assert any(marker in o.get("text", "") for o in outputs)
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= images
