"""What a user's own corrections add to the shipped theme model: few-shot gain on real labelled comments.

An analyst who checks part of the review queue ends up with a few comments per
theme labelled right. ``vocnlp train --task themes --train-file corrections.csv
--with-written-corpus`` adds them to the project-written corpus and retrains.
This measures the gain on the hand-labelled real comments, per language, by
two-fold cross-fitting: the corrections come from one half (``budget``
comments per theme, or the whole half), the figures from the other half, then
the halves swap. The real comments train only these measurement models, in a
temporary folder; nothing is shipped.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from vocnlp.config import load_config
from vocnlp.pipeline.runner import Pipeline
from vocnlp.resources import resource_path
from vocnlp.taxonomy.schema import load_taxonomy
from vocnlp.training.datasets import LabelledSplit, TrainingData
from vocnlp.training.profiles import profile_spec
from vocnlp.training.train import train_model
from vocnlp.training.written_corpus import USER_REPEAT, repeated, written_training_data

# Progress messages go to the 'vocnlp' loggers (the command line shows them); pass log= to redirect them.
_log = logging.getLogger(__name__).info

BUDGETS = (10, None)  # comments per theme taken from the correcting half; None = the whole half


def corrections_split(frame: pd.DataFrame, labels: list[str], budget: int | None, seed: int) -> LabelledSplit:
    """Up to ``budget`` comments per theme from ``frame`` (all rows when None), and half as many without a theme, as
    a multi-label split repeated ``USER_REPEAT`` times (as ``--with-written-corpus`` counts a user's rows)."""
    rng = np.random.default_rng(seed)
    themes = [set(str(t).split(";")) - {""} if isinstance(t, str) else set() for t in frame["themes"]]
    if budget is None:
        chosen = np.arange(len(frame))
    else:
        picked: set[int] = set()
        for theme in labels:
            rows = [i for i, s in enumerate(themes) if theme in s]
            picked.update(rng.permutation(rows)[:budget].tolist())
        empty = [i for i, s in enumerate(themes) if not s]
        picked.update(rng.permutation(empty)[: max(1, budget // 2)].tolist())
        chosen = np.asarray(sorted(picked))
    y = np.asarray([[t in themes[i] for t in labels] for i in chosen], dtype=np.int8)
    texts = [frame["text"].iloc[i] for i in chosen]
    return repeated(LabelledSplit("user_corrections", texts, y, labels, "mixed"))


def few_shot_gain(data=None, seed: int = 0, log=_log) -> dict:
    """Theme micro-F1 on the held-out half: shipped model versus retrained with the user's corrections."""
    from benchmarks.real_data import annotate, cx_real_root

    labelled = pd.read_csv(cx_real_root(data) / "labelled_comments.csv")
    taxonomy = load_taxonomy(resource_path("configs/taxonomies/generic_cx.yaml"))
    written = written_training_data("themes", taxonomy, seed=seed)
    labels = written.train[0].labels
    shipped = Pipeline(load_config()).setup()
    # The corrected model has the shipped one's head kind (the fast profile's), so the gain is the corrections'.
    shipped_head = profile_spec("fast", "themes")["head"]
    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        for language, part in labelled.groupby("language", sort=True):
            part = part.reset_index(drop=True)
            half = np.random.default_rng(seed).permutation(len(part)) % 2
            results: dict = {"shipped": [], **{str(b or "half"): [] for b in BUDGETS}, "corrected_comments": {}}
            for fold in (0, 1):
                teach, judge = part[half != fold], part[half == fold]
                gold = [set(str(t).split(";")) - {""} if isinstance(t, str) else set() for t in judge["themes"]]
                results["shipped"].append(_micro(gold, annotate(shipped, judge["text"].tolist()), labels))
                for budget in BUDGETS:
                    user = corrections_split(teach, labels, budget, seed + fold)
                    folder = Path(tmp) / f"{language}_{fold}_{budget}"
                    data_ = TrainingData(
                        "written_cx+user", written.train + [user], written.dev, written.test, prior=written.prior
                    )
                    log(f"  few-shot {language}: fold {fold}, {len(user.texts) // USER_REPEAT} corrected comments")
                    train_model("themes", folder, data_, head=shipped_head, log=lambda m: None)
                    cfg = load_config()
                    cfg.stage("themes").params["model"] = str(folder)
                    pipe = Pipeline(cfg).setup()
                    results[str(budget or "half")].append(_micro(gold, annotate(pipe, judge["text"].tolist()), labels))
                    results["corrected_comments"].setdefault(str(budget or "half"), []).append(
                        len(user.texts) // USER_REPEAT
                    )
            out[language] = {k: (float(np.mean(v)) if k != "corrected_comments" else v) for k, v in results.items()}
    return out


def _micro(gold, annotated, labels) -> float:
    from benchmarks.real_data import theme_scores

    return theme_scores(gold, annotated.theme_sets(), labels, draws=1)["micro_f1"]
