"""Read a run's output folder and shape what the report shows: KPIs, theme shares, drivers, examples, trends."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from vocnlp.components.pii import PiiMasker
from vocnlp.errors import VocnlpError
from vocnlp.io.run_folder import FILES, check_run_folder

REQUIRED = (FILES.summary, FILES.comments, FILES.mentions, FILES.drivers)
# Written by the benchmark command from its real-data figures (benchmarks/report.py), never by hand.
LABEL_QUALITY_FILE = Path(__file__).with_name("label_quality.json")


def shipped_label_quality() -> dict | None:
    """The shipped theme labels' precision and recall measured on real comments, per language (None if absent)."""
    if not LABEL_QUALITY_FILE.is_file():
        return None
    return json.loads(LABEL_QUALITY_FILE.read_text(encoding="utf-8"))


@dataclass
class RunOutputs:
    """The files of one ``vocnlp run`` output folder, loaded."""

    folder: Path
    summary: dict
    comments: pd.DataFrame
    mentions: pd.DataFrame
    drivers: pd.DataFrame
    scores_by_group: pd.DataFrame
    codebook: pd.DataFrame

    @property
    def text_column(self) -> str | None:
        """The input column that held the comment text."""
        return self.summary.get("meta", {}).get("mapping", {}).get("text")

    def theme_name(self, theme_id: str, lang: str) -> str:
        """A theme's name in ``lang`` from the run's codebook (the id when the codebook lacks it)."""
        row = self.codebook[self.codebook["theme_id"] == theme_id]
        return str(row[f"name_{lang}"].iloc[0]) if len(row) else theme_id


def load_run(folder: str | Path) -> RunOutputs:
    """Load a run folder, with a clear error naming what is missing."""
    folder = Path(folder)
    check_run_folder(folder)
    missing = [name for name in REQUIRED if not (folder / name).is_file()]
    if missing:
        raise VocnlpError(
            f"'{folder}' lacks {', '.join(missing)}: it is not the output folder of 'vocnlp run'.",
            "Run 'vocnlp run COMMENTS --out FOLDER' first, or add --report to that command.",
        )

    def optional_csv(name: str) -> pd.DataFrame:
        path = folder / name
        return pd.read_csv(path, encoding="utf-8-sig", keep_default_na=True) if path.is_file() else pd.DataFrame()

    return RunOutputs(
        folder,
        json.loads((folder / FILES.summary).read_text(encoding="utf-8")),
        pd.read_parquet(folder / FILES.comments),
        pd.read_parquet(folder / FILES.mentions),
        optional_csv(FILES.drivers),
        optional_csv(FILES.scores_by_group),
        optional_csv(FILES.codebook).fillna(""),
    )


def flagged_rows(run: RunOutputs) -> list[tuple[str, int]]:
    """(reason, rows) for every validation flag, most frequent first; ``ok`` rows are not listed."""
    counts: dict[str, int] = {}
    for status in run.comments["status"].fillna(""):
        for flag in status.split(";"):
            if flag and flag != "ok":
                counts[flag] = counts.get(flag, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def theme_shares(run: RunOutputs, lang: str) -> pd.DataFrame:
    """Per top-level theme: name, share of analysed comments mentioning it, and that share split by sentiment."""
    analysed = max(int(run.summary["rows"]["analysed"]), 1)
    mentions = run.mentions
    if not len(mentions):
        return pd.DataFrame(columns=["theme_id", "name", "share", "negative", "neutral", "positive"])
    per = (
        mentions.groupby(["theme_id", "sentiment"])["comment_id"]
        .nunique()
        .unstack(fill_value=0)
        .reindex(columns=["negative", "neutral", "positive"], fill_value=0)
    )
    table = per.div(analysed).reset_index()
    table["share"] = (
        mentions.groupby("theme_id")["comment_id"].nunique().reindex(table["theme_id"]).to_numpy() / analysed
    )
    table["name"] = [run.theme_name(t, lang) for t in table["theme_id"]]
    return table.sort_values(["share", "theme_id"], ascending=[True, True]).reset_index(drop=True)


def driver_rows(run: RunOutputs, outcome: str, kind: str = "theme") -> pd.DataFrame:
    """The run's driver rows for one outcome and driver kind, ranked first, then the unranked ones."""
    drivers = run.drivers
    if not len(drivers):
        return drivers
    part = drivers[(drivers["outcome"] == outcome) & (drivers["driver_type"] == kind)]
    return part.sort_values(["rank", "driver_id"], na_position="last").reset_index(drop=True)


def driver_model(run: RunOutputs, outcome: str, kind: str = "theme") -> dict | None:
    """Fit figures of the driver model for ``outcome`` (AUC, pseudo-R²), from summary.json."""
    models = run.summary.get("drivers", {}).get("models", [])
    return next((m for m in models if m.get("outcome") == outcome and m.get("driver_type") == kind), None)


def emotion_shares(run: RunOutputs) -> pd.Series:
    """Share of analysed comments holding each emotion label, largest first."""
    labels = run.comments["emotions"].dropna()
    labels = labels[labels != ""]
    if not len(labels):
        return pd.Series(dtype=float)
    counts = labels.str.split(";").explode().value_counts()
    return (counts / max(int(run.summary["rows"]["analysed"]), 1)).sort_values(ascending=False)


def representative_comments(run: RunOutputs, per_theme: int = 3) -> dict[str, list[dict]]:
    """For each theme, the ``per_theme`` distinct comments whose mention is most confident, masked.

    Masking runs again here, so a run made with masking off still shows no personal data.
    """
    text_col = run.text_column
    if not len(run.mentions) or text_col not in run.comments:
        return {}
    comments = run.comments.set_index("comment_id")
    masker = PiiMasker()
    out: dict[str, list[dict]] = {}
    ordered = run.mentions.sort_values(["theme_id", "confidence", "comment_id"], ascending=[True, False, True])
    for theme_id, group in ordered.groupby("theme_id", sort=True):
        # Distinct comments and distinct evidence: three copies of one stock phrase show nothing new.
        key = group["evidence"].astype(str).str.lower().str.replace(r"\W+", " ", regex=True).str.strip()
        picked = group.assign(_key=key).drop_duplicates("comment_id").drop_duplicates("_key").head(per_theme)
        texts = [str(comments.at[c, text_col]) for c in picked["comment_id"]]
        langs = [str(comments.at[c, "language"]) for c in picked["comment_id"]]
        masked = masker.mask_many(texts, langs)
        evidence = masker.mask_many(picked["evidence"].astype(str).tolist(), langs)
        out[theme_id] = [
            {"comment_id": c, "text": t, "evidence": e, "sentiment": s, "language": lang}
            for c, (t, _), (e, _), s, lang in zip(picked["comment_id"], masked, evidence, picked["sentiment"], langs)
        ]
    return out


def groupings(run: RunOutputs) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """NPS by period (one table) and by each segment column (one table each), from scores_by_group.csv."""
    table = run.scores_by_group
    if not len(table) or "nps" not in table:
        return pd.DataFrame(), {}
    table = table.dropna(subset=["nps"])
    period = table[table["grouping"].str.startswith("period")]
    segments = {name: part for name, part in table[~table["grouping"].str.startswith("period")].groupby("grouping")}
    return period.reset_index(drop=True), segments
