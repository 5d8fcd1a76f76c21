"""Theme benchmarks: Banking77 with all data, with 10 examples per intent, and zero-shot from intent names.

Banking77 (PolyAI, CC BY 4.0) is 77 fine-grained customer-service intents of
a bank: the closest public stand-in for complaint themes. Published anchors:
fine-tuned BERT 93.7 (all data) and 83.4 (10 per intent).
"""

from __future__ import annotations

import statistics

import numpy as np

from ..embeddings import load_backbone
from ..training.datasets import data_root
from ..training.theme_training import banking77_labels, intent_description
from ..training.train import PROFILES, embed_split, public_training_data, train_and_score

FEW_SHOT = 10
FEW_SHOT_SEEDS = (0, 1, 2, 3, 4)


def _quiet(_message: str) -> None:
    pass


def zero_shot_accuracy(backbone: str, data=None) -> float:
    """Accuracy of assigning each test query the intent whose written-out name is most similar."""
    encoder = load_backbone(backbone)
    test = public_training_data("themes", "banking77", data).test[0]
    labels = banking77_labels(data_root(data))
    names = encoder.encode([intent_description(lab) for lab in labels])
    predicted = np.asarray(labels, dtype=object)[(embed_split(test, encoder, _quiet) @ names.T).argmax(axis=1)]
    return float((predicted == np.asarray(test.y)).mean())


def banking77_scores(profile: str, log=_quiet) -> dict:
    """All-data, few-shot (mean and spread over seeds) and zero-shot accuracy for a profile's backbone."""
    spec = {"backbone": PROFILES[profile]["backbone"], "head": PROFILES[profile]["head"]["themes"]}
    _, metrics, info = train_and_score("themes", public_training_data("themes", "banking77"), log=log, **spec)
    full = {"accuracy": metrics["banking77_test"]["accuracy"], "C": info["head_params"]["C"],
            "train_seconds": info["train_seconds"]}
    shots = []
    for seed in FEW_SHOT_SEEDS:
        _, metrics, info = train_and_score("themes", public_training_data("themes", "banking77", seed=seed,
                                                                          shots=FEW_SHOT), seed=seed, log=log, **spec)
        shots.append(metrics["banking77_test"]["accuracy"])
    return {"full": full,
            "few_shot": {"shots": FEW_SHOT, "seeds": list(FEW_SHOT_SEEDS), "accuracies": shots,
                         "mean": statistics.mean(shots), "sd": statistics.stdev(shots)},
            "zero_shot": zero_shot_accuracy(spec["backbone"])}


def discovery_stability_on_sample() -> dict:
    """Adjusted Rand index of discovery across 5 seeds on the bundled sample's uncovered clauses, per language."""
    from ..config import load_config
    from ..discovery import stability
    from ..io import read_table
    from ..resources import resource_root
    from ..validation import validate

    cfg = load_config()
    table = validate(read_table(resource_root() / "data/sample/survey_sample.csv"), cfg.input)
    return stability(table.frame, cfg)
