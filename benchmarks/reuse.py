"""A loaded pipeline called again: the first call of ``nlp = vocnlp.load(); nlp(df)`` against the later ones.

Measured in a fresh process (so the first call pays for the imports and model loading as a user's first call
does), on the first 100 rows of the bundled sample; later calls: the median of five.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys

from vocnlp.resources import resource_root

# Progress messages go to the 'vocnlp' loggers (the command line shows them); pass log= to redirect them.
_log = logging.getLogger(__name__).info

ROWS = 100
LATER_CALLS = 5

_SCRIPT = f"""
import json, statistics, time
import pandas as pd
start = time.perf_counter()
import vocnlp
frame = pd.read_csv({str(resource_root() / "data/sample/survey_sample.csv")!r}, sep=";", encoding="utf-8-sig",
                    dtype=str, keep_default_na=False).head({ROWS})
nlp = vocnlp.load()
first = nlp(frame)
first_s = time.perf_counter() - start
later = []
for _ in range({LATER_CALLS}):
    t = time.perf_counter()
    again = nlp(frame)
    later.append(time.perf_counter() - t)
same = again.comments.equals(first.comments) and again.mentions.equals(first.mentions)
print(json.dumps({{"rows": len(frame), "first_call_s": first_s, "later_call_s": statistics.median(later),
                  "later_calls": len(later), "same_tables": bool(same)}}))
"""


def reuse_timings(log=_log) -> dict:
    """First-call and later-call seconds of a loaded pipeline on 100 rows, and their ratio."""
    log(f"loaded pipeline: first call and {LATER_CALLS} later calls on {ROWS} rows")
    done = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True, check=True)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["ratio"] = figures["later_call_s"] / figures["first_call_s"]
    log(
        f"  first call {figures['first_call_s']:.1f} s, later calls {figures['later_call_s']:.2f} s "
        f"(median), ratio {figures['ratio']:.3f}"
    )
    return figures


def reuse_rows(res: dict) -> list[str]:
    """The BENCHMARKS.md lines (none until measured)."""
    figures = res.get("reuse")
    if not figures:
        return []
    verdict = "**met**" if figures["ratio"] < 0.10 else "not met"
    return [
        "",
        "## A loaded pipeline, called again",
        "",
        f"Measured {figures['date']} (`vocnlp benchmark --reuse-only`, `benchmarks/reuse.py`): "
        f"`nlp = vocnlp.load()` then `nlp(df)` on the first {figures['rows']} rows of the bundled sample, in a "
        "fresh process, so the first call pays for the imports and model loading; later calls: the median of "
        f"{figures['later_calls']}. Target: a later call under 10% of the first.",
        "",
        "| first call (load + analyse) | later call | ratio | same tables | target | verdict |",
        "|---|---|---|---|---|---|",
        f"| {figures['first_call_s']:.1f} s | {figures['later_call_s']:.2f} s | {figures['ratio']:.3f} | "
        f"{'yes' if figures['same_tables'] else 'no'} | < 0.10 | {verdict} |",
    ]
