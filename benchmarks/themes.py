"""Theme benchmarks: Banking77 with all data, with 10 examples per intent, and zero-shot from intent names.

Banking77 (PolyAI, CC BY 4.0) is 77 fine-grained customer-service intents of
a bank: the closest public stand-in for complaint themes. Published anchors:
fine-tuned BERT 93.7 (all data) and 83.4 (10 per intent).
"""

from __future__ import annotations

import statistics

import numpy as np

from vocnlp.modeling.encoders import load_backbone
from vocnlp.training.datasets import data_root
from vocnlp.training.embedding_cache import embed_split
from vocnlp.training.profiles import training_profiles
from vocnlp.training.theme_training import banking77_labels, intent_description
from vocnlp.training.train import public_training_data, train_and_score

FEW_SHOT = 10
FEW_SHOT_SEEDS = (0, 1, 2, 3, 4)
CALIBRATION_JUDGED = 200


def _quiet(_message: str) -> None:
    pass


def _zero_shot(backbone: str, data=None) -> tuple[np.ndarray, np.ndarray]:
    """Each test query's similarity to its most similar written-out intent name, and whether that intent is right."""
    encoder = load_backbone(backbone)
    test = public_training_data("themes", "banking77", data).test[0]
    labels = banking77_labels(data_root(data))
    names = encoder.encode([intent_description(lab) for lab in labels])
    similarity = embed_split(test, encoder, _quiet) @ names.T
    predicted = np.asarray(labels, dtype=object)[similarity.argmax(axis=1)]
    return similarity.max(axis=1).astype(np.float64), (predicted == np.asarray(test.y)).astype(int)


def zero_shot_accuracy(backbone: str, data=None) -> float:
    """Accuracy of assigning each test query the intent whose written-out name is most similar."""
    return float(_zero_shot(backbone, data)[1].mean())


def zero_shot_calibration(backbone: str = "usem3", judged: int = CALIBRATION_JUDGED, data=None) -> dict:
    """Is a zero-shot similarity a probability, and does judging a few hundred rows make it one?

    On Banking77 zero-shot (real customer-service queries, human intents): the
    calibration error of the raw similarity read as P(right), and of the map
    ``vocnlp review calibrate`` fits from ``judged`` randomly drawn judged rows,
    scored on the other rows (one draw per seed).
    """
    from vocnlp.taxonomy.calibration import fit_calibration
    from vocnlp.training.metrics import expected_calibration_error

    confidence, right = _zero_shot(backbone, data)

    def error(p, rows):
        return expected_calibration_error(np.c_[1 - p, p], right[rows], [0, 1], bins=10)

    calibrated = []
    for seed in FEW_SHOT_SEEDS:
        order = np.random.default_rng(seed).permutation(len(right))
        fit_rows, rest = order[:judged], order[judged:]
        calibration = fit_calibration(confidence[fit_rows], right[fit_rows])
        calibrated.append(error(calibration.probability(confidence[rest]), rest))
    everything = np.arange(len(right))
    return {
        "backbone": backbone,
        "n": int(len(right)),
        "share_right": float(right.mean()),
        "mean_confidence": float(confidence.mean()),
        "judged": judged,
        "seeds": list(FEW_SHOT_SEEDS),
        "ece_raw": error(np.clip(confidence, 0, 1), everything),
        "ece_calibrated": calibrated,
        "ece_calibrated_mean": statistics.mean(calibrated),
    }


def calibration_on_sample() -> dict:
    """Cross-validated calibration of the default run's zero-shot confidence on the bundled sample: mentions and
    near misses judged right when the theme is planted in the comment."""
    import pandas as pd

    from vocnlp import analyze_file, load_config
    from vocnlp.resources import resource_root
    from vocnlp.taxonomy.calibration import cross_validated_check

    root = resource_root()
    result = analyze_file(root / "data/sample/survey_sample.csv", load_config(), progress=False)
    truth = pd.read_csv(root / "data/sample/survey_sample_truth.csv", keep_default_na=False)
    rows = pd.concat([result.mentions, result.near_misses], ignore_index=True)
    right = planted_verdicts(rows, result.comments, truth)
    return {
        "mentions": int(len(result.mentions)),
        "near_misses": int(len(result.near_misses)),
        **cross_validated_check(rows["confidence"].to_numpy(), right),
    }


def planted_verdicts(rows, comments, truth) -> np.ndarray:
    """1 where a row's ``theme_id`` is planted in its comment, else 0: what a reviewer who knows the sample's
    truth file (rows of ``survey_sample_truth.csv`` in ``comments``' order) would answer."""
    planted = dict(zip(comments["comment_id"], truth["planted_themes"].str.split(";")))
    return np.asarray([t in planted[c] for c, t in zip(rows["comment_id"], rows["theme_id"])], dtype=int)


def banking77_scores(profile: str, log=_quiet) -> dict:
    """All-data, few-shot (mean and spread over seeds) and zero-shot accuracy for a profile's backbone."""
    chosen = training_profiles()[profile]
    spec = {"backbone": chosen["backbone"], "head": chosen["head"]["themes"]}
    _, metrics, info = train_and_score("themes", public_training_data("themes", "banking77"), log=log, **spec)
    full = {
        "accuracy": metrics["banking77_test"]["accuracy"],
        "C": info["head_params"]["C"],
        "train_seconds": info["train_seconds"],
    }
    shots = []
    for seed in FEW_SHOT_SEEDS:
        _, metrics, info = train_and_score(
            "themes", public_training_data("themes", "banking77", seed=seed, shots=FEW_SHOT), seed=seed, log=log, **spec
        )
        shots.append(metrics["banking77_test"]["accuracy"])
    return {
        "full": full,
        "few_shot": {
            "shots": FEW_SHOT,
            "seeds": list(FEW_SHOT_SEEDS),
            "accuracies": shots,
            "mean": statistics.mean(shots),
            "sd": statistics.stdev(shots),
        },
        "zero_shot": zero_shot_accuracy(spec["backbone"]),
    }


def discovery_stability_on_sample() -> dict:
    """Adjusted Rand index of discovery across 5 seeds on the bundled sample's uncovered clauses, per language."""
    from vocnlp.config import load_config
    from vocnlp.io.readers import read_table
    from vocnlp.io.validate import validate
    from vocnlp.resources import resource_root
    from vocnlp.taxonomy.discovery import stability

    cfg = load_config()
    table = validate(read_table(resource_root() / "data/sample/survey_sample.csv"), cfg.input)
    return stability(table.frame, cfg)


def planted_theme_scores(comments, truth) -> list[dict]:
    """Precision and recall of each planted theme, per language, against the sample's truth file.

    ``comments`` is a run's comments table and ``truth`` the rows of
    ``survey_sample_truth.csv`` in the same order; mixed-language rows count for neither language.
    """
    predicted = comments["themes"].fillna("").str.split(";")
    planted = truth["planted_themes"].str.split(";")
    rows = []
    for theme in sorted({t for ts in planted for t in ts if t}):
        for lang in ("fr", "en"):
            in_language = (truth["language"] == lang).to_numpy()
            p = predicted.map(lambda ts: theme in ts).to_numpy() & in_language
            y = planted.map(lambda ts: theme in ts).to_numpy() & in_language
            tp = int((p & y).sum())
            rows.append(
                {
                    "theme": theme,
                    "language": lang,
                    "planted": int(y.sum()),
                    "precision": tp / max(int(p.sum()), 1),
                    "recall": tp / max(int(y.sum()), 1),
                }
            )
    return rows


def themes_on_sample() -> list[dict]:
    """Zero-shot themes of the default run on the bundled sample, scored against its planted themes."""
    import pandas as pd

    from vocnlp import analyze_file, load_config
    from vocnlp.resources import resource_root

    root = resource_root()
    comments = analyze_file(root / "data/sample/survey_sample.csv", load_config(), progress=False).comments
    truth = pd.read_csv(root / "data/sample/survey_sample_truth.csv", keep_default_na=False)
    return planted_theme_scores(comments, truth)
