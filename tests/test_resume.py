"""`vocnlp run --resume`: a run killed half-way continues from its finished chunks, to the same outputs."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pandas as pd

from conftest import ROOT, SAMPLE, run_cli
from vocnlp.pipeline.checkpoints import work_folder

# Files whose bytes must match an uninterrupted run (summary.json and manifest.json carry timings; the workbook
# carries its creation time).
TABLES = (
    "comments.parquet",
    "comments.csv",
    "mentions.parquet",
    "near_misses.parquet",
    "themes_wide.parquet",
    "drivers.csv",
    "scores_by_group.csv",
    "score_comparisons.csv",
    "codebook.csv",
    "validation.json",
    "config.resolved.yaml",
)


def _run_args(source, out, *extra):
    return ["run", str(source), "--out", str(out), "--segment", "segment", "--chunk-size", "100", "--format", "csv",
            "--no-progress", *extra]  # fmt: skip


def test_a_killed_run_resumes_from_its_finished_chunks_to_identical_outputs(tmp_path):
    source = tmp_path / "dump.csv"
    frame = pd.read_csv(SAMPLE, sep=";", encoding="utf-8-sig", dtype=str, keep_default_na=False).head(1200)
    frame.to_csv(source, sep=";", index=False, encoding="utf-8-sig")
    whole = run_cli(*_run_args(source, tmp_path / "whole"))
    assert whole.returncode == 0, whole.stderr
    assert not work_folder(tmp_path / "whole").exists()  # removed once the run is published

    out = tmp_path / "out"
    chunks = work_folder(out)
    run = subprocess.Popen(
        [sys.executable, "-m", "vocnlp.cli.launch", *_run_args(source, out)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    while run.poll() is None and len(list(chunks.glob("done-*.json"))) < 5 and time.monotonic() < deadline:
        time.sleep(0.005)
    run.send_signal(signal.SIGKILL)
    run.wait()
    finished = len(list(chunks.glob("done-*.json")))
    assert run.returncode == -signal.SIGKILL and not out.exists()
    assert 5 <= finished < 12, f"killed after {finished} of 12 chunks"

    resumed = run_cli(*_run_args(source, out, "--resume"))
    assert resumed.returncode == 0, resumed.stderr
    for name in TABLES:
        assert (out / name).read_bytes() == (tmp_path / "whole" / name).read_bytes(), name
    summary, reference = (json.loads((folder / "summary.json").read_text()) for folder in (out, tmp_path / "whole"))
    # Every chunk the killed run finished is read back, so at most the chunk it was inside is analysed again.
    assert summary["meta"]["chunks"] == {"total": 12, "resumed": finished}
    assert reference["meta"]["chunks"] == {"total": 12, "resumed": 0}
    summary.pop("meta"), reference.pop("meta")
    assert summary == reference
    assert not chunks.exists()


def test_resume_starts_over_when_the_input_changed(tmp_path, caplog):
    source = tmp_path / "dump.csv"
    frame = pd.read_csv(SAMPLE, sep=";", encoding="utf-8-sig", dtype=str, keep_default_na=False).head(250)
    frame.to_csv(source, sep=";", index=False, encoding="utf-8-sig")
    from vocnlp.config import load_config
    from vocnlp.pipeline.checkpoints import ChunkStore
    from vocnlp.pipeline.runner import analyze_file

    config = load_config(None, {"pipeline": {"chunk_size": 100}})
    folder = tmp_path / "chunks"
    first = analyze_file(source, config, progress=False, checkpoints=folder)
    assert first.meta["chunks"] == {"total": 3, "resumed": 0} and len(list(folder.glob("done-*"))) == 3
    again = analyze_file(source, config, progress=False, checkpoints=folder, resume=True)
    assert again.meta["chunks"] == {"total": 3, "resumed": 3}
    pd.testing.assert_frame_equal(again.comments, first.comments)
    frame.head(240).to_csv(source, sep=";", index=False, encoding="utf-8-sig")
    with caplog.at_level("INFO", logger="vocnlp.pipeline.checkpoints"):
        store = ChunkStore(folder, {**first.meta["chunks"], "input_sha256": "other"}, resume=True)
    assert store.finished == set()  # not the same run: nothing of the old chunks is used
    assert "starting from the first chunk (config_sha256, input_sha256, resumed, total, vocnlp_version changed" in (
        caplog.text
    )
