"""Language prior correction: keep a training set's language/label imbalance out of the predictions.

The public French training lines (XED projections) all carry an emotion: only
emotional subtitles were projected. A head trained on them next to English data
with many neutral lines learns "French means not neutral", and calls French
factual comments ("J'ai payé par virement") negative and angry. That is a
property of how the data set was built, not of French.

The correction gives the head one extra input during training, 1 for French
rows and 0 otherwise, so the head can put the data set's French label prior
there instead of in the embedding weights. When predicting, French rows get
``value`` in that column instead of 1:

- ``english`` (value 0): French comments are read with the English rows' label
  prior; the full correction.
- ``parallel`` (value fitted): the value in 0–1 that brings the mean neutral
  probability of the French lines of the XED parallel pairs closest to that of
  their English counterparts (same content, same labels). Part of the French prior is real
  evidence the embeddings carry less well in French, and equal treatment of the
  same content is what the pairs can measure.
- ``keep``: no column; the model reads French as its training data did.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MODES = ("keep", "english", "parallel")
GRID = np.round(np.linspace(0.0, 1.0, 101), 2)


@dataclass
class LanguagePrior:
    """The extra language column of a head: which language is flagged and the value it reads when predicting."""

    language: str = "fr"
    mode: str = "english"
    value: float = 0.0
    fitted_on: int = 0  # parallel pairs the value was fitted on (``parallel`` mode)

    def augment(self, vectors: np.ndarray, languages, training: bool = False) -> np.ndarray:
        """``vectors`` with the language column appended: 1 (training) or ``value`` (predicting) on flagged rows."""
        flagged = np.asarray(languages, dtype=object) == self.language
        if flagged.shape != (len(vectors),):
            raise ValueError(f"{len(vectors)} vectors but {flagged.size} row languages")
        column = np.where(flagged, 1.0 if training else self.value, 0.0)
        return np.hstack([np.asarray(vectors), column[:, None].astype(np.asarray(vectors).dtype)])

    def to_info(self) -> dict:
        """What ``model.json`` stores."""
        return {
            "language": self.language,
            "mode": self.mode,
            "value": float(self.value),
            "fitted_on_pairs": int(self.fitted_on),
        }

    @classmethod
    def from_info(cls, info: dict | None) -> "LanguagePrior | None":
        """The stored prior, or None for a model trained without the column."""
        if not info:
            return None
        return cls(
            language=info["language"],
            mode=info["mode"],
            value=float(info["value"]),
            fitted_on=int(info.get("fitted_on_pairs", 0)),
        )


def match_parallel_value(
    head, english: np.ndarray, french: np.ndarray, label: str = "neutral", language: str = "fr"
) -> float:
    """The reading value at which the French side of parallel lines gets the English side's mean P(``label``).

    ``english`` and ``french`` are embeddings of the same lines in both languages
    (without the column). The smallest value on a 0.01 grid with the closest
    match is returned, so ties lean towards the full correction.
    """
    j = [str(c) for c in head.classes_].index(label)
    probe = LanguagePrior(language=language)
    target = head.predict_proba(probe.augment(english, ["en"] * len(english)))[:, j].mean()
    gaps = []
    for value in GRID:
        probe.value = float(value)
        gaps.append(abs(head.predict_proba(probe.augment(french, [language] * len(french)))[:, j].mean() - target))
    return float(GRID[int(np.argmin(gaps))])
