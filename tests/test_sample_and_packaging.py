"""The bundled sample is reproducible from its script; the wheel carries models, configs and the sample."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from conftest import ROOT, SAMPLE, SAMPLE_TRUTH
from vocnlp.sample import write_sample


def test_sample_regenerates_identically(tmp_path):
    csv_path, truth_path = write_sample(tmp_path / "survey_sample.csv")
    assert csv_path.read_bytes() == SAMPLE.read_bytes()
    assert truth_path.read_bytes() == SAMPLE_TRUTH.read_bytes()


def test_wheel_finds_its_resources_without_a_checkout(tmp_path):
    wheel_dir = tmp_path / "wheel"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheel_dir),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    wheel = next(wheel_dir.glob("vocnlp-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "vocnlp/_bundled/configs/default.yaml",
        "vocnlp/_bundled/configs/taxonomies/generic_cx.yaml",
        "vocnlp/_bundled/models/sentiment-usem3/head.npz",
        "vocnlp/_bundled/models/emotion-usem3/model.json",
        "vocnlp/_bundled/data/sample/survey_sample.csv",
        "vocnlp/report/template.html.j2",
    ):
        assert needed in names, needed
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    probe = (
        "import vocnlp, vocnlp.resources as r; from vocnlp.modeling import load_model_folder;"
        "print(r.resource_root()); load_model_folder(r.resource_path('models/sentiment-usem3'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(target / "vocnlp" / "_bundled")


def test_benchmarks_md_is_what_the_saved_results_render_to():
    """BENCHMARKS.md is generated, never typed: it must equal the rendering of benchmarks/results.json."""
    import json

    from benchmarks.render import render

    saved = json.loads((ROOT / "benchmarks" / "results.json").read_text(encoding="utf-8"))
    assert render(saved) == (ROOT / "BENCHMARKS.md").read_text(encoding="utf-8")


def test_a_speed_run_reports_its_own_peak_memory_not_its_parents():
    # Linux carries ru_maxrss across exec: a run started by a big benchmark process used to report the parent's peak.
    ballast = bytearray(600 * 1024 * 1024)
    ballast[::4096] = b"\1" * len(ballast[::4096])  # touch every page so it is resident
    code = "from benchmarks.measure_run import peak_rss_mb; print(peak_rss_mb())"
    child = float(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
        ).stdout.strip()
    )
    import resource

    parent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert parent > 600 and 0 < child < parent - 400
    del ballast
