"""Map input columns to roles and validate every row without dropping any.

Each row gets a ``status``: ``ok`` or a ``;``-separated list of flags such as
``empty_text`` or ``nps_out_of_range``. Flagged rows stay in the output; the
validation report counts them and gives example source rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import chain, count

import numpy as np
import pandas as pd

from vocnlp.config import InputConfig
from vocnlp.errors import ColumnMappingError
from vocnlp.io.column_roles import named_column, normalise_name, resolve_mapping
from vocnlp.io.readers import RawTable, free_name
from vocnlp.io.survey_exports import WORDED_ROLES, question_columns, roles_from_questions

MISSING_TOKENS = {"", "na", "n/a", "n.a.", "nan", "none", "null", "-", "--", "?", "nr", "ns", "#n/a"}
TRUE_TOKENS = {"1", "1.0", "true", "yes", "y", "oui", "o", "vrai", "churned", "resilie", "x"}
FALSE_TOKENS = {"0", "0.0", "false", "no", "n", "non", "faux", "active", "actif"}

# Output columns the pipeline adds; input columns with these names (or the output families' prefixes) are renamed.
RESERVED_PATTERN = re.compile(r"^(_.*|emotion_.*|theme_.*|sentiment_.*|pii_.*|effort_.*|text_masked)$")
RESERVED = {
    "comment_id",
    "source_row",
    "status",
    "language",
    "sentiment",
    "sentiment_score",
    "sentiment_score_model",
    "emotions",
    "themes",
    "theme_count",
    "effort",
    "effort_score",
    "nps_score",
    "nps_category",
    "csat_score",
    "ces_score",
    "churned",
    "response_date",
    "first_contact_resolved",
    "resolution_time",
    "referred",
    "tenure",
}


@dataclass
class ValidatedTable:
    """Rows ready for the pipeline: input columns kept, roles resolved, status set."""

    frame: pd.DataFrame
    mapping: dict[str, str | list[str] | None]
    report: dict = field(default_factory=dict)
    # A dump validated chunk by chunk (vocnlp.pipeline.streamed_input): its rows wait on disk, ``frame`` has none.
    rows_on_disk: int | None = None
    comment_ids: pd.Series | None = None

    def row_count(self) -> int:
        """How many rows the table has, in ``frame`` or on disk."""
        return len(self.frame) if self.rows_on_disk is None else self.rows_on_disk

    def ids(self) -> pd.Series:
        """Every row's ``comment_id``, in table order."""
        if self.comment_ids is None:
            return self.frame["comment_id"]
        return self.comment_ids.rename("comment_id")


def _as_text(values: pd.Series) -> pd.Series:
    """Cell values as stripped strings; missing values become ''."""
    out = values.astype(object).where(values.notna(), "")
    return out.map(lambda v: str(v).strip())


def _parse_numeric(
    values: pd.Series, prefix: str, low: float, high: float, integer: bool, flags: list[list[str]]
) -> pd.Series:
    """Parse scores leniently ('8', '8,0', ' 8 ') and flag missing/non-numeric/out-of-range."""
    text = _as_text(values)
    lowered = text.str.lower()
    missing = lowered.isin(MISSING_TOKENS)
    numbers = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
    non_numeric = numbers.isna() & ~missing
    out_of_range = numbers.notna() & ((numbers < low) | (numbers > high))
    if integer:
        out_of_range |= numbers.notna() & (numbers != np.floor(numbers))
    for i in np.flatnonzero(missing.to_numpy()):
        flags[i].append(f"{prefix}_missing")
    for i in np.flatnonzero(non_numeric.to_numpy()):
        flags[i].append(f"{prefix}_non_numeric")
    for i in np.flatnonzero(out_of_range.to_numpy()):
        flags[i].append(f"{prefix}_out_of_range")
    return numbers.where(~out_of_range).astype("Float64")


def _parse_yes_no(values: pd.Series, prefix: str, flags: list[list[str]]) -> pd.Series:
    """1/0, yes/no, oui/non, true/false as a nullable boolean; blanks and other values flagged ``<prefix>_...``."""
    text = _as_text(values).map(normalise_name).str.replace("_", "", regex=False)
    result = pd.Series(pd.NA, index=values.index, dtype="boolean")
    result[text.isin(TRUE_TOKENS)] = True
    result[text.isin(FALSE_TOKENS)] = False
    for i in np.flatnonzero((text == "").to_numpy()):
        flags[i].append(f"{prefix}_missing")
    for i in np.flatnonzero((result.isna() & (text != "")).to_numpy()):
        flags[i].append(f"{prefix}_invalid")
    return result


def _parse_dates(values: pd.Series, flags: list[list[str]], month_first_hint: bool = False) -> pd.Series:
    parsed, invalid = _dates_and_invalid(values, month_first_hint)
    for i in np.flatnonzero(invalid):
        flags[i].append("date_invalid")
    return parsed


def _dates_and_invalid(values: pd.Series, month_first_hint: bool) -> tuple[pd.Series, np.ndarray]:
    """The parsed dates, and where a date was given but could not be read."""
    text = _as_text(values)
    present = text != ""
    parsed = pd.to_datetime(text.where(present), errors="coerce", format="ISO8601")
    if parsed[present].isna().mean() > 0.5:
        # 'GMT+2' / 'UTC+2' (Google Forms) read POSIX-style would flip the offset's sign: write it as +02:00.
        text = text.str.replace(_NAMED_OFFSET, lambda m: f" {m[1]}{int(m[2]):02d}:{m[3] or '00'}", regex=True)
        day_first = _day_first(text[present], month_first_hint)
        parsed = pd.to_datetime(text.where(present), errors="coerce", dayfirst=day_first, format="mixed")
    return parsed, (present & parsed.isna()).to_numpy()


_NAMED_OFFSET = re.compile(r"\s*(?:GMT|UTC)([+-])(\d{1,2})(?::?(\d{2}))?\s*$")


def _month_first_platform(raw: RawTable, mapping) -> bool:
    """SurveyMonkey's and Google Forms' English exports write month/day/year."""
    platform = raw.details.get("survey_platform")
    return platform == "surveymonkey" or (platform == "google_forms" and mapping["date"] == "Timestamp")


def _day_first(text: pd.Series, month_first_hint: bool) -> bool:
    """Whether 01/10/2026 means 1 October, decided from the column itself: a first number above 12 anywhere means
    day first, a second one above 12 means month first, a four-digit first number means year-month-day. Only when
    every date is ambiguous does the hint decide (US-style platforms' English exports); otherwise day first, as
    French exports write."""
    parts = text.str.extract(r"^\s*(\d{1,4})[/.-](\d{1,2})[/.-]\d{1,4}").dropna()
    if parts.empty or parts[0].str.len().eq(4).all():
        return False
    first, second = parts[0].astype(int), parts[1].astype(int)
    if (first > 12).any() != (second > 12).any():
        return bool((first > 12).any())
    return not month_first_hint


def nps_category(score: pd.Series) -> pd.Series:
    """promoter (9–10), passive (7–8), detractor (0–6); missing when the score is."""
    cat = pd.Series(pd.NA, index=score.index, dtype="string")
    valid = score.notna()
    s = score.astype("float64")
    cat[valid & (s >= 9)] = "promoter"
    cat[valid & (s >= 7) & (s < 9)] = "passive"
    cat[valid & (s < 7)] = "detractor"
    return cat


def validate(raw: RawTable, settings: InputConfig) -> ValidatedTable:
    """Resolve columns, parse scores, flag problems; keep every row of ``raw``."""
    frame = raw.frame.copy()
    columns = [str(c) for c in frame.columns]
    frame.columns = columns
    plan = plan_columns(columns, raw.details, settings, lambda names: frame[names])
    wide = table_wide(plan, raw.source_rows, lambda name: frame[name], _month_first_platform(raw, plan.mapping))
    out, flags = validate_rows(frame, plan, settings, raw.ragged_rows, raw.source_rows, wide)
    tally = FlagTally()
    tally.add(flags, raw.source_rows)
    return ValidatedTable(out, plan.mapping_out, tally.report(raw, plan))


@dataclass
class ColumnPlan:
    """The roles of a file's columns (``mapping``, input names) and the input columns renamed to make way for the
    outputs (``renamed``); ``mapping_out`` gives the roles under the output names."""

    mapping: dict[str, str | list[str] | None]
    renamed: dict[str, str]

    @property
    def mapping_out(self) -> dict[str, str | list[str] | None]:
        """The mapping with renamed input columns under their new names (what the run's outputs hold)."""
        out = {k: (self.renamed.get(v, v) if isinstance(v, str) else v) for k, v in self.mapping.items()}
        segments = self.mapping["segments"]
        assert isinstance(segments, list)  # resolve_mapping always sets a list
        out["segments"] = [self.renamed.get(s, s) for s in segments]
        return out


def plan_columns(columns: list[str], details: dict, settings: InputConfig, values) -> ColumnPlan:
    """The roles of ``columns``: configuration, known names, then a platform's fixed columns and the question wording
    (:func:`roles_from_questions`) for the roles still open. ``values(names)`` gives whole columns as a DataFrame;
    only the columns whose wording names an open role are asked for, so a dump read in chunks need not gather the
    others."""
    questions = details.get("questions") or {c: c for c in columns}  # survey exports: the question text
    unnamed = open_roles(columns, settings)
    worded = roles_from_questions(values(question_columns(questions, unnamed)), questions, unnamed) if unnamed else {}
    mapping = resolve_mapping(columns, settings.columns, {**details.get("platform_roles", {}), **worded})
    return ColumnPlan(mapping, _renamed_inputs(columns))


def open_roles(columns: list[str], settings: InputConfig) -> set[str]:
    """The roles question wording may give: those no setting or known name gives a column (a wrong setting is
    :func:`resolve_mapping`'s to report, in its order)."""
    found = set()
    for role in WORDED_ROLES:
        try:
            if named_column(role, columns, settings.columns) is None:
                found.add(role)
        except ColumnMappingError:
            pass
    return found


@dataclass
class TableWide:
    """What validation reads from whole columns rather than row by row: unique comment ids (a duplicate anywhere in
    the file gets a suffix) and dates (whether 01/10 is day first is decided from the whole column)."""

    comment_id: pd.Series
    duplicate_id: np.ndarray | None
    id_missing: np.ndarray | None
    dates: pd.Series | None
    date_invalid: np.ndarray | None


def wide_columns(plan: ColumnPlan) -> list[str]:
    """The input columns :func:`table_wide` reads whole."""
    return [c for c in (plan.mapping["id"], plan.mapping["date"]) if isinstance(c, str)]


def table_wide(plan: ColumnPlan, source_rows, column, month_first_hint: bool) -> TableWide:
    """Ids and dates of the whole table (``column(name)``: a whole input column, positionally indexed)."""
    mapping = plan.mapping
    duplicate = missing = None
    if mapping["id"]:
        ids = _as_text(column(mapping["id"]))
        blank = (ids == "").to_numpy()
        dup = ids.duplicated(keep=False).to_numpy() & ~blank
        # comment_id must be a unique key: later duplicates get a suffix, blanks the row number. Only those rows get
        # new text: a million-row dump keeps one string per id.
        occurrence = ids.groupby(ids).cumcount().to_numpy()
        comment_id = ids.to_numpy(dtype=object, copy=True)
        later = np.flatnonzero((occurrence > 0) & ~blank)
        comment_id[later] = [f"{comment_id[i]}~{occurrence[i] + 1}" for i in later]
        comment_id[blank] = [f"row-{r}" for r in np.asarray(source_rows)[blank]]
        made_up = (occurrence > 0) | blank
        if made_up.any():
            comment_id = _unique_ids(pd.Series(comment_id), made_up).to_numpy(dtype=object)
        duplicate, missing = dup, blank
    else:
        comment_id = np.array([f"row-{r}" for r in source_rows], dtype=object)
    dates = invalid = None
    if mapping["date"]:
        dates, invalid = _dates_and_invalid(column(mapping["date"]), month_first_hint)
    # Arrow-backed text: a tenth of the memory of a million Python strings.
    return TableWide(pd.Series(comment_id, dtype="str"), duplicate, missing, dates, invalid)


def validate_rows(
    frame: pd.DataFrame,
    plan: ColumnPlan,
    settings: InputConfig,
    ragged_rows,
    source_rows,
    wide: TableWide,
    offset: int = 0,
) -> tuple[pd.DataFrame, list[list[str]]]:
    """Rows ``offset`` to ``offset + len(frame)`` of a table, validated: roles parsed, every problem flagged in
    ``status`` (``ragged_rows``: positions within ``frame``). Returns the rows with their added columns and each
    row's flags."""
    mapping = plan.mapping
    window = slice(offset, offset + len(frame))
    flags: list[list[str]] = [[] for _ in range(len(frame))]
    i: int | np.integer  # row numbers, from Python lists and from numpy
    for i in ragged_rows:
        flags[i].append("ragged_row")
    text = _as_text(frame[mapping["text"]])
    for i in np.flatnonzero((text == "").to_numpy()):
        flags[i].append("empty_text")
    if wide.duplicate_id is not None and wide.id_missing is not None:
        for i in np.flatnonzero(wide.duplicate_id[window]):
            flags[i].append("duplicate_id")
        for i in np.flatnonzero(wide.id_missing[window]):
            flags[i].append("id_missing")
    added: dict[str, pd.Series] = {
        "comment_id": pd.Series(wide.comment_id.iloc[window].to_numpy(dtype=object), index=frame.index),
        "source_row": pd.Series(source_rows, index=frame.index, dtype="int64"),
    }
    if mapping["nps"]:
        added["nps_score"] = _parse_numeric(frame[mapping["nps"]], "nps", 0, 10, True, flags)
        added["nps_category"] = nps_category(added["nps_score"])
    if mapping["csat"]:
        s = settings.csat_scale
        added["csat_score"] = _parse_numeric(frame[mapping["csat"]], "csat", s.min, s.max, False, flags)
    if mapping["ces"]:
        s = settings.ces_scale
        added["ces_score"] = _parse_numeric(frame[mapping["ces"]], "ces", s.min, s.max, False, flags)
    if mapping["churn"]:
        added["churned"] = _parse_yes_no(frame[mapping["churn"]], "churn", flags)
    if mapping["fcr"]:
        added["first_contact_resolved"] = _parse_yes_no(frame[mapping["fcr"]], "fcr", flags)
    if mapping["resolution_time"]:
        # Durations have no upper bound; a negative one is a data error.
        added["resolution_time"] = _parse_numeric(
            frame[mapping["resolution_time"]], "resolution_time", 0, np.inf, False, flags
        )
    if mapping["tenure"]:
        added["tenure"] = _parse_numeric(frame[mapping["tenure"]], "tenure", 0, np.inf, False, flags)
    if mapping["referral"]:
        added["referred"] = _parse_yes_no(frame[mapping["referral"]], "referral", flags)
    if wide.dates is not None and wide.date_invalid is not None:
        added["response_date"] = wide.dates.iloc[window]
        for i in np.flatnonzero(wide.date_invalid[window]):
            flags[i].append("date_invalid")
    added["status"] = pd.Series([";".join(f) if f else "ok" for f in flags], index=frame.index, dtype=object)

    out = frame.rename(columns=plan.renamed)
    for name, series in added.items():
        out[name] = series.to_numpy() if name != "nps_category" else series.array
    out["_text"] = text.to_numpy()
    return out, flags


def _renamed_inputs(columns: list[str]) -> dict[str, str]:
    """Input columns named like an output get ``input_`` in front (and a number if that name is taken too), so the
    outputs never overwrite, drop or trip over what the user gave."""
    taken = set(columns)
    renamed = {}
    for column in columns:
        if column in RESERVED or RESERVED_PATTERN.match(column):
            renamed[column] = free_name(chain([f"input_{column}"], (f"input_{column}_{k}" for k in count(2))), taken)
    return renamed


def _unique_ids(comment_id: pd.Series, made_up: np.ndarray) -> pd.Series:
    """``comment_id`` with every id made up by vocnlp (a duplicate's ``A~2``, a blank's ``row-6``) moved aside when it
    equals an id the file itself holds, so that the key stays unique and a real id is never changed."""
    out = comment_id.copy()
    taken = set(out[~made_up])
    for i in np.flatnonzero(made_up):
        base = out.iat[i]
        out.iat[i] = free_name(chain([base], (f"{base}~{k}" for k in count(2))), taken)
    return out


class FlagTally:
    """The validation report's counts, gathered as rows are validated (in one go or chunk by chunk, in order)."""

    def __init__(self) -> None:
        """An empty tally."""
        self.rows = 0
        self.ok = 0
        self.counts: dict[str, int] = {}
        self.examples: dict[str, list[int]] = {}

    def add(self, flags: list[list[str]], source_rows) -> None:
        """Count the next rows' flags (``source_rows``: their lines in the file, for the examples)."""
        self.rows += len(flags)
        for i, row_flags in enumerate(flags):
            if not row_flags:
                self.ok += 1
            for flag in row_flags:
                self.counts[flag] = self.counts.get(flag, 0) + 1
                shown = self.examples.setdefault(flag, [])
                if len(shown) < 5:
                    shown.append(source_rows[i])

    def report(self, raw: RawTable, plan: ColumnPlan) -> dict:
        """validation.json: what was read, what was flagged (with example lines) and which column plays which role."""
        return {
            "source": raw.details,
            "rows_read": self.rows,
            "rows_unreadable": len(raw.unreadable),
            "blank_lines_skipped": raw.blank_lines,
            "rows_ok": self.ok,
            "flag_counts": dict(sorted(self.counts.items())),
            "flag_example_source_rows": dict(sorted(self.examples.items())),
            "unreadable": [{"line": u.line, "reason": u.reason, "excerpt": u.excerpt} for u in raw.unreadable],
            "columns": {k: v for k, v in plan.mapping.items()},
            "renamed_input_columns": plan.renamed,
        }
