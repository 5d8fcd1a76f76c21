"""Sentiment and emotion stages: trained heads over the shared embeddings."""

from __future__ import annotations

import numpy as np
import pandas as pd

from vocnlp.components.model_input import ModelReader, TrainedModelInput
from vocnlp.components.sentiment_rules import KINDS, load_rules
from vocnlp.errors import ModelLoadError
from vocnlp.pipeline.registry import Batch, RunContext, Share, Stage, live_rows, register_stage
from vocnlp.resources import resolve_user_or_bundled

NEGATIVE_EMOTIONS = ("anger", "frustration", "disappointment", "worry")
POSITIVE_EMOTIONS = ("satisfaction", "gratitude")
ROUND = 6  # decimals kept in output probabilities: stable bytes, far finer than model precision


@register_stage("sentiment")
class Sentiment(TrainedModelInput, Stage):
    """Comment- and sentence-level sentiment (negative/neutral/positive, plus mixed).

    ``sentiment_score`` = P(positive) − P(negative), in −1..1. A comment is
    ``mixed`` when one of its sentences is clearly positive and another clearly
    negative (probability ≥ ``mixed_threshold``), and the whole comment is not
    clearly one way (its own probability of either polarity under
    ``mixed_max_polarity``).

    ``rules`` (a YAML file, see :mod:`vocnlp.components.sentiment_rules`; null to switch
    off) overrides the model for survey non-answers and negated complaints or
    praise; ``sentiment_rule`` names the rule that decided, per sentence and
    per comment. A comment with a rule-decided sentence takes the mean of its
    sentences' probabilities. A review-site verdict ("à fuir", "highly recommend":
    rule kinds in ``VERDICTS``) speaks for the whole comment: its probabilities move
    ``verdict_weight`` of the way to the verdict's, and the comment is not mixed.
    """

    requires = ("sentences", "sentence_vectors", "comment_vectors")
    assigns = ("sentiment",)

    VERDICTS = ("recommends", "warns_off")

    def __init__(
        self,
        model: str = "models/sentiment-usem3",
        mixed_threshold: Share = 0.7,
        rules: str | None = "configs/sentiment_rules.yaml",
        models_by_language: dict[str, str] | None = None,
        mixed_max_polarity: Share = 0.55,
        blend_model: str | None = "models/sentiment-usem3-written",
        blend_weight: Share = 0.5,
        verdict_weight: Share = 0.5,
        sentence_weight: Share = 0.5,
    ):
        self.model = model
        self.sentence_weight = sentence_weight
        self.verdict_weight = verdict_weight
        self.mixed_max_polarity = mixed_max_polarity
        self.blend_model = blend_model
        self.blend_weight = blend_weight
        self.models_by_language = dict(models_by_language or {})
        self.mixed_threshold = mixed_threshold
        self.rules_file = rules

    def setup(self, context: RunContext) -> None:
        """Load the head and check it matches the backbone; compile the rules."""
        self._load(context, "sentiment")
        labels = self.classifier.labels
        self._neg, self._pos = labels.index("negative"), labels.index("positive")
        # A second head averaged in (weight ``blend_weight``): the public corpora and the project-written customer
        # comments each know what the other misses (subtitles' neutral facts; insurers' and telecoms' complaints).
        self._blend = ModelReader(self.blend_model, context, "sentiment") if self.blend_model else None
        if self._blend is not None and self._blend.classifier.labels != labels:
            raise ModelLoadError(
                f"The blended sentiment model '{self.blend_model}' has labels "
                f"{self._blend.classifier.labels}, but '{self.model}' has {labels}.",
                "Blend only sentiment models trained on the same label set.",
            )
        self.rules = load_rules(resolve_user_or_bundled(self.rules_file, context.base_dir)) if self.rules_file else None

    def _apply_rules(
        self, sentences: pd.DataFrame, sp: np.ndarray, comments: pd.DataFrame, mask: np.ndarray, cp: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Override rule-decided sentences and comments in place; the rule name per sentence and per live comment,
        and whether a verdict decided the comment."""
        labels = self.classifier.labels
        assert self.rules is not None  # only called when the stage has rules
        live_ids = comments["comment_id"].to_numpy()[mask]
        sentence_rule = self.rules.sentence_rules(sentences["text"].to_numpy())
        non_answer = self.rules.non_answer(comments["_text"].to_numpy()[mask])
        quiet_ids = set(live_ids[non_answer])
        sentence_ids = sentences["comment_id"].to_numpy()
        sentence_rule[np.fromiter((c in quiet_ids for c in sentence_ids), bool, len(sentence_ids))] = "non_answer"
        decided = sentence_rule != None  # noqa: E711 (elementwise on an object array)
        sp[decided] = self.rules.probabilities(sentence_rule[decided], labels)
        comment_rule = np.full(len(live_ids), None, dtype=object)
        verdict = np.zeros(len(live_ids), dtype=bool)
        if decided.any():
            touched = (
                pd.Series(sentence_rule[decided])
                .groupby(sentence_ids[decided])
                .agg(lambda kinds: ";".join(sorted(set(kinds))))
            )
            # Only comments with a rule-decided sentence are re-averaged.
            touched_rows = np.isin(sentence_ids, touched.index.to_numpy())
            means = pd.DataFrame(sp[touched_rows], index=sentence_ids[touched_rows]).groupby(level=0).mean()
            position = {c: i for i, c in enumerate(live_ids)}
            for comment_id, kinds in touched.items():
                i = position.get(comment_id)
                if i is not None:
                    comment_rule[i] = kinds
                    cp[i] = means.loc[comment_id].to_numpy()
                    said = [k for k in kinds.split(";") if k in self.VERDICTS]
                    if said and len({KINDS[k] for k in said}) == 1:  # "je recommande" and "à fuir" cancel out
                        verdict[i] = True
                        cp[i] = (1 - self.verdict_weight) * cp[i] + self.verdict_weight * self.rules.probabilities(
                            np.asarray(said[:1]), labels
                        )[0]
        if non_answer.any():
            cp[non_answer] = self.rules.probabilities(np.full(int(non_answer.sum()), "non_answer"), labels)
            comment_rule[non_answer] = "non_answer"
            verdict[non_answer] = False
        return sentence_rule, comment_rule, verdict

    def __call__(self, batch: Batch) -> Batch:
        """Add sentence columns ``sentiment``/``sentiment_score`` and the comment-level ones."""
        labels = np.asarray(self.classifier.labels)
        sentences = batch.sentences
        assert sentences is not None  # set by the sentences stage
        sp = self.sentence_proba(batch) if len(sentences) else np.zeros((0, len(labels)))
        comments = batch.comments
        mask = live_rows(comments)
        cp = self.comment_proba(batch, mask)
        if self._blend is not None:
            sp, cp = self._blended(batch, sp, cp, mask)
        if self.sentence_weight and len(sentences):
            cp = self._with_sentences(
                cp, sp, sentences["comment_id"].to_numpy(), comments["comment_id"].to_numpy()[mask]
            )
        sentence_rule = np.full(len(sentences), None, dtype=object)
        comment_rule = np.full(int(mask.sum()), None, dtype=object)
        verdict = np.zeros(int(mask.sum()), dtype=bool)
        if self.rules is not None:
            sentence_rule, comment_rule, verdict = self._apply_rules(sentences, sp, comments, mask, cp)
        sentences["sentiment"] = labels[sp.argmax(axis=1)] if len(sentences) else []
        sentences["sentiment_score"] = np.round(sp[:, self._pos] - sp[:, self._neg], ROUND)
        sentences["sentiment_rule"] = sentence_rule
        clear_pos = (
            pd.Series(sp[:, self._pos] >= self.mixed_threshold).groupby(sentences["comment_id"].to_numpy()).any()
        )
        clear_neg = (
            pd.Series(sp[:, self._neg] >= self.mixed_threshold).groupby(sentences["comment_id"].to_numpy()).any()
        )
        mixed = (
            (clear_pos & clear_neg).reindex(comments["comment_id"][mask].to_numpy(), fill_value=False).to_numpy().copy()
        )
        # A comment that reads clearly one way as a whole is that way, whatever one clause says: a 5-star review
        # with one reservation is positive, an angry one with a polite "thanks anyway" negative.
        mixed &= np.maximum(cp[:, self._pos], cp[:, self._neg]) < self.mixed_max_polarity
        mixed &= ~verdict
        label = labels[cp.argmax(axis=1)].astype(object)
        label[mixed] = "mixed"
        sentiment = np.full(len(comments), None, dtype=object)
        sentiment[mask] = label
        score = np.full(len(comments), np.nan)
        score[mask] = np.round(cp[:, self._pos] - cp[:, self._neg], ROUND)
        comments["sentiment"] = sentiment
        comments["sentiment_score"] = score
        rule = np.full(len(comments), None, dtype=object)
        rule[mask] = comment_rule
        comments["sentiment_rule"] = rule
        return batch

    def _with_sentences(
        self, cp: np.ndarray, sp: np.ndarray, sentence_ids: np.ndarray, live_ids: np.ndarray
    ) -> np.ndarray:
        """Comment probabilities averaged with the mean of their sentences' (``sentence_weight`` of the way).

        One encoding of a long review blurs a sharp sentence ("never again") among polite ones; the sentences'
        mean keeps it audible, and the whole-comment reading keeps the context a sentence lacks.
        """
        means = pd.DataFrame(sp, index=sentence_ids).groupby(level=0).mean().reindex(live_ids)
        has = means.notna().all(axis=1).to_numpy()
        out = cp.copy()
        out[has] = (1 - self.sentence_weight) * cp[has] + self.sentence_weight * means.to_numpy()[has]
        return out

    def _blended(self, batch: Batch, sp: np.ndarray, cp: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sentence and comment probabilities averaged with the blended model's."""
        w = self.blend_weight
        assert self._blend is not None  # only called when a blend model is loaded
        if len(sp):
            assert batch.sentence_vectors is not None and batch.sentences is not None  # sentences, embed stages
            sp = (1 - w) * sp + w * self._blend.predict_proba(
                batch.sentence_vectors,
                batch.sentences["text"].to_numpy(dtype=object),
                self.sentence_languages(batch),
                self._prepare,
            )
        if len(cp):
            assert batch.comment_vectors is not None  # set by the embed stage
            cp = (1 - w) * cp + w * self._blend.predict_proba(
                batch.comment_vectors[mask],
                batch.comments["_text"].to_numpy(dtype=object)[mask],
                self.comment_languages(batch, mask),
                self._prepare,
            )
        return sp, cp

    def describe(self) -> dict:
        """Model folder and its version."""
        return {
            **super().describe(),
            **self.describe_models(),
            "labels": self.classifier.labels + ["mixed"],
            "blend_model": self.blend_model,
            "blend_weight": self.blend_weight if self.blend_model else None,
            "rules": self.rules_file,
        }


@register_stage("emotion")
class Emotion(TrainedModelInput, Stage):
    """Multi-label CX emotions per comment: ``emotion_<name>`` probabilities and the ``emotions`` list."""

    requires = ("comment_vectors",)
    assigns = ("emotions",)

    def __init__(self, model: str = "models/emotion-usem3", models_by_language: dict[str, str] | None = None):
        self.model = model
        self.models_by_language = dict(models_by_language or {})

    def setup(self, context: RunContext) -> None:
        """Load the head and check it matches the backbone."""
        self._load(context, "emotion")

    def __call__(self, batch: Batch) -> Batch:
        """Add one probability column per emotion and the ``;``-joined predicted labels."""
        comments = batch.comments
        mask = live_rows(comments)
        labels = self.classifier.labels
        proba = self.comment_proba(batch, mask)
        thresholds = self.row_thresholds(self.comment_languages(batch, mask))
        chosen = proba >= thresholds
        # Every analysed comment gets at least its most likely emotion relative to its threshold.
        best = (proba / thresholds).argmax(axis=1)
        chosen[np.arange(len(best)), best] = True
        if "sentiment_rule" in comments:
            self._agree_with_rules(chosen, comments["sentiment_rule"].to_numpy()[mask], labels)
        names = np.full(len(comments), None, dtype=object)
        names[mask] = [";".join(lab for lab, c in zip(labels, row) if c) for row in chosen]
        comments["emotions"] = names
        for j, lab in enumerate(labels):
            col = np.full(len(comments), np.nan)
            col[mask] = np.round(proba[:, j], ROUND)
            comments[f"emotion_{lab}"] = col
        return batch

    @staticmethod
    def _agree_with_rules(chosen: np.ndarray, rules: np.ndarray, labels: list[str]) -> None:
        """Drop listed emotions that contradict a sentiment rule's verdict; the model read the same misleading words.

        A non-answer ("RAS") gets ``neutral`` only; "no complaints" loses anger and the other negative
        emotions, "not happy" loses satisfaction and gratitude. A comment left with none gets ``neutral``.
        The probability columns stay the model's own reading.
        """
        if "neutral" not in labels:
            return
        against = {
            "non_answer": [lab for lab in labels if lab != "neutral"],
            "negated_complaint": [lab for lab in NEGATIVE_EMOTIONS if lab in labels],
            "negated_praise": [lab for lab in POSITIVE_EMOTIONS if lab in labels],
            "recommends": [lab for lab in NEGATIVE_EMOTIONS if lab in labels],
            "warns_off": [lab for lab in POSITIVE_EMOTIONS if lab in labels],
        }
        for kind, dropped in against.items():
            rows = rules == kind
            if rows.any() and dropped:
                chosen[np.ix_(rows, [labels.index(lab) for lab in dropped])] = False
        empty = ~chosen.any(axis=1)
        chosen[empty, labels.index("neutral")] = True

    def describe(self) -> dict:
        """Model folder, version and label set."""
        return {**super().describe(), **self.describe_models(), "labels": self.classifier.labels}
