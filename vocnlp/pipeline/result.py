"""What a run produces, as one object: the tables, the headline summary, the run's metadata and configuration,
saved to a run folder and loaded back from one."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from vocnlp.components.themes import NEAR_MISS_COLUMNS
from vocnlp.config import RunConfig, load_config
from vocnlp.io.exports import codebook

if TYPE_CHECKING:
    from vocnlp.pipeline.checkpoints import ChunkStore


@dataclass
class AnalysisResult:
    """Everything a run produces: tables, headline summary and run metadata."""

    comments: pd.DataFrame
    mentions: pd.DataFrame
    drivers: pd.DataFrame
    summary: dict
    scores_by_group: pd.DataFrame = field(default_factory=pd.DataFrame)
    score_comparisons: pd.DataFrame = field(default_factory=pd.DataFrame)
    # Theme ids, levels and bilingual names of the run's taxonomy (see vocnlp.io.exports.codebook).
    codebook: pd.DataFrame = field(default_factory=lambda: codebook(None))
    meta: dict = field(default_factory=dict)
    validation: dict = field(default_factory=dict)
    # Clauses left without a theme that came within the themes stage's near_miss_window of one.
    near_misses: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=NEAR_MISS_COLUMNS))
    # The configuration the run used (written as config.resolved.yaml).
    config: RunConfig | None = None
    # Where the full rows are when the run kept its chunks on disk (vocnlp.pipeline.checkpoints): ``comments`` and
    # ``mentions`` then hold the analysis columns only, and saving reads the full rows back chunk by chunk.
    rows_on_disk: ChunkStore | None = None

    def save(self, out_dir: str | Path, formats: list[str] | None = None) -> dict[str, Path]:
        """Write the run folder (what ``vocnlp run --out`` writes); returns {name: path}. ``formats``: extra
        formats (``csv``, ``xlsx``), default the config's ``output.formats``."""
        from vocnlp.io.writers import write_outputs

        return write_outputs(self, out_dir, self.config or load_config(), formats)

    @classmethod
    def load(cls, folder: str | Path) -> "AnalysisResult":
        """The result saved in a run folder (by :meth:`save` or ``vocnlp run``), checked against its manifest
        first: tables from the Parquet files and CSVs, the summary, validation report and configuration."""
        import json

        from vocnlp.io.run_folder import FILES, check_run_folder
        from vocnlp.io.spreadsheet_safety import read_spreadsheet_csv

        folder = Path(folder)
        check_run_folder(folder)
        summary = json.loads((folder / FILES.summary).read_text(encoding="utf-8"))
        meta = summary.pop("meta", {})
        return cls(
            pd.read_parquet(folder / FILES.comments),
            pd.read_parquet(folder / FILES.mentions),
            read_spreadsheet_csv(folder / FILES.drivers),
            summary,
            read_spreadsheet_csv(folder / FILES.scores_by_group),
            read_spreadsheet_csv(folder / FILES.score_comparisons),
            read_spreadsheet_csv(folder / FILES.codebook).fillna(""),
            meta,
            json.loads((folder / FILES.validation).read_text(encoding="utf-8")),
            pd.read_parquet(folder / FILES.near_misses),
            load_config(folder / FILES.config),
        )
