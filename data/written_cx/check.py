"""Check a file of project-written customer comments (JSONL) against the corpus format.

Usage: python3 data/written_cx/check.py data/written_cx/<file>.jsonl
Prints counts per language, sentiment, theme and length band, and every line that breaks the format.
"""

import json
import sys
from collections import Counter

THEMES = {
    "price",
    "billing",
    "staff",
    "waiting",
    "resolution",
    "communication",
    "quality",
    "delivery",
    "digital",
    "contract",
    "effort",
}
SENTIMENTS = {"negative", "neutral", "positive", "mixed"}
POLARITIES = {"negative", "neutral", "positive"}


def check(path):
    errors, rows, seen = [], [], set()
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
            except json.JSONDecodeError as e:
                errors.append(f"line {n}: not JSON ({e})")
                continue
            text = r.get("text")
            if not isinstance(text, str) or not text.strip():
                errors.append(f"line {n}: empty text")
                continue
            if text in seen:
                errors.append(f"line {n}: duplicate text {text[:50]!r}")
            seen.add(text)
            if r.get("language") not in ("fr", "en"):
                errors.append(f"line {n}: language must be fr or en")
            if r.get("sentiment") not in SENTIMENTS:
                errors.append(f"line {n}: sentiment {r.get('sentiment')!r} not in {sorted(SENTIMENTS)}")
            themes = r.get("themes")
            if not isinstance(themes, dict):
                errors.append(f"line {n}: themes must be an object {{id: polarity}}")
                continue
            for k, v in themes.items():
                if k not in THEMES:
                    errors.append(f"line {n}: unknown theme {k!r}")
                if v not in POLARITIES:
                    errors.append(f"line {n}: polarity {v!r} of {k} not in {sorted(POLARITIES)}")
            if not isinstance(r.get("industry"), str):
                errors.append(f"line {n}: industry missing")
            rows.append(r)
    return rows, errors


def main():
    rows, errors = check(sys.argv[1])
    words = [len(r["text"].split()) for r in rows]
    print(f"{len(rows)} comments")
    print("languages:", dict(Counter(r["language"] for r in rows)))
    print("sentiment:", dict(Counter(r["sentiment"] for r in rows)))
    print("industry:", dict(Counter(r["industry"] for r in rows)))
    print("themes per comment:", dict(sorted(Counter(len(r["themes"]) for r in rows).items())))
    print("theme counts:", dict(Counter(k for r in rows for k in r["themes"]).most_common()))
    print("theme polarity:", dict(Counter(v for r in rows for v in r["themes"].values())))
    bands = Counter("short (<=8 words)" if w <= 8 else "medium (9-40)" if w <= 40 else "long (>40)" for w in words)
    print("length:", dict(bands))
    for e in errors[:50]:
        print("ERROR", e)
    print(f"{len(errors)} errors")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
