"""vocnlp side by side with what an analyst would use instead, on the same 10,000 comments, in one run.

Each contender runs in a fresh process, ``speed.REPEATS`` times, in rounds (vocnlp, the MiniLM script, BERTopic;
then again), so that a slow spell of this shared machine falls on all of them alike; the table shows medians and
the ratios of the medians. See ``benchmarks/alternative_run.py`` for what the alternatives do.
"""

from __future__ import annotations

import json
import logging
import statistics
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

from benchmarks import speed

_log = logging.getLogger(__name__).info
ROWS = 10_000
KINDS = ("minilm_lr", "bertopic")


def run_alternative(kind: str, input_path: Path) -> dict:
    """One alternative in a fresh process (``benchmarks.alternative_run``)."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.alternative_run", kind, str(input_path)], capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"{kind} run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def alternatives_figures(log=_log, repeats: int = speed.REPEATS) -> dict:
    """vocnlp's default profile (the `vocnlp run` path) and each alternative, ``repeats`` rounds."""
    runs: dict[str, list[dict]] = {"vocnlp": [], **{k: [] for k in KINDS}}
    with tempfile.TemporaryDirectory() as tmp:
        source = speed.unique_texts_file(Path(tmp), ROWS)
        for round_ in range(repeats):
            log(f"alternatives: round {round_ + 1} of {repeats}: vocnlp")
            runs["vocnlp"].append(speed.measure_run(source))
            for kind in KINDS:
                log(f"alternatives: round {round_ + 1} of {repeats}: {kind}")
                runs[kind].append(run_alternative(kind, source))
    return {"date": date.today().isoformat(), "rows": ROWS, "repeats": repeats, "runs": runs}


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def alternatives_rows(res: dict) -> list[str]:
    """The BENCHMARKS.md section (none until measured)."""
    figures = res.get("alternatives")
    if not figures:
        return []
    runs = figures["runs"]
    ours_work = statistics.median(r["analysis_s"] for r in runs["vocnlp"])
    ours_wall = _median(runs["vocnlp"], "wall_s")
    ours_load = _median(runs["vocnlp"], "model_setup_s")
    lines = [
        "",
        "## Side by side with the usual alternatives",
        "",
        f"Measured {figures['date']} (`vocnlp benchmark --alternatives-only`, `benchmarks/alternatives.py`): the "
        f"same {figures['rows']:,} real comments (GoEmotions train, as in the speed table), each tool in a fresh "
        f"process, {figures['repeats']} rounds taken in turn; medians. *Work* leaves out loading the models "
        "(vocnlp: reading, every stage, scores and drivers; BERTopic: `fit_transform`; the MiniLM script: "
        "training its head on 2,000 labelled comments, then encoding and scoring). The ratio is the tool's "
        "median work time over vocnlp's: above 1, vocnlp is faster.",
        "",
        "| tool | what it gives | model loading s | work s | comments/s | ratio to vocnlp (work) "
        "| ratio to vocnlp (whole process) | peak RSS MB |",
        "|---|---|---|---|---|---|---|---|",
        f"| vocnlp, default profile (`vocnlp run`) | sentiment, emotions, themes, effort, drivers | {ours_load:.1f} "
        f"| {ours_work:.1f} | {figures['rows'] / ours_work:.0f} | 1.00 | 1.00 | "
        f"{_median(runs['vocnlp'], 'peak_rss_mb'):,.0f} |",
    ]
    gives = {
        "minilm_lr": ("all-MiniLM-L6-v2 encode + scikit-learn logistic head", "sentiment only (English model)"),
        "bertopic": ("BERTopic `fit_transform`, defaults, all-MiniLM-L6-v2", "unnamed topics (discovery)"),
    }
    for kind in KINDS:
        if not runs.get(kind):
            continue
        work = _median(runs[kind], "work_s") + (_median(runs[kind], "train_s") if kind == "minilm_lr" else 0.0)
        what = gives[kind][1]
        if kind == "bertopic":
            what += (
                f": {statistics.median(r['topics'] for r in runs[kind]):.0f} topics, "
                f"{100 * _median(runs[kind], 'outlier_share'):.0f}% of comments in none"
            )
        lines.append(
            f"| {gives[kind][0]} | {what} | {_median(runs[kind], 'load_s'):.1f} | {work:.1f} | "
            f"{figures['rows'] / work:.0f} | {work / ours_work:.2f} | {_median(runs[kind], 'wall_s') / ours_wall:.2f} "
            f"| {_median(runs[kind], 'peak_rss_mb'):,.0f} |"
        )
    return lines


__all__ = ["alternatives_figures", "alternatives_rows", "run_alternative"]
