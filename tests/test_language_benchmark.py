"""French-versus-English benchmark helpers: parallel splits carry the same labels; the paired gap and its interval."""

from __future__ import annotations

import numpy as np
import pandas as pd


def test_pair_splits_give_both_languages_the_same_labels():
    from benchmarks.languages import pair_splits

    pairs = pd.DataFrame(
        {
            "fr_text": ["Je t'aime.", "J'ai peur.", "Quoi ?", "Tu m'énerves, je suis content."],
            "en_text": ["I love you.", "I'm scared.", "What?", "You annoy me, I'm glad."],
            "names": [["joy", "trust"], ["fear"], ["surprise"], ["anger", "joy"]],
            "similarity": [0.9, 0.8, 0.75, 0.7],
        }
    )
    en, fr, similarity = pair_splits("sentiment", pairs)
    # "surprise" carries no polarity and anger+joy two: only the first two pairs have one sentiment.
    assert en.texts == ["I love you.", "I'm scared."] and fr.texts == ["Je t'aime.", "J'ai peur."]
    assert list(en.y) == list(fr.y) == ["positive", "negative"] and list(similarity) == [0.9, 0.8]
    assert (en.language, fr.language) == ("en", "fr")
    en, fr, _ = pair_splits("emotion", pairs)
    assert np.array_equal(en.y, fr.y) and en.y.shape[0] == len(en.texts) == len(fr.texts)


def test_gap_figures_are_paired():
    from benchmarks.languages import gap_figures

    rng = np.random.default_rng(0)
    y = rng.choice(["negative", "neutral", "positive"], 300)
    same = gap_figures(y, y.copy(), y.copy(), multilabel=False, seed=0)
    assert same["gap_points"] == same["gap_low"] == same["gap_high"] == 0.0
    worse = y.copy()
    worse[:60] = np.where(y[:60] == "positive", "negative", "positive")  # French wrong on a fifth of the rows
    gap = gap_figures(y, y.copy(), worse, multilabel=False, seed=0)
    assert gap["en_macro_f1"] == 1.0 and 0 < gap["gap_low"] < gap["gap_points"] < gap["gap_high"]
    assert gap == gap_figures(y, y.copy(), worse, multilabel=False, seed=0)  # seeded
