"""Recall and precision of personal-data masking on the project's test set (benchmarks/pii/pii_testset.jsonl).

A piece of personal data counts as found when spans of its own kind cover every
letter and digit of it (a phone masked as a card still leaks the kind, and a
half-masked IBAN still leaks the account). A span the masker finds counts as
correct when it overlaps expected personal data of the same kind.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from pathlib import Path

from vocnlp.components.pii import KINDS, PiiMasker
from vocnlp.resources import resource_root

TESTSET = "benchmarks/pii/pii_testset.jsonl"
TARGET_RECALL = {"email": 0.99, "phone": 0.99, "iban": 0.99, "card": 0.99}


def load_testset(path: str | Path | None = None) -> list[dict]:
    """The snippets: ``id``, ``lang``, ``text`` and ``pii`` (a list of {kind, text})."""
    path = Path(path) if path else resource_root() / TESTSET
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _expected_spans(item: dict) -> list[tuple[int, int, str]]:
    spans, cursor = [], 0
    for pii in item["pii"]:
        start = item["text"].index(pii["text"], cursor)
        spans.append((start, start + len(pii["text"]), pii["kind"]))
        cursor = start + len(pii["text"])
    return spans


def pii_scores(path: str | Path | None = None, masker: PiiMasker | None = None) -> dict:
    """Per kind and language: expected, found, recall, predicted, correct, precision; plus misses for the note."""
    items = load_testset(path)
    masker = masker or PiiMasker()
    start = time.perf_counter()
    predicted = masker.find_many([i["text"] for i in items], [i["lang"] for i in items])
    seconds = time.perf_counter() - start
    counts: dict = defaultdict(lambda: {"expected": 0, "found": 0, "predicted": 0, "correct": 0})
    misses, false_alarms = [], []
    for item, spans in zip(items, predicted):
        text, expected = item["text"], _expected_spans(item)
        for lo, hi, kind in expected:
            covered = {i for s in spans if s.kind == kind for i in range(s.start, s.end)}
            ok = all(i in covered for i in range(lo, hi) if text[i].isalnum())
            for key in (kind, f"{kind}|{item['lang']}"):
                counts[key]["expected"] += 1
                counts[key]["found"] += ok
            if not ok:
                misses.append({"id": item["id"], "kind": kind, "text": text[lo:hi]})
        for span in spans:
            ok = any(kind == span.kind and span.start < hi and lo < span.end for lo, hi, kind in expected)
            for key in (span.kind, f"{span.kind}|{item['lang']}"):
                counts[key]["predicted"] += 1
                counts[key]["correct"] += ok
            if not ok:
                false_alarms.append({"id": item["id"], "kind": span.kind, "text": span.text(text)})
    for c in counts.values():
        c["recall"] = c["found"] / c["expected"] if c["expected"] else None
        c["precision"] = c["correct"] / c["predicted"] if c["predicted"] else None
    langs = defaultdict(int)
    for item in items:
        langs[item["lang"]] += 1
    return {
        "snippets": len(items),
        "languages": dict(langs),
        "seconds": round(seconds, 3),
        "by_kind": {k: dict(v) for k, v in sorted(counts.items())},
        "misses": misses,
        "false_alarms": false_alarms,
    }


def _fmt(value) -> str:
    return "–" if value is None else f"{value:.3f}"


def pii_rows(res: dict) -> list[str]:
    """BENCHMARKS.md section for the masking figures (empty when not measured)."""
    pii = res.get("pii")
    if not pii:
        return []
    by = pii["by_kind"]
    langs = ", ".join(f"{n} {lang.upper()}" for lang, n in sorted(pii["languages"].items()))
    lines = [
        "",
        "## Personal-data masking (issue: reports and exports)",
        "",
        f"Test set written by the project: `{TESTSET}`, {pii['snippets']} snippets ({langs}), including "
        "look-alikes that must stay readable (order numbers, prices, dates, Luhn-invalid references). "
        f"`vocnlp benchmark --pii-only`; masking took {pii['seconds']:.2f} s. "
        "The masker was written against this set, "
        "so read it as a regression check: real comments will hold formats it has not seen.",
        "",
        "| kind | expected | recall | recall EN | recall FR | precision | target | verdict |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for kind in KINDS:
        row = by.get(kind, {"expected": 0, "recall": None, "precision": None})
        target = TARGET_RECALL.get(kind)
        verdict = "reported" if target is None else ("**met**" if (row["recall"] or 0) >= target else "not met")
        lines.append(
            f"| {kind} | {row['expected']} | {_fmt(row['recall'])} | "
            f"{_fmt(by.get(f'{kind}|en', {}).get('recall'))} | "
            f"{_fmt(by.get(f'{kind}|fr', {}).get('recall'))} | "
            f"{_fmt(row['precision'])} | {'recall ≥ %.2f' % target if target else 'report'} | {verdict} |"
        )
    if pii["misses"]:
        lines += ["", "Missed: " + "; ".join(f"{m['kind']} “{m['text']}” ({m['id']})" for m in pii["misses"]) + "."]
    if pii["false_alarms"]:
        lines += [
            "",
            "Masked but not personal data: "
            + "; ".join(f"{m['kind']} “{m['text']}” ({m['id']})" for m in pii["false_alarms"])
            + ".",
        ]
    return lines
