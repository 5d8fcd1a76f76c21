"""Shared fixtures: the bundled sample run once per session, and builders of hostile input files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample" / "survey_sample.csv"
SAMPLE_TRUTH = ROOT / "data" / "sample" / "survey_sample_truth.csv"
SHARED_DATA = ROOT.parent / "shared" / "data"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def pytest_collection_modifyitems(config, items):
    """Tests marked ``data`` need the public data beside the checkout, ``browser`` need Debian's Chromium: where
    these are missing, the tests are skipped with the reason (``make test`` installs Chromium when it can)."""
    missing = {
        "data": None
        if (SHARED_DATA / "goemotions").is_dir()
        else f"the public data folder {SHARED_DATA} is not beside this checkout",
        "browser": None
        if Path(CHROMIUM).exists()
        else "Debian's chromium is not installed ('make test' installs it as root; or 'apt-get install chromium')",
    }
    for item in items:
        for marker, reason in missing.items():
            if reason and marker in item.keywords:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def pipeline():
    """One pipeline with its models loaded, shared by tests that analyse small frames."""
    import vocnlp

    return vocnlp.load()


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory):
    """The bundled sample analysed and written once, as `vocnlp run` does."""
    from vocnlp import analyze_file, load_config, write_outputs

    cfg = load_config()
    result = analyze_file(SAMPLE, cfg, progress=False)
    out = tmp_path_factory.mktemp("sample_run")
    paths = write_outputs(result, out, cfg, ["parquet", "csv", "xlsx"])
    return result, out, paths


@pytest.fixture(scope="session")
def zero_shot_sample_run(tmp_path_factory):
    """The bundled sample analysed with zero-shot themes only (``themes.model: null``): the seed similarities that
    ``vocnlp review calibrate`` turns into probabilities."""
    from vocnlp import analyze_file, load_config, write_outputs

    cfg = load_config()
    cfg.stage("themes").params["model"] = None
    result = analyze_file(SAMPLE, cfg, progress=False)
    out = tmp_path_factory.mktemp("zero_shot_sample_run")
    paths = write_outputs(result, out, cfg, ["parquet", "csv"])
    return result, out, paths


def run_cli(*args: str, cwd: Path | None = None):
    """Run a ``vocnlp`` command in this process through typer's CliRunner (no Python start-up per call); returns
    what a subprocess would: ``returncode``, ``stdout``, ``stderr``. Unexpected exceptions propagate, so a test
    shows the traceback. The console script's own start-up and signals are tested with real subprocesses
    (tests/test_run_folder.py)."""
    import os
    import subprocess

    from typer.testing import CliRunner

    from vocnlp.cli.app import app

    before = Path.cwd()
    os.chdir(cwd or ROOT)
    try:
        result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
    finally:
        os.chdir(before)
    return subprocess.CompletedProcess(["vocnlp", *args], result.exit_code, result.stdout, result.stderr)
