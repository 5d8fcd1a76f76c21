"""What can drive a score: 0/1 driver matrices (themes, negative mentions, emotions, effort) and control covariates."""

from __future__ import annotations

import numpy as np
import pandas as pd


def theme_matrix(comments: pd.DataFrame, mentions: pd.DataFrame, negative_only: bool = False) -> pd.DataFrame:
    """0/1 frame (rows aligned with ``comments``) of the themes each comment mentions (negatively)."""
    if negative_only and len(mentions):
        mentions = mentions[mentions["sentiment"] == "negative"]
    if not len(mentions):
        return pd.DataFrame(index=comments.index)
    pairs = mentions[["comment_id", "theme_id"]].drop_duplicates()
    themes = sorted(pairs["theme_id"].unique())
    # Set the 1s straight into a bool array: a crosstab reindexed to every comment held a float copy of it.
    row = pd.Index(comments["comment_id"]).get_indexer(pairs["comment_id"])
    column = pd.Index(themes).get_indexer(pairs["theme_id"])
    matrix = np.zeros((len(comments), len(themes)), dtype=bool)
    matrix[row[row >= 0], column[row >= 0]] = True
    return pd.DataFrame(matrix, index=comments.index, columns=themes)


def candidate_drivers(comments: pd.DataFrame, mentions: pd.DataFrame, kinds) -> dict[str, tuple[pd.DataFrame, dict]]:
    """Per kind: a 0/1 frame whose columns are driver ids, and {driver id: (name, theme id or None)}."""
    names = dict(zip(mentions["theme_id"], mentions["theme_name"])) if len(mentions) else {}
    out: dict[str, tuple[pd.DataFrame, dict]] = {}
    if "theme" in kinds:
        m = theme_matrix(comments, mentions)
        out["theme"] = (m, {t: (names.get(t, t), t) for t in m.columns})
    if "negative_mention" in kinds and "sentiment" in mentions:
        m = theme_matrix(comments, mentions, negative_only=True)
        info = {f"{t}:negative": (f"{names.get(t, t)} (negative)", t) for t in m.columns}
        out["negative_mention"] = (m.set_axis(list(info), axis=1), info)
    if "emotion" in kinds and "emotions" in comments:
        labels = comments["emotions"].fillna("").astype(str)
        found = sorted({e for value in labels.unique() for e in value.split(";") if e and e != "neutral"})
        # ";anger;" in ";anger;worry;": no list per comment (a million of them held ~100 MB).
        fenced = ";" + labels + ";"
        m = pd.DataFrame(
            {f"emotion:{e}": fenced.str.contains(f";{e};", regex=False).to_numpy(dtype=bool) for e in found},
            index=comments.index,
        )
        out["emotion"] = (m, {f"emotion:{e}": (e, None) for e in found})
    if "effort" in kinds and "effort" in comments:
        m = pd.DataFrame({"effort": comments["effort"].fillna(False).astype(bool)}, index=comments.index)
        out["effort"] = (m, {"effort": ("High customer effort", None)})
    return out


def control_covariates(comments: pd.DataFrame, columns: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Numeric design columns for user covariates, and warnings about the ones that cannot be used.

    Categories become one 0/1 column per level except the most frequent (the
    reference); missing values form their own level. Numbers are standardised,
    missing ones set to the mean.
    """
    parts, warnings = [], []
    for col in columns:
        if col not in comments:
            warnings.append(
                f"Covariate '{col}' is not a column of the input; it is ignored. "
                f"Columns: {', '.join(map(str, comments.columns[:12]))}..."
            )
            continue
        values = comments[col]
        numeric = pd.to_numeric(values, errors="coerce")
        if (
            numeric.notna().sum() >= 0.9 * values.notna().sum()
            and values.notna().any()
            and not pd.api.types.is_bool_dtype(values)
        ):
            if numeric.std(ddof=0) == 0 or numeric.notna().sum() < 2:
                warnings.append(f"Covariate '{col}' has a single value; it is dropped from the driver models.")
                continue
            parts.append(((numeric - numeric.mean()) / numeric.std(ddof=0)).fillna(0.0).rename(col).to_frame())
            continue
        levels = values.astype("string").fillna("(missing)")
        counts = levels.value_counts()
        if len(counts) < 2:
            warnings.append(
                f"Covariate '{col}' has a single value ('{counts.index[0]}'); it is dropped from the driver models."
            )
            continue
        reference = sorted(counts[counts == counts.max()].index)[0]
        dummies = pd.get_dummies(levels, prefix=col, prefix_sep="=").astype(float)
        parts.append(dummies.drop(columns=f"{col}={reference}"))
    frame = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=comments.index)
    return frame, warnings


def variance_inflation(matrix: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """VIF of each column (regressed on all the others plus an intercept); inf when perfectly collinear.
    ``weights``: frequency weights of collapsed rows."""
    x = np.asarray(matrix, dtype=float)
    w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=float)
    root = np.sqrt(w)
    out = np.full(x.shape[1], np.nan)
    for j in range(x.shape[1]):
        y = x[:, j]
        others = np.hstack([np.ones((len(x), 1)), np.delete(x, j, axis=1)])
        coef, *_ = np.linalg.lstsq(others * root[:, None], y * root, rcond=None)
        resid = y - others @ coef
        tss = float(w @ (y - float(w @ y) / w.sum()) ** 2)
        if tss == 0:
            continue
        r2 = 1 - float(w @ resid**2) / tss
        out[j] = np.inf if r2 >= 1 - 1e-12 else 1 / (1 - r2)
    return out
