"""Accuracy figures: the published benchmarks in their own label spaces, the shipped CX models,
French versus English, EN→FR transfer, calibration and the challenge set."""

from __future__ import annotations

from ..config import load_config
from ..training.benchmark_sets import BENCHMARKS
from ..training.train import PROFILES, TrainingData, public_training_data, train_and_score


def _spec(profile: str, task: str) -> dict:
    """Backbone, head and head parameters that ``vocnlp train --profile`` uses for ``task``."""
    chosen = PROFILES[profile]
    return {"backbone": chosen["backbone"], "head": chosen["head"][task],
            "head_params": chosen["head_params"].get(task)}


def shipped_models(profile: str) -> dict[str, str]:
    """Model folders the pipeline loads under ``profile`` (from configs/profiles), per task."""
    cfg = load_config(overrides={"profile": profile})
    return {task: cfg.stage(task).params["model"] for task in ("sentiment", "emotion")}


def _quiet(_message: str) -> None:
    pass


def benchmark_scores(profile: str, seed: int = 0, log=_quiet) -> dict:
    """Macro-F1 on each published benchmark's test split, training a head of ``profile`` on its train split."""
    spec = _spec(profile, "emotion")
    results = {}
    for name in BENCHMARKS:
        _, metrics, info = train_and_score("emotion", public_training_data("emotion", name, seed=seed),
                                           seed=seed, log=log, **spec)
        results[name] = {**next(iter(metrics.values())), "train_seconds": info["train_seconds"]}
    # EN→FR: a head trained on English XED only, tested on the French projections.
    en, fr = public_training_data("emotion", "xed_en", seed=seed), public_training_data("emotion", "xed_fr", seed=seed)
    _, metrics, _ = train_and_score("emotion", TrainingData("xed_en", en.train, en.dev, fr.test), seed=seed,
                                    log=log, **spec)
    results["xed_en_to_fr"] = next(iter(metrics.values()))
    return results


def sentiment_transfer(profile: str, seed: int = 0, log=_quiet) -> dict:
    """Sentiment trained on English only (GoEmotions + XED EN), tested on XED French."""
    data = public_training_data("sentiment", "cx", seed=seed)
    english = [s for s in data.train if not s.name.startswith("xed_fr")]
    english_dev = [s for s in data.dev if not s.name.startswith("xed_fr")]
    french_test = [s for s in data.test if s.name.startswith("xed_fr")]
    _, metrics, _ = train_and_score("sentiment", TrainingData("cx-english", english, english_dev, french_test),
                                    seed=seed, log=log, **_spec(profile, "sentiment"))
    return next(iter(metrics.values()))


def shipped_model_scores(profile: str, log=_quiet) -> dict:
    """``vocnlp evaluate`` of each shipped model of ``profile`` on its public test splits."""
    from ..resources import resource_path
    from ..training.evaluate import evaluate_folder

    return {task: evaluate_folder(resource_path(path), data_set="cx", log=log)
            for task, path in shipped_models(profile).items()}


def challenge_scores(profile: str) -> dict:
    """Challenge-set accuracy through the whole pipeline of ``profile``."""
    from .challenge import run_challenge

    _, figures = run_challenge(load_config(overrides={"profile": profile}))
    return figures
