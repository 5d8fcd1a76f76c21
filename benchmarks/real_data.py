"""Real customer comments: how the pipeline's labels hold up on what customers actually write.

Reads ``cx_real/`` beside the public data (``../shared/data/cx_real``; see its
README): hand-labelled French insurance reviews and English tweets to
companies, 11,840 French insurance reviews with stars and their English
machine translation, and English complaint tweets. These sets are for
measuring and choosing only; nothing here trains a shipped model.

Every figure comes with a 95% percentile bootstrap interval over comments
(``DRAWS`` resamples, seed 0). The French-versus-English gaps are paired: the
same reviews are resampled on both sides.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score, roc_auc_score

from vocnlp.config import load_config
from vocnlp.errors import VocnlpError
from vocnlp.io.readers import RawTable
from vocnlp.io.validate import validate
from vocnlp.pipeline.runner import Pipeline
from vocnlp.training.datasets import data_root

# Progress messages go to the 'vocnlp' loggers (the command line shows them); pass log= to redirect them.
_log = logging.getLogger(__name__).info

DRAWS = 1000
LEVEL = 0.95
THEME_MIN_LABELS = 5  # macro-F1 over themes with at least this many gold labels (fewer make F1 noise)
SENTIMENTS = ("negative", "neutral", "positive", "mixed")


def cx_real_root(data: str | Path | None = None) -> Path:
    """The ``cx_real`` folder, with a clear error when it is missing."""
    root = data_root(data) / "cx_real"
    if not (root / "labelled_comments.csv").is_file():
        raise VocnlpError(
            f"The real-data sets are not in {root}.",
            "Put cx_real/ beside the public data (../shared/data) or pass --data.",
        )
    return root


@dataclass
class Annotated:
    """The pipeline's labels for a list of texts, in input order."""

    comments: pd.DataFrame
    mentions: pd.DataFrame
    vectors: np.ndarray | None = None  # comment embeddings, when the pipeline keeps them (adaptation enabled)

    def theme_sets(self) -> list[set[str]]:
        """Each comment's predicted top-level themes."""
        return [set(t.split(";")) if isinstance(t, str) and t else set() for t in self.comments["themes"]]

    def mention_sentiment(self) -> dict[tuple[int, str], str]:
        """(comment position, theme) → theme-level sentiment of the mention."""
        position = {cid: i for i, cid in enumerate(self.comments["comment_id"])}
        return {
            (position[c], t): s
            for c, t, s in zip(self.mentions["comment_id"], self.mentions["theme_id"], self.mentions["sentiment"])
        }


def annotate(pipeline: Pipeline, texts: list[str]) -> Annotated:
    """Run the pipeline's stages (no scores, no drivers) over ``texts``."""
    frame = pd.DataFrame({"uid": [f"r{i}" for i in range(len(texts))], "text": list(texts)})
    raw = RawTable(frame, list(range(1, len(frame) + 1)), details={"format": "dataframe"})
    settings = pipeline.config.input.model_copy(deep=True)
    settings.columns.text, settings.columns.id = "text", "uid"
    comments, mentions, _ = pipeline.annotate(validate(raw, settings), progress=False)
    return Annotated(comments.reset_index(drop=True), mentions, getattr(pipeline, "comment_vectors", None))


# --- figures ------------------------------------------------------------------------------------------------


def _interval(values: list[float]) -> list[float]:
    tail = (1 - LEVEL) / 2 * 100
    finite = np.asarray([v for v in values if np.isfinite(v)])
    if not len(finite):
        return [float("nan"), float("nan")]
    low, high = np.percentile(finite, [tail, 100 - tail])
    return [float(low), float(high)]


def bootstrap(statistic, n: int, draws: int = DRAWS, seed: int = 0) -> list[float]:
    """Percentile interval of ``statistic(rows)`` over ``draws`` resamples of ``n`` rows."""
    rng = np.random.default_rng(seed)
    return _interval([statistic(rng.integers(0, n, n)) for _ in range(draws)])


def theme_counts(gold: list[set[str]], predicted: list[set[str]], themes: list[str]) -> np.ndarray:
    """(comments, themes, 3) hits, false alarms and misses per comment and theme."""
    out = np.zeros((len(gold), len(themes), 3), dtype=np.int32)
    for i, (g, p) in enumerate(zip(gold, predicted)):
        for j, t in enumerate(themes):
            out[i, j] = (t in g and t in p, t in p and t not in g, t in g and t not in p)
    return out


def _theme_figures(counts: np.ndarray, rows: np.ndarray, macro_columns: np.ndarray) -> dict:
    tp, fp, fn = counts[rows].sum(axis=0).T.astype(float)
    micro_p = tp.sum() / max(tp.sum() + fp.sum(), 1)
    micro_r = tp.sum() / max(tp.sum() + fn.sum(), 1)
    micro_f1 = 2 * tp.sum() / max(2 * tp.sum() + fp.sum() + fn.sum(), 1)
    denominator = 2 * tp + fp + fn
    f1 = np.divide(2 * tp, denominator, out=np.zeros_like(tp), where=denominator > 0)
    return {
        "micro_f1": micro_f1,
        "precision": micro_p,
        "recall": micro_r,
        "macro_f1": float(f1[macro_columns].mean()) if macro_columns.any() else float("nan"),
    }


def theme_scores(gold: list[set[str]], predicted: list[set[str]], themes: list[str], draws: int = DRAWS) -> dict:
    """Micro precision/recall/F1 and macro-F1 (themes with ≥ THEME_MIN_LABELS gold labels), with intervals,
    and per-theme counts."""
    counts = theme_counts(gold, predicted, themes)
    support = counts[:, :, 0].sum(axis=0) + counts[:, :, 2].sum(axis=0)
    macro_columns = support >= THEME_MIN_LABELS
    every = np.arange(len(gold))
    point = _theme_figures(counts, every, macro_columns)
    rng = np.random.default_rng(0)
    resampled = [_theme_figures(counts, rng.integers(0, len(gold), len(gold)), macro_columns) for _ in range(draws)]
    out = {k: float(v) for k, v in point.items()}
    out.update({f"{k}_ci": _interval([r[k] for r in resampled]) for k in point})
    tp, fp, fn = counts.sum(axis=0).T
    out["per_theme"] = {
        t: {"gold": int(tp[j] + fn[j]), "predicted": int(tp[j] + fp[j]), "hits": int(tp[j])}
        for j, t in enumerate(themes)
    }
    out["macro_themes"] = [t for t, keep in zip(themes, macro_columns) if keep]
    return out


def sentiment_macro_f1(gold: list[str], predicted: list[str], draws: int = DRAWS) -> dict:
    """Macro-F1 over the sentiment classes present in the gold labels, with interval and confusion counts."""
    gold, predicted = np.asarray(gold, dtype=object), np.asarray(predicted, dtype=object)
    labels = [s for s in SENTIMENTS if (gold == s).any()]

    def f1(rows):
        return f1_score(gold[rows], predicted[rows], labels=labels, average="macro", zero_division=0)

    confusion = {g: {p: int(((gold == g) & (predicted == p)).sum()) for p in SENTIMENTS} for g in labels}
    return {
        "macro_f1": float(f1(np.arange(len(gold)))),
        "macro_f1_ci": bootstrap(f1, len(gold), draws),
        "n": int(len(gold)),
        "labels": labels,
        "confusion": confusion,
    }


def auc(positive: np.ndarray, score: np.ndarray, draws: int = DRAWS) -> dict:
    """AUC of ``score`` for ``positive`` (0/1), with its bootstrap interval."""
    positive, score = np.asarray(positive, dtype=int), np.asarray(score, dtype=float)

    def value(rows):
        y = positive[rows]
        return roc_auc_score(y, score[rows]) if 0 < y.sum() < len(y) else float("nan")

    return {
        "auc": float(value(np.arange(len(score)))),
        "auc_ci": bootstrap(value, len(score), draws),
        "n": int(len(score)),
        "positives": int(positive.sum()),
    }


def share(flag: np.ndarray, draws: int = DRAWS) -> dict:
    """Share of rows flagged, with a bootstrap interval."""
    flag = np.asarray(flag, dtype=float)
    return {
        "share": float(flag.mean()) if len(flag) else float("nan"),
        "share_ci": bootstrap(lambda rows: flag[rows].mean(), len(flag), draws) if len(flag) else [np.nan] * 2,
        "n": int(len(flag)),
    }


def theme_sentiment_accuracy(gold_polarity: list[dict[str, str]], annotated: Annotated, draws: int = DRAWS) -> dict:
    """Among themes both found and gold-labelled positive or negative: share whose mention sentiment agrees."""
    said = annotated.mention_sentiment()
    rows, right = [], []
    for i, polarity in enumerate(gold_polarity):
        for theme, gold in polarity.items():
            if gold in ("positive", "negative") and (i, theme) in said:
                rows.append(i)
                right.append(said[(i, theme)] == gold)
    right = np.asarray(right, dtype=float)
    out = share(right, draws)
    return {"accuracy": out["share"], "accuracy_ci": out["share_ci"], "n": out["n"]}


# --- the data sets ----------------------------------------------------------------------------------------


def _split_themes(value) -> set[str]:
    return {t for t in str(value).split(";") if t} if isinstance(value, str) else set()


def _split_polarity(value) -> dict[str, str]:
    if not isinstance(value, str):
        return {}
    return dict(part.split("=", 1) for part in value.split(";") if "=" in part)


def labelled_comments(
    pipeline: Pipeline, themes: list[str], data=None, limit: int | None = None, draws: int = DRAWS
) -> dict:
    """Themes, theme-level sentiment and overall sentiment on the hand-labelled comments, per language."""
    frame = pd.read_csv(cx_real_root(data) / "labelled_comments.csv")
    out = {}
    for language, part in frame.groupby("language", sort=True):
        part = part.head(limit) if limit else part
        annotated = annotate(pipeline, part["text"].tolist())
        gold = [_split_themes(v) for v in part["themes"]]
        out[language] = {
            "n": len(part),
            "themes": theme_scores(gold, annotated.theme_sets(), themes, draws),
            "theme_sentiment": theme_sentiment_accuracy(
                [_split_polarity(v) for v in part["theme_polarity"]], annotated, draws
            ),
            "sentiment": sentiment_macro_f1(
                part["sentiment"].tolist(), annotated.comments["sentiment"].fillna("neutral").tolist(), draws
            ),
        }
    return out


def star_figures(stars: np.ndarray, annotated: Annotated, draws: int) -> dict:
    """AUC of ``sentiment_score`` for ≤ 2 versus ≥ 4 stars, mixed shares at 5 and 1 stars, label counts and
    theme shares of one annotated set of star-rated reviews."""
    comments = annotated.comments
    score = comments["sentiment_score"].to_numpy(dtype=float)
    mixed = (comments["sentiment"] == "mixed").to_numpy()
    extreme = (stars <= 2) | (stars >= 4)
    return {
        "auc_low_vs_high": auc((stars[extreme] <= 2).astype(int), -score[extreme], draws),
        "mixed_5_star": share(mixed[stars == 5], draws),
        "mixed_1_star": share(mixed[stars == 1], draws),
        "sentiment": comments["sentiment"].value_counts().to_dict(),
        "theme_share": {
            t: float(np.mean([t in s for s in annotated.theme_sets()]))
            for t in sorted({t for s in annotated.theme_sets() for t in s})
        },
    }


def _paired_gap(fr, en, statistic, n: int, draws: int) -> dict:
    """EN − FR, points, with a paired bootstrap (the same reviews on both sides)."""

    def gap(rows):
        return 100 * (statistic(en, rows) - statistic(fr, rows))

    return {"gap": float(gap(np.arange(n))), "gap_ci": bootstrap(gap, n, draws)}


def insurance_reviews(
    pipeline: Pipeline, data=None, limit: int | None = None, draws: int = DRAWS, seed: int = 0, keep: dict | None = None
) -> dict:
    """Star-rated French insurance reviews and their English translations: AUC of ``sentiment_score`` for
    ≤ 2 versus ≥ 4 stars, share of 1- and 5-star reviews read as mixed, and the paired FR−EN gaps.

    ``keep`` (a dict) receives the reviews and both annotations, for the adaptation figures.
    """
    frame = pd.read_csv(cx_real_root(data) / "insurance_reviews_fr.csv")
    frame = frame[
        frame["review"].fillna("").str.strip().ne("")
        & frame["review_en_machine_translated"].fillna("").str.strip().ne("")
    ]
    if limit:
        # A sample always holds the hand-labelled French reviews (the adaptation figures score them).
        labelled = pd.read_csv(cx_real_root(data) / "labelled_comments.csv")
        wanted = set(labelled.loc[labelled["language"] == "fr", "text"].str.strip())
        is_labelled = frame["review"].str.strip().isin(wanted)
        rest = frame[~is_labelled]
        frame = pd.concat(
            [
                frame[is_labelled].head(limit),
                rest.sample(n=max(0, min(limit - int(is_labelled.sum()), len(rest))), random_state=seed),
            ]
        )
    stars = frame["stars"].to_numpy(dtype=float)
    fr = annotate(pipeline, frame["review"].tolist())
    en = annotate(pipeline, frame["review_en_machine_translated"].tolist())
    out = {"n": len(frame), "fr": star_figures(stars, fr, draws), "en": star_figures(stars, en, draws)}
    if keep is not None:
        keep.update(frame=frame, fr=fr, en=en)
    low = (stars <= 2).astype(int)
    extreme = (stars <= 2) | (stars >= 4)

    def auc_of(score, rows):
        rows = rows[extreme[rows]]
        y = low[rows]
        return roc_auc_score(y, -score[rows]) if 0 < y.sum() < len(y) else float("nan")

    def mixed_at(level):
        def statistic(is_mixed, rows):
            rows = rows[stars[rows] == level]
            return is_mixed[rows].mean() if len(rows) else float("nan")

        return statistic

    scores = {lang: a.comments["sentiment_score"].to_numpy(dtype=float) for lang, a in (("fr", fr), ("en", en))}
    mixed = {lang: (a.comments["sentiment"] == "mixed").to_numpy(dtype=float) for lang, a in (("fr", fr), ("en", en))}
    themes = sorted(set(out["fr"]["theme_share"]) | set(out["en"]["theme_share"]))
    sets = {lang: a.theme_sets() for lang, a in (("fr", fr), ("en", en))}
    has = {
        lang: np.asarray([[t in s for t in themes] for s in sets[lang]], dtype=float).reshape(len(frame), -1)
        for lang in sets
    }

    def largest_theme_gap(rows):
        # The theme whose share moves most between the two languages, in points (a size, not a direction).
        return 100 * np.abs(has["en"][rows].mean(axis=0) - has["fr"][rows].mean(axis=0)).max() if themes else 0.0

    n = len(frame)
    out["gaps"] = {
        "auc": _paired_gap(scores["fr"], scores["en"], auc_of, n, draws),
        "mixed_5_star": _paired_gap(mixed["fr"], mixed["en"], mixed_at(5), n, draws),
        "mixed_1_star": _paired_gap(mixed["fr"], mixed["en"], mixed_at(1), n, draws),
        "largest_theme_share": {
            "gap": float(largest_theme_gap(np.arange(n))),
            "gap_ci": bootstrap(largest_theme_gap, n, draws),
        },
    }
    agree = fr.comments["sentiment"].to_numpy() == en.comments["sentiment"].to_numpy()
    out["sentiment_agreement"] = float(agree.mean())
    return out


def complaint_tweets(pipeline: Pipeline, data=None, limit: int | None = None, draws: int = DRAWS) -> dict:
    """AUC of ``sentiment_score`` for human-labelled complaints versus other tweets."""
    frame = pd.read_csv(cx_real_root(data) / "complaint_tweets_en.csv", dtype={"id": str})
    frame = frame.head(limit) if limit else frame
    annotated = annotate(pipeline, frame["text"].tolist())
    score = annotated.comments["sentiment_score"].to_numpy(dtype=float)
    return auc(frame["complaint"].to_numpy(dtype=int), -score, draws)


def sample_figures(pipeline: Pipeline, draws: int = DRAWS) -> dict:
    """The same measures on the bundled sample (written by the project in the taxonomy's own words: a smoke
    test, shown beside the real figures so that the gap stays visible)."""
    from vocnlp.resources import resource_root

    root = resource_root() / "data" / "sample"
    frame = pd.read_csv(root / "survey_sample.csv", sep=";", dtype=str, keep_default_na=False)
    truth = pd.read_csv(root / "survey_sample_truth.csv", dtype=str, keep_default_na=False)
    annotated = annotate(pipeline, frame["commentaire"].tolist())
    gold = [_split_themes(v) for v in truth["planted_themes"]]
    themed = np.flatnonzero(truth["kind"].isin(["themes", "praise", "short"]).to_numpy())
    predicted = annotated.theme_sets()
    themes = sorted({t for g in gold for t in g})
    nps = pd.to_numeric(truth["nps_true"], errors="coerce").to_numpy()
    score = annotated.comments["sentiment_score"].to_numpy(dtype=float)
    rated = np.flatnonzero(np.isfinite(nps) & np.isfinite(score))
    return {
        "n": int(len(themed)),
        "themes": theme_scores([gold[i] for i in themed], [predicted[i] for i in themed], themes, draws),
        "detractor_auc": auc((nps[rated] <= 6).astype(int), -score[rated], draws),
    }


def measure_real(
    profile: str = "fast",
    data=None,
    limit: int | None = None,
    draws: int = DRAWS,
    log=_log,
    review_limit: int | None = None,
    config: str | Path | None = None,
) -> dict:
    """Every real-data figure of one profile's default pipeline (and the sample's, for comparison).

    ``limit`` keeps the first ``limit`` rows of each set (a seeded sample of the star-rated reviews): for tests;
    ``review_limit`` samples only the star-rated reviews (their two languages are most of the time); ``config``
    is a run config to measure instead of the default one.
    """
    import time
    from datetime import date

    # Adaptation on: the pipeline keeps comment embeddings, which the --adapt figures need (labels are unchanged).
    pipeline = Pipeline(load_config(config, overrides={"profile": profile, "adaptation": {"enabled": True}})).setup()
    themes = sorted(pipeline_themes(pipeline))
    start = time.perf_counter()
    log(f"real data ({profile}): labelled comments")
    out = {
        "date": date.today().isoformat(),
        "profile": profile,
        "limit": limit,
        "review_limit": review_limit,
        "draws": draws,
        "labelled": labelled_comments(pipeline, themes, data, limit, draws),
    }
    log(f"real data ({profile}): star-rated insurance reviews, French and English")
    reviews: dict = {}
    out["insurance"] = insurance_reviews(pipeline, data, review_limit or limit, draws, keep=reviews)
    from benchmarks.real_adaptation import (
        adaptation_figures,  # it reads this module's figures: imported here, not at the top
    )

    log(f"real data ({profile}): sentiment adapted with the reviews' own stars (--adapt)")
    out["adaptation"] = adaptation_figures(reviews, pipeline.config.adaptation, data, draws)
    log(f"real data ({profile}): complaint tweets")
    out["complaints"] = complaint_tweets(pipeline, data, limit, draws)
    log(f"real data ({profile}): bundled sample")
    out["sample"] = sample_figures(pipeline, draws)
    out["seconds"] = round(time.perf_counter() - start, 1)
    return out


def pipeline_themes(pipeline: Pipeline) -> list[str]:
    """Top-level theme ids of the pipeline's taxonomy."""
    stage = next((s for s in pipeline.stages if s.name == "themes"), None)
    if stage is None:
        raise VocnlpError("The real-data benchmark needs a themes stage in the pipeline.", "Use the default config.")
    return [t.id for t in stage.tax.themes]
