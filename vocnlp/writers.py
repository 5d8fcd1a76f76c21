"""Write a run's outputs: comments, mentions and the wide theme table (Parquet + CSV), drivers, scores, codebook,
summary, resolved config, Excel."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from .config import RunConfig
from .exports import WORKBOOK, themes_wide, write_excel



def jsonable(value):
    """``value`` with numpy scalars as Python numbers and NaN as null, ready for json.dumps."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(float(value)) else round(float(value), 6)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    return value


def write_outputs(result, out_dir: str | Path, config: RunConfig, formats: list[str] | None = None) -> dict[str, Path]:
    """Write every output file into ``out_dir``; returns {name: path}.

    Always: comments.parquet, mentions.parquet (the long form: one row per comment and theme), near_misses.parquet
    (clauses given no theme that came close to one, for the review queue), themes_wide.parquet
    (one 0/1 column per theme), codebook.csv, drivers.csv, scores_by_group.csv, score_comparisons.csv,
    summary.json, validation.json, config.resolved.yaml. ``csv`` adds comments.csv, mentions.csv and
    themes_wide.csv; ``xlsx`` adds vocnlp_results.xlsx.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    formats = list(dict.fromkeys(formats if formats is not None else config.output.formats))
    paths: dict[str, Path] = {}
    paths["comments.parquet"] = out / "comments.parquet"
    result.comments.to_parquet(paths["comments.parquet"], index=False)
    paths["mentions.parquet"] = out / "mentions.parquet"
    result.mentions.to_parquet(paths["mentions.parquet"], index=False)
    paths["near_misses.parquet"] = out / "near_misses.parquet"
    result.near_misses.to_parquet(paths["near_misses.parquet"], index=False)
    wide = themes_wide(result.comments, result.mentions, result.codebook)
    paths["themes_wide.parquet"] = out / "themes_wide.parquet"
    wide.to_parquet(paths["themes_wide.parquet"], index=False)
    paths["codebook.csv"] = out / "codebook.csv"
    result.codebook.to_csv(paths["codebook.csv"], index=False, encoding="utf-8-sig")
    if "csv" in formats:
        # UTF-8 with BOM so that Excel opens accents correctly on double click.
        paths["comments.csv"] = out / "comments.csv"
        result.comments.to_csv(paths["comments.csv"], index=False, encoding="utf-8-sig", date_format="%Y-%m-%d")
        paths["mentions.csv"] = out / "mentions.csv"
        result.mentions.to_csv(paths["mentions.csv"], index=False, encoding="utf-8-sig")
        paths["themes_wide.csv"] = out / "themes_wide.csv"
        wide.to_csv(paths["themes_wide.csv"], index=False, encoding="utf-8-sig")
    paths["drivers.csv"] = out / "drivers.csv"
    result.drivers.to_csv(paths["drivers.csv"], index=False, encoding="utf-8-sig")
    for name in ("scores_by_group", "score_comparisons"):
        paths[f"{name}.csv"] = out / f"{name}.csv"
        getattr(result, name).to_csv(paths[f"{name}.csv"], index=False, encoding="utf-8-sig")
    summary = {**result.summary, "meta": result.meta}
    paths["summary.json"] = out / "summary.json"
    paths["summary.json"].write_text(json.dumps(jsonable(summary), indent=2, ensure_ascii=False) + "\n",
                                     encoding="utf-8")
    paths["validation.json"] = out / "validation.json"
    paths["validation.json"].write_text(json.dumps(jsonable(result.validation), indent=2, ensure_ascii=False) + "\n",
                                        encoding="utf-8")
    paths["config.resolved.yaml"] = out / "config.resolved.yaml"
    paths["config.resolved.yaml"].write_text(config.to_yaml(), encoding="utf-8")
    if "xlsx" in formats:
        paths[WORKBOOK] = write_excel(result, out / WORKBOOK, config, result.codebook, wide)
    return paths
