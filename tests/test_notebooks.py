"""Issue 6, acceptance 4: both worked notebooks execute on the bundled sample without a cell error."""

from __future__ import annotations

import os

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import ROOT


@pytest.mark.parametrize("name", ["01_quickstart.ipynb", "02_custom_themes.ipynb"])
def test_notebook_executes(name, tmp_path, monkeypatch):
    # The notebooks write where VOCNLP_OUT says; the kernel inherits this environment.
    monkeypatch.setenv("VOCNLP_OUT", str(tmp_path))
    notebook = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    NotebookClient(
        notebook, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    errors = [
        o
        for c in notebook.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert errors == []
    assert any(p.suffix in (".html", ".csv") for p in tmp_path.rglob("*")), os.listdir(tmp_path)
