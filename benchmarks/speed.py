"""Speed and memory of whole pipeline runs, each in a fresh process, plus theme recall on the sample."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

REPEATS = 3  # runs per speed row; BENCHMARKS.md shows their median


def measure_run(input_path: Path, chunk_size: int = 2000, profile: str = "fast") -> dict:
    """Analyse ``input_path`` in a fresh Python process; returns its timings and peak RSS."""
    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.measure_run", str(input_path), out, str(chunk_size), profile],
            capture_output=True,
            text=True,
        )
    if done.returncode != 0:
        raise RuntimeError(f"benchmark run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def unique_texts_file(folder: Path, n: int) -> Path:
    """Real, mostly unique comments (GoEmotions train), so the embedding cache cannot flatter speed."""
    from vocnlp.training.datasets import data_root

    texts = pd.read_csv(
        data_root() / "goemotions" / "train.tsv",
        sep="\t",
        header=None,
        quoting=3,
        names=["text", "labels", "id"],
        nrows=n,
    )["text"]
    path = folder / f"goemotions_{n}.csv"
    pd.DataFrame({"comment": texts}).to_csv(path, index=False)
    return path


def machine() -> dict:
    """CPU model, cores, Python and OS of the machine running the benchmark."""
    cpu = "unknown"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}


def folder_megabytes(path: Path) -> float:
    """Size of a folder's files in MB."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6
