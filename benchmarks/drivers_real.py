"""Driver agreement on real comments: impacts from the pipeline's theme labels against impacts from hand labels.

The French insurance reviews of ``cx_real/labelled_comments.csv`` carry their own star rating and hand-labelled
themes. The outcome is the low-star rate (≤ 2 stars, in points, as a detractor rate is); each theme's impact on it
(:func:`weighted_impact`, the industry definition) is computed three ways:

- *gold*: from the hand labels, the reference;
- *naive*: from the pipeline's labels, taken as right (what every tool reports);
- *corrected*: from the pipeline's labels corrected for label error
  (:mod:`vocnlp.analysis.drivers.label_error`), cross-fitted in five folds: each comment's chance of truly
  mentioning a theme is estimated from the hand labels of the other four folds (the "judged sample"), never its
  own.

Themes with at least :data:`MIN_GOLD` hand-labelled mentions are ranked. Figures: Spearman of naive and corrected
impacts against gold, top-3 overlap, and each theme's bias (impact minus gold impact).
"""

from __future__ import annotations

import logging
from datetime import date

import numpy as np
import pandas as pd
from scipy import stats

from benchmarks.real_data import _split_themes, annotate, cx_real_root, pipeline_themes
from vocnlp.analysis.drivers.label_error import outcome_cells, probability_tables, weighted_impact

_log = logging.getLogger(__name__).info

MIN_GOLD = 5
FOLDS = 5
LOW_STARS = 2


def cross_fitted_weights(predicted: np.ndarray, gold: np.ndarray, y: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """(n, k) chance each comment truly mentions each theme, estimated from the other folds' hand labels."""
    n, k = predicted.shape
    fold = np.random.default_rng(seed).permutation(n) % folds
    cells = outcome_cells(y)
    weights = np.full((n, k), np.nan)
    n_cells = int(cells.max()) + 1
    for f in range(folds):
        judged_rows = np.flatnonzero(fold != f)
        held = np.flatnonzero(fold == f)
        # All themes at once, as a run does (the themes' pooled rates enter each theme's estimate).
        table = probability_tables(predicted, cells, n_cells, judged_rows, gold[judged_rows].astype(float))
        for j in range(k):
            weights[held, j] = table[j][predicted[held, j].astype(int), cells[held]]
    return weights


def _top(impacts: np.ndarray, themes: list[str], count: int = 3) -> list[str]:
    order = np.argsort(-np.nan_to_num(impacts, nan=-np.inf), kind="stable")
    return [themes[i] for i in order[:count]]


def driver_agreement(pipeline=None, data=None, seed: int = 0, log=_log) -> dict:
    """Gold, naive and corrected theme impacts on the low-star rate of the French labelled reviews."""
    from vocnlp.pipeline.runner import load

    pipeline = pipeline or load()
    frame = pd.read_csv(cx_real_root(data) / "labelled_comments.csv")
    frame = frame[(frame["language"] == "fr") & frame["stars"].notna()].reset_index(drop=True)
    log(f"driver agreement: {len(frame)} French reviews with stars")
    annotated = annotate(pipeline, frame["text"].tolist())
    gold_sets = [_split_themes(v) for v in frame["themes"]]
    counts = {t: sum(t in g for g in gold_sets) for t in pipeline_themes(pipeline)}
    themes = [t for t, c in counts.items() if c >= MIN_GOLD]
    gold = np.asarray([[t in g for t in themes] for g in gold_sets], dtype=bool)
    predicted = np.asarray([[t in p for t in themes] for p in annotated.theme_sets()], dtype=bool)
    y = (frame["stars"].to_numpy(dtype=float) <= LOW_STARS) * 100.0
    weights = cross_fitted_weights(predicted, gold, y, FOLDS, seed)
    impacts = {
        "gold": np.asarray([weighted_impact(y, gold[:, j].astype(float))[0] for j in range(len(themes))]),
        "naive": np.asarray([weighted_impact(y, predicted[:, j].astype(float))[0] for j in range(len(themes))]),
        "corrected": np.asarray(
            [
                weighted_impact(y, weights[:, j])[0] if not np.isnan(weights[:, j]).any() else np.nan
                for j in range(len(themes))
            ]
        ),
    }
    top_gold = _top(impacts["gold"], themes)
    out: dict = {
        "date": date.today().isoformat(),
        "n": len(frame),
        "folds": FOLDS,
        "seed": seed,
        "themes": {},
        "top3_gold": top_gold,
    }
    for kind in ("naive", "corrected"):
        usable = ~np.isnan(impacts[kind])
        out[kind] = {
            "spearman": float(stats.spearmanr(impacts[kind][usable], impacts["gold"][usable])[0]),
            "top3": _top(impacts[kind], themes),
            "top3_overlap": len(set(_top(impacts[kind], themes)) & set(top_gold)),
            "themes_not_estimated": int((~usable).sum()),
        }
    for j, theme in enumerate(themes):
        out["themes"][theme] = {
            "gold_mentions": int(gold[:, j].sum()),
            "predicted_mentions": int(predicted[:, j].sum()),
            **{f"{kind}_impact": float(impacts[kind][j]) for kind in impacts},
        }
    return out


def driver_agreement_rows(res: dict) -> list[str]:
    """The BENCHMARKS.md driver-agreement table on real reviews (none until measured)."""
    found = res.get("driver_agreement")
    if not found:
        return []
    lines = [
        "",
        "### Driver rankings on real reviews: pipeline labels against hand labels",
        "",
        f"{found['n']} French insurance reviews of `cx_real/labelled_comments.csv` with their own star rating "
        f"(measured {found['date']}, `vocnlp benchmark --label-error-only`, `benchmarks/drivers_real.py`): each "
        f"theme's impact on the low-star rate (≤ {LOW_STARS} stars, points), for the themes with at least "
        f"{MIN_GOLD} hand-labelled mentions, from the hand labels (gold), from the default pipeline's labels "
        f"(naive) and from them corrected for label error with the hand labels of the other folds as the judged "
        f"sample ({found['folds']}-fold cross-fitting: judge 4/5, correct the 5th).",
        "",
        "| impacts from | Spearman with gold | top 3 | top-3 overlap with gold | target |",
        "|---|---|---|---|---|",
        f"| hand labels (gold) | 1 | {', '.join(found['top3_gold'])} | 3 | |",
    ]
    for kind in ("naive", "corrected"):
        f = found[kind]
        target = "Spearman ≥ 0.9, 3/3: " + ("**met**" if f["spearman"] >= 0.9 and f["top3_overlap"] == 3 else "not met")
        lines.append(
            f"| pipeline labels, {kind} | {f['spearman']:.2f} | {', '.join(f['top3'])} | {f['top3_overlap']}/3 | "
            f"{target if kind == 'corrected' else ''} |"
        )
    lines += [
        "",
        "| theme | gold mentions | predicted mentions | gold impact | naive impact (bias) | corrected impact (bias) |",
        "|---|---|---|---|---|---|",
    ]
    for theme, t in sorted(found["themes"].items(), key=lambda kv: -kv[1]["gold_impact"]):
        lines.append(
            f"| {theme} | {t['gold_mentions']} | {t['predicted_mentions']} | {t['gold_impact']:+.1f} | "
            f"{t['naive_impact']:+.1f} ({t['naive_impact'] - t['gold_impact']:+.1f}) | "
            f"{t['corrected_impact']:+.1f} ({t['corrected_impact'] - t['gold_impact']:+.1f}) |"
        )
    return lines + [""]


__all__ = ["cross_fitted_weights", "driver_agreement", "driver_agreement_rows"]
