"""Shared fixtures: the bundled sample run once per session, and builders of hostile input files."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample" / "survey_sample.csv"
SAMPLE_TRUTH = ROOT / "data" / "sample" / "survey_sample_truth.csv"
SHARED_DATA = ROOT.parent / "shared" / "data"


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
    """Run the real console entry point in a subprocess (no test-only shortcuts)."""
    import subprocess

    return subprocess.run([sys.executable, "-m", "vocnlp.launch", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=600)
