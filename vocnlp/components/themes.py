"""Theme assignment: a trained theme model (clauses and whole comments) and zero-shot seed phrases.

Each clause is compared (cosine similarity of shared embeddings) with every
seed phrase; a theme is assigned when its best seed is similar enough, a
clause's second theme comes close to its first, and the clause is not closer
to a survey non-answer (the taxonomy's ``no_theme_seeds``) than to any theme. The
similarity is reported as ``confidence``: a score in 0..1, not a calibrated
probability. With a model from ``vocnlp train --task themes`` (the default
ships ``models/themes-usem3``), the themes it knows take its calibrated
probability instead, on every clause and (``whole_comment``) on the whole
comment; the others stay zero-shot.

``probability`` is the chance the theme is right: the trained model's
probability for its themes, and for zero-shot themes the map that ``vocnlp
review calibrate`` learned from reviewed mentions (``calibration``); empty for
zero-shot themes when no such map is configured, since no honest default exists.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from vocnlp.components.affect import ROUND
from vocnlp.components.theme_scorers import SeedIndex, TrainedThemes
from vocnlp.errors import ConfigError
from vocnlp.pipeline.registry import Batch, PositiveInt, RunContext, Share, Stage, live_rows, register_stage
from vocnlp.resources import resolve_user_or_bundled
from vocnlp.taxonomy.calibration import load_calibration
from vocnlp.taxonomy.edits import alias_map
from vocnlp.taxonomy.schema import Taxonomy, load_taxonomy

MENTION_COLUMNS = [
    "comment_id",
    "theme_id",
    "theme_name",
    "subtheme_id",
    "sentence_index",
    "evidence",
    "sentiment",
    "sentiment_score",
    "confidence",
    "probability",
]
NEAR_MISS_COLUMNS = [
    "comment_id",
    "sentence_index",
    "evidence",
    "theme_id",
    "theme_name",
    "confidence",
    "threshold",
    "probability",
]


@register_stage("themes")
class Themes(Stage):
    """Multi-label themes per sentence; per comment, the union, with the best evidence sentence per theme."""

    requires = ("sentences", "sentence_vectors", "comment_vectors", "encoder")
    assigns = ("mentions", "themes")

    def __init__(
        self,
        taxonomy: str = "configs/taxonomies/generic_cx.yaml",
        threshold: Share = 0.44,
        margin: Share = 0.05,
        max_per_sentence: PositiveInt = 2,
        language: Literal["en", "fr"] = "en",
        model: str | None = "models/themes-usem3",
        model_threshold: Share = 0.5,
        near_miss_window: Share = 0.06,
        calibration: str | None = None,
        whole_comment: bool = True,
        model_threshold_floor: Share = 0.45,
        neutral_clause_takes_comment: bool = True,
        seeds_vote: bool = False,
    ):
        self.taxonomy = taxonomy
        self.threshold = threshold
        self.margin = margin
        self.max_per_sentence = max_per_sentence
        self.language = language
        self.model = model
        self.model_threshold = model_threshold
        self.near_miss_window = near_miss_window
        self.calibration = calibration
        # With a trained model, also read each whole comment (themes spread over several clauses).
        self.whole_comment = whole_comment
        self.model_threshold_floor = model_threshold_floor
        self.neutral_clause_takes_comment = neutral_clause_takes_comment
        self.seeds_vote = seeds_vote

    def setup(self, context: RunContext) -> None:
        """Load the taxonomy and embed its seed phrases with the run's encoder."""
        encoder = context.encoder
        if encoder is None:
            raise ConfigError(
                "The themes stage needs the embed stage before it.",
                "Put '- name: embed' before '- name: themes' in pipeline.stages.",
            )
        self.tax = self.read_taxonomy(context.base_dir)
        self.index = SeedIndex(self.tax.prototypes(), encoder)
        per_theme = {t.id: t.extra.get("threshold", self.threshold) for t in self.tax.themes}
        self._thresholds = np.asarray([per_theme[t] for t in self.index.theme_ids], dtype=np.float32)
        no_theme = [p for lang in sorted(self.tax.no_theme_seeds) for p in self.tax.no_theme_seeds[lang]]
        self._no_theme = encoder.encode(no_theme) if no_theme else None
        self._trained = (
            TrainedThemes(
                self.model,
                context,
                self.index.theme_ids,
                self.model_threshold,
                self.tax.id,
                alias_map(self.tax),
                self.model_threshold_floor,
            )
            if self.model
            else None
        )
        self._calibration = (
            load_calibration(resolve_user_or_bundled(self.calibration, context.base_dir)) if self.calibration else None
        )
        self._model_column = np.zeros(len(self.index.theme_ids), dtype=bool)
        if self._trained is not None:
            self._model_column[self._trained.columns] = True

    def read_taxonomy(self, base_dir: Path | None) -> Taxonomy:
        """The taxonomy file this stage is configured with (relative to ``base_dir``, or bundled), without
        loading any model."""
        return load_taxonomy(resolve_user_or_bundled(self.taxonomy, base_dir))

    def assign(self, vectors: np.ndarray, batch: Batch | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Boolean (sentences, themes) assignment, the confidences, and the best seed indices.

        Confidence is the seed similarity for zero-shot themes and the trained
        model's probability for the themes it knows (``model``).
        """
        best, arg, thresholds, non_answer = self._scores(vectors, batch)
        return self._choose(best, thresholds, non_answer), best, arg

    def _scores(self, vectors: np.ndarray, batch: Batch | None) -> tuple[np.ndarray, ...]:
        """Confidences, best seed indices, per-cell thresholds and the non-answer flag of every sentence."""
        best, arg = self.index.scores(vectors)
        non_answer = np.zeros(len(best), dtype=bool)
        if self._no_theme is not None and len(best):
            non_answer = (vectors @ self._no_theme.T).max(axis=1) >= best.max(axis=1)
        thresholds = np.broadcast_to(self._thresholds, best.shape)
        if self._trained is not None and len(best):
            seeds, seed_bars = best, thresholds
            assert batch is not None  # a trained model reads the batch's sentences (the stage always passes it)
            best, thresholds = self._trained.overlay(best, thresholds, batch)
            if self.seeds_vote:
                # The seeds keep a voice where the model knows the theme: the one further above its own bar speaks.
                louder = seeds / seed_bars > best / thresholds
                best, thresholds = np.where(louder, seeds, best), np.where(louder, seed_bars, thresholds)
        return best, arg, thresholds, non_answer

    def _probability(self, confidence: np.ndarray, columns: np.ndarray) -> np.ndarray:
        """``probability`` of cells: a trained model's own, or the calibrated zero-shot map (NaN without one)."""
        zero_shot = (
            self._calibration.probability(confidence)
            if self._calibration is not None
            else np.full(len(confidence), np.nan)
        )
        return np.round(np.where(self._model_column[columns], confidence, zero_shot), ROUND)

    def _choose(self, best: np.ndarray, thresholds: np.ndarray, non_answer: np.ndarray) -> np.ndarray:
        """Themes over their threshold, at most ``max_per_sentence``, within ``margin`` of the clause's best."""
        chosen = (best >= thresholds) & ~non_answer[:, None]
        if len(best):
            # Similarities and model probabilities live on different scales: compare themes as multiples
            # of their own thresholds, brought back to the zero-shot similarity scale for `margin`.
            relative = best / thresholds * self.threshold
            order = np.argsort(-relative, axis=1, kind="stable")
            rank = np.empty_like(order)
            np.put_along_axis(rank, order, np.arange(best.shape[1])[None, :].repeat(len(best), 0), axis=1)
            chosen &= rank < self.max_per_sentence
            if self.margin > 0:
                chosen &= relative >= relative.max(axis=1, keepdims=True) - self.margin
        return chosen

    def __call__(self, batch: Batch) -> Batch:
        """Add ``themes``/``theme_count`` to comments and build ``batch.mentions``."""
        sentences = batch.sentences
        assert sentences is not None and batch.sentence_vectors is not None  # set by the sentences and embed stages
        best, arg, thresholds, non_answer = self._scores(batch.sentence_vectors, batch)
        chosen = self._choose(best, thresholds, non_answer)
        rows, cols = np.nonzero(chosen)
        found = pd.DataFrame(
            {
                "comment_id": sentences["comment_id"].to_numpy()[rows],
                "theme_id": np.asarray(self.index.theme_ids, dtype=object)[cols],
                "subtheme_id": self.index.subtheme[arg[rows, cols]],
                "sentence_index": sentences["sentence_index"].to_numpy()[rows],
                "evidence": sentences["text"].to_numpy()[rows],
                "sentiment": sentences["sentiment"].to_numpy()[rows] if "sentiment" in sentences else None,
                "sentiment_score": (
                    sentences["sentiment_score"].to_numpy()[rows] if "sentiment_score" in sentences else np.nan
                ),
                "confidence": np.round(best[rows, cols].astype(np.float64), ROUND),
            }
        )
        whole = self._whole_comment_mentions(batch, chosen, best, arg)
        if len(whole):  # concatenating an empty frame would change column dtypes from one chunk to the next
            found = pd.concat(
                [found, whole.astype({c: found[c].dtype for c in whole.columns if c in found})], ignore_index=True
            )
        column = {t: j for j, t in enumerate(self.index.theme_ids)}
        found["probability"] = self._probability(
            found["confidence"].to_numpy(), found["theme_id"].map(column).to_numpy(dtype=np.int64)
        )
        # One mention per (comment, theme): the most confident sentence is the evidence.
        mentions = found.sort_values(
            ["comment_id", "theme_id", "confidence", "sentence_index"],
            ascending=[True, True, False, True],
            kind="stable",
        ).drop_duplicates(["comment_id", "theme_id"], keep="first")
        mentions["subtheme_id"] = mentions["subtheme_id"].replace("", None)
        mentions["theme_name"] = mentions["theme_id"].map(lambda t: self.tax.theme(t).name(self.language))
        order = {cid: i for i, cid in enumerate(batch.comments["comment_id"])}
        mentions = (
            mentions.assign(_order=mentions["comment_id"].map(order))
            .sort_values(["_order", "theme_id"], kind="stable")
            .drop(columns="_order")
        )
        batch.mentions = self._polar_from_comment(mentions[MENTION_COLUMNS].reset_index(drop=True), batch.comments)
        near = self._near_misses(sentences, chosen, best, thresholds, non_answer)
        # A clause a whole-comment mention cites as evidence is not "left without a theme".
        cited = set(zip(batch.mentions["comment_id"], batch.mentions["sentence_index"]))
        batch.near_misses = (
            near[[(c, k) not in cited for c, k in zip(near["comment_id"], near["sentence_index"])]].reset_index(
                drop=True
            )
            if len(near)
            else near
        )
        per_comment = batch.mentions.groupby("comment_id", sort=False)["theme_id"].agg(";".join)
        comments = batch.comments
        live = live_rows(comments)
        themes = comments["comment_id"].map(per_comment).astype(object).fillna("")
        comments["themes"] = np.where(live, themes.to_numpy(dtype=object), None)
        counts = comments["comment_id"].map(batch.mentions.groupby("comment_id").size()).fillna(0).astype("int64")
        comments["theme_count"] = counts.to_numpy()
        return batch

    def _polar_from_comment(self, mentions: pd.DataFrame, comments: pd.DataFrame) -> pd.DataFrame:
        """A mention whose evidence clause reads neutral takes the comment's polarity when the comment is clearly
        positive or negative: "the engineer came on Tuesday" in an angry comment is part of the complaint."""
        if not self.neutral_clause_takes_comment or "sentiment" not in comments or not len(mentions):
            return mentions
        overall = mentions["comment_id"].map(dict(zip(comments["comment_id"], comments["sentiment"])))
        take = (mentions["sentiment"] == "neutral") & overall.isin(["positive", "negative"])
        mentions.loc[take, "sentiment"] = overall[take]
        return mentions

    def _whole_comment_mentions(
        self, batch: Batch, chosen: np.ndarray, best: np.ndarray, arg: np.ndarray
    ) -> pd.DataFrame:
        """Themes the trained model finds in a whole comment but in none of its clauses taken alone.

        Customers spread one point over several clauses ("I called. Then I called again. Nobody knew."): no
        clause says "effort", the comment does. The evidence is the clause the model scored highest for the
        theme; the confidence is the comment's probability. ``chosen``, ``best`` and ``arg`` are the clauses'
        choices, scores and best seeds.
        """
        if self._trained is None or not self.whole_comment or batch.sentences is None or not len(batch.sentences):
            return pd.DataFrame(columns=["comment_id", "theme_id"])
        live = live_rows(batch.comments)
        if not live.any():
            return pd.DataFrame(columns=["comment_id", "theme_id"])
        scores, thresholds = self._trained.comment_scores(batch, live, len(self.index.theme_ids))
        comment_ids = batch.comments["comment_id"].to_numpy()[live]
        sentence_ids = batch.sentences["comment_id"].to_numpy()
        position = pd.Series(np.arange(len(comment_ids)), index=comment_ids)
        sentence_row = position.reindex(sentence_ids).to_numpy()
        ok = ~np.isnan(sentence_row)
        found_in_clause = np.zeros(scores.shape, dtype=bool)
        rows, cols = np.nonzero(chosen[ok])
        found_in_clause[sentence_row[ok].astype(int)[rows], cols] = True
        add_rows, add_cols = np.nonzero((scores >= thresholds) & ~found_in_clause)
        if not len(add_rows):
            return pd.DataFrame(columns=["comment_id", "theme_id"])
        # Evidence: per (comment, theme), the clause with the highest score for that theme.
        # Each comment's clauses as one slice of a stable sort (a group-by into lists cost ~30 µs a comment).
        owner = sentence_row[ok].astype(np.int64)
        order = np.argsort(owner, kind="stable")
        clause_rows, owner = np.flatnonzero(ok)[order], owner[order]
        first, after = np.searchsorted(owner, add_rows, "left"), np.searchsorted(owner, add_rows, "right")
        picked = []
        for begin, end, col in zip(first, after, add_cols):
            clauses = clause_rows[begin:end]
            picked.append(int(clauses[np.argmax(best[clauses, col])]) if len(clauses) else None)
        keep = np.asarray([p is not None for p in picked], dtype=bool)
        clause = np.asarray([p for p in picked if p is not None], dtype=np.int64)
        sentences = batch.sentences
        return pd.DataFrame(
            {
                "comment_id": comment_ids[add_rows[keep]],
                "theme_id": np.asarray(self.index.theme_ids, dtype=object)[add_cols[keep]],
                "subtheme_id": self.index.subtheme[arg[clause, add_cols[keep]]],
                "sentence_index": sentences["sentence_index"].to_numpy()[clause],
                "evidence": sentences["text"].to_numpy()[clause],
                "sentiment": sentences["sentiment"].to_numpy()[clause] if "sentiment" in sentences else None,
                "sentiment_score": (
                    sentences["sentiment_score"].to_numpy()[clause] if "sentiment_score" in sentences else np.nan
                ),
                "confidence": np.round(scores[add_rows[keep], add_cols[keep]].astype(np.float64), ROUND),
            }
        )

    def _near_misses(
        self,
        sentences: pd.DataFrame,
        chosen: np.ndarray,
        best: np.ndarray,
        thresholds: np.ndarray,
        non_answer: np.ndarray,
    ) -> pd.DataFrame:
        """Clauses given no theme whose closest theme scored within ``near_miss_window`` of its threshold
        (on the zero-shot similarity scale): the likeliest missed mentions, for the review queue."""
        if not len(best) or self.near_miss_window <= 0:
            return pd.DataFrame(columns=NEAR_MISS_COLUMNS)
        relative = best / thresholds * self.threshold
        top = relative.argmax(axis=1)
        rows = np.arange(len(best))
        gap = self.threshold - relative[rows, top]
        near = ~chosen.any(axis=1) & ~non_answer & (gap > 0) & (gap <= self.near_miss_window)
        idx = np.flatnonzero(near)
        theme_ids = np.asarray(self.index.theme_ids, dtype=object)[top[idx]]
        return pd.DataFrame(
            {
                "comment_id": sentences["comment_id"].to_numpy()[idx],
                "sentence_index": sentences["sentence_index"].to_numpy()[idx],
                "evidence": sentences["text"].to_numpy()[idx],
                "theme_id": theme_ids,
                "theme_name": [self.tax.theme(t).name(self.language) for t in theme_ids],
                "confidence": np.round(best[idx, top[idx]].astype(np.float64), ROUND),
                "threshold": np.round(np.asarray(thresholds)[idx, top[idx]].astype(np.float64), ROUND),
                "probability": self._probability(best[idx, top[idx]].astype(np.float64), top[idx]),
            },
            columns=NEAR_MISS_COLUMNS,
        )

    def describe(self) -> dict:
        """Taxonomy identity and thresholds."""
        method = "zero-shot max cosine similarity to seed phrases"
        if self.model:
            assert self._trained is not None  # setup() loads it whenever model is set
            method = (
                f"trained model {self.model} for {', '.join(self._trained.labels)}; " + method + " for the other themes"
            )
        return {
            **super().describe(),
            "taxonomy": self.tax.id,
            "taxonomy_version": self.tax.version,
            "threshold": self.threshold,
            "model": self.model,
            "method": method,
            "calibration": None
            if self._calibration is None
            else {
                "file": self.calibration,
                "judged": self._calibration.judged,
                "judged_right": self._calibration.judged_right,
                "fitted": self._calibration.fitted,
            },
        }
