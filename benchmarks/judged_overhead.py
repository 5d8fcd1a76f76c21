"""Time a judged sample adds to a run: 10,000 unique comments analysed once, then the driver step (with reading the
judged file) timed with and without a judged sample of 300 comments, in turns, median of 3.

The judged sample here holds the pipeline's own labels as the "true" themes: what is timed is the correction's
work (probability tables and the bootstrap over respondents and judged comments), which does not depend on what
the judges wrote. The ratio is the added seconds over the whole run's wall time as `vocnlp run` reports it.
"""

from __future__ import annotations

import logging
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import pandas as pd

from benchmarks.scale import unique_dump

_log = logging.getLogger(__name__).info
ROWS = 10_000
JUDGED = 300
REPEATS = 3


def judged_overhead(log=_log, rows: int = ROWS, judged_n: int = JUDGED, repeats: int = REPEATS) -> dict:
    """Seconds of the driver step with and without a judged sample, and their difference over the run's wall."""
    from vocnlp.analysis.drivers import analyse_drivers
    from vocnlp.analysis.drivers.judged import read_judged_labels, themes_of_codebook
    from vocnlp.config import load_config
    from vocnlp.pipeline.analysis_run import analyze_file

    cfg = load_config()
    with tempfile.TemporaryDirectory() as tmp:
        source = unique_dump(Path(tmp), rows)
        log(f"judged-sample overhead: analysing {rows:,} comments")
        result = analyze_file(source, cfg, progress=False)
        comments, mentions = result.comments, result.mentions
        picked = comments["comment_id"].sample(n=judged_n, random_state=0)
        themes = mentions.groupby("comment_id")["theme_id"].agg(lambda s: "|".join(sorted(set(s))))
        judged_file = Path(tmp) / "judged.csv"
        pd.DataFrame({"comment_id": picked, "true_themes": picked.map(themes).fillna("none")}).to_csv(
            judged_file, index=False
        )
        theme_of = themes_of_codebook(result.codebook)
        plain, judged = [], []
        for round_ in range(repeats):
            log(f"judged-sample overhead: round {round_ + 1} of {repeats}")
            start = time.perf_counter()
            analyse_drivers(comments, mentions, cfg.drivers, seed=cfg.seed)
            plain.append(time.perf_counter() - start)
            start = time.perf_counter()
            labels = read_judged_labels(judged_file, comments["comment_id"], theme_of)
            analyse_drivers(comments, mentions, cfg.drivers, seed=cfg.seed, judged=labels)
            judged.append(time.perf_counter() - start)
    run_wall = float(result.meta["timings_seconds"]["total"])
    added = statistics.median(judged) - statistics.median(plain)
    return {
        "date": date.today().isoformat(),
        "rows": rows,
        "judged": judged_n,
        "bootstrap": cfg.drivers.bootstrap,
        "run_wall_s": run_wall,
        "drivers_plain_s": plain,
        "drivers_judged_s": judged,
        "added_s": added,
        "added_share": added / run_wall,
    }


def judged_overhead_rows(res: dict) -> list[str]:
    """The BENCHMARKS.md lines on the time a judged sample adds (none until measured)."""
    found = res.get("judged_overhead")
    if not found:
        return []
    verdict = "**met**" if found["added_share"] <= 0.20 else "not met"
    return [
        "",
        "### Time a judged sample adds to a run",
        "",
        f"{found['rows']:,} unique comments (the Scale section's input), default profile, analysed once in "
        f"{found['run_wall_s']:.0f} s; the driver step then timed with and without a judged sample of "
        f"{found['judged']} comments ({found['bootstrap']} bootstrap replicates, median of "
        f"{len(found['drivers_plain_s'])}; measured {found['date']}, `benchmarks/judged_overhead.py`).",
        "",
        "| driver step without | with the judged sample | added | added / run wall | target ≤ 20% |",
        "|---|---|---|---|---|",
        f"| {statistics.median(found['drivers_plain_s']):.1f} s | {statistics.median(found['drivers_judged_s']):.1f} s "
        f"| {found['added_s']:.1f} s | {found['added_share']:.1%} | {verdict} |",
        "",
    ]


__all__ = ["judged_overhead", "judged_overhead_rows"]
