"""A run folder is complete and consistent or absent: staged, published with a manifest, checked by its readers."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import ROOT, SAMPLE, run_cli
from vocnlp.errors import VocnlpError
from vocnlp.io.run_folder import MANIFEST, STAGING_PREFIX, check_out_dir, check_run_folder


def _copy(run_folder, target):
    shutil.copytree(run_folder, target)
    return target


def test_a_run_folder_carries_a_manifest_of_every_file(sample_run):
    result, out, paths = sample_run
    manifest = check_run_folder(out)
    assert manifest["rows"] == {"comments": len(result.comments), "mentions": len(result.mentions)}
    assert set(manifest["files"]) == {p.name for p in out.iterdir() if p.is_file()} - {MANIFEST}
    assert not list(out.parent.glob(f"{STAGING_PREFIX}*"))  # nothing left beside it


def test_a_second_run_replaces_the_first_as_a_whole(sample_run, tmp_path):
    from vocnlp import write_outputs

    result, out, _ = sample_run
    target = _copy(out, tmp_path / "out")
    (target / "report.html").write_text("<html>the first run's report</html>", encoding="utf-8")
    write_outputs(result, target, load_config_fast(), ["parquet"])
    assert not (target / "vocnlp_results.xlsx").exists() and not (target / "report.html").exists()
    assert not (target / "comments.csv").exists()
    check_run_folder(target)


def load_config_fast():
    from vocnlp import load_config

    return load_config()


def test_readers_refuse_a_folder_that_mixes_runs_or_has_no_manifest(sample_run, tmp_path):
    from vocnlp.report import build_report
    from vocnlp.taxonomy.review import export_review_queue

    _, out, _ = sample_run
    mixed = _copy(out, tmp_path / "mixed")
    summary = json.loads((mixed / "summary.json").read_text(encoding="utf-8"))
    summary["rows"]["written"] += 1  # another run's summary beside these tables
    (mixed / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    with pytest.raises(VocnlpError, match="summary.json is missing or changed"):
        build_report(mixed)
    with pytest.raises(VocnlpError, match="does not match"):
        export_review_queue(mixed, tmp_path / "review.csv")
    bare = _copy(out, tmp_path / "bare")
    (bare / MANIFEST).unlink()
    with pytest.raises(VocnlpError, match="no manifest.json"):
        build_report(bare)
    done = run_cli("report", str(mixed))
    assert done.returncode == 2 and "Traceback" not in done.stderr and "does not match" in done.stderr


def test_remap_keeps_the_manifest_in_step(sample_run, tmp_path):
    from vocnlp.taxonomy.remap import remap_run
    from vocnlp.taxonomy.schema import load_taxonomy

    _, out, _ = sample_run
    target = _copy(out, tmp_path / "out")
    remap_run(target, load_taxonomy(ROOT / "configs" / "taxonomies" / "generic_cx.yaml"))
    check_run_folder(target)


def test_out_is_checked_before_any_work(tmp_path):
    a_file = tmp_path / "results.txt"
    a_file.write_text("not a folder", encoding="utf-8")
    with pytest.raises(VocnlpError, match="is a file"):
        check_out_dir(a_file)
    busy = tmp_path / "documents"
    busy.mkdir()
    (busy / "budget.xlsx").write_bytes(b"someone else's file")
    with pytest.raises(VocnlpError, match="--overwrite"):
        check_out_dir(busy)
    assert check_out_dir(busy, overwrite=True) == busy
    earlier = tmp_path / "earlier_run"  # written by a vocnlp before manifests: replaced without --overwrite
    earlier.mkdir()
    for name in ("summary.json", "config.resolved.yaml", "comments.csv"):
        (earlier / name).write_text("{}", encoding="utf-8")
    assert check_out_dir(earlier) == earlier
    assert check_out_dir(tmp_path / "new" / "folder") == tmp_path / "new" / "folder"
    dump = busy / "comments.csv"  # --overwrite never replaces the folder of the input, nor the current folder
    with pytest.raises(VocnlpError, match="replaces its --out folder as a whole"):
        check_out_dir(busy, overwrite=True, keep=(dump,))
    here = busy / "sub"
    here.mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(here)
        for folder in (here, busy, Path(".")):
            with pytest.raises(VocnlpError, match="the current folder"):
                check_out_dir(folder, overwrite=True)
    started = time.perf_counter()
    done = run_cli("run", str(SAMPLE), "--out", str(a_file))
    assert done.returncode == 2 and "is a file" in done.stderr and "Traceback" not in done.stderr
    assert time.perf_counter() - started < 60  # refused before the models load, not after the analysis


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes through read-only folders")
def test_out_in_a_read_only_folder_is_refused_at_once(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(VocnlpError, match="cannot write"):
            check_out_dir(locked / "out")
    finally:
        locked.chmod(0o700)


@pytest.mark.parametrize("delay", [0.0, 0.3])
def test_a_run_killed_while_writing_leaves_the_previous_run_whole(sample_run, tmp_path, delay):
    _, out, _ = sample_run
    target = _copy(out, tmp_path / "out")
    before = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    frame = pd.read_csv(SAMPLE, sep=";", encoding="utf-8-sig", dtype=str, keep_default_na=False).head(200)
    source = tmp_path / "dump.csv"
    frame.to_csv(source, sep=";", index=False, encoding="utf-8-sig")
    run = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vocnlp.cli.launch",
            "run",
            str(source),
            "--out",
            str(target),
            "--format",
            "xlsx",
            "--no-progress",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    while run.poll() is None and not list(tmp_path.glob(f"{STAGING_PREFIX}out-*")) and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(delay)  # the writing has started: kill it somewhere inside
    run.send_signal(signal.SIGKILL)
    run.wait()
    manifest = check_run_folder(target)  # complete and consistent: the old run, or (if it finished) the new one
    assert manifest == before or manifest["rows"]["comments"] == 200
    done = run_cli("report", str(target))
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("when", ["starting", "loading", "writing"])
def test_ctrl_c_exits_cleanly_and_leaves_nothing_half_written(tmp_path, when):
    frame = pd.read_csv(SAMPLE, sep=";", encoding="utf-8-sig", dtype=str, keep_default_na=False).head(200)
    source = tmp_path / "dump.csv"
    frame.to_csv(source, sep=";", index=False, encoding="utf-8-sig")
    # vocnlp.cli.launch is what the console script runs.
    run = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vocnlp.cli.launch",
            "run",
            str(source),
            "--out",
            str(tmp_path / "out"),
            "--format",
            "xlsx",
            "--no-progress",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    if when == "starting":
        time.sleep(0.4)  # Python is importing the command line (pandas, typer…)
    elif when == "loading":
        time.sleep(6)  # past Python's own start-up (imports), while the models load
    else:
        deadline = time.monotonic() + 300
        while run.poll() is None and not list(tmp_path.glob(f"{STAGING_PREFIX}out-*")) and time.monotonic() < deadline:
            time.sleep(0.005)
    run.send_signal(signal.SIGINT)
    _, stderr = run.communicate(timeout=300)
    if run.returncode == 0:  # it finished before the signal: then the folder is whole
        check_run_folder(tmp_path / "out")
        return
    assert run.returncode == 130 and "Interrupted." in stderr and "Traceback" not in stderr, stderr[-2000:]
    assert not list(tmp_path.glob(f"{STAGING_PREFIX}*")) and not (tmp_path / "out").exists()
