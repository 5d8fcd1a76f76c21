"""Map input columns to roles and validate every row without dropping any.

Each row gets a ``status``: ``ok`` or a ``;``-separated list of flags such as
``empty_text`` or ``nps_out_of_range``. Flagged rows stay in the output; the
validation report counts them and gives example source rows.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from itertools import chain, count

import numpy as np
import pandas as pd

from vocnlp.config import ColumnMapping, InputConfig
from vocnlp.errors import ColumnMappingError
from vocnlp.io.readers import RawTable, free_name
from vocnlp.io.survey_exports import roles_from_questions

# Candidate names per role, in priority order, after normalisation
# (lower case, accents stripped, non-alphanumerics turned into "_").
COLUMN_CANDIDATES: dict[str, list[str]] = {
    "text": [
        "comment",
        "comments",
        "commentaire",
        "commentaires",
        "verbatim",
        "verbatims",
        "text",
        "texte",
        "feedback",
        "open_text",
        "open_comment",
        "comment_text",
        "response_text",
        "reponse",
        "reponse_libre",
        "remarque",
        "remarques",
        "avis",
        "review",
        "message",
        "suggestion",
        "suggestions",
    ],
    "id": [
        "comment_id",
        "id",
        "respondent_id",
        "response_id",
        "customer_id",
        "client_id",
        "id_client",
        "id_repondant",
        "identifiant",
        "numero_client",
        "record_id",
        "uid",
        "responseid",
    ],
    "nps": [
        "nps",
        "nps_score",
        "score_nps",
        "note_nps",
        "ltr",
        "likelihood_to_recommend",
        "recommend",
        "recommandation",
        "note_recommandation",
        "probabilite_de_recommandation",
        "note",
    ],
    "csat": ["csat", "csat_score", "satisfaction", "note_satisfaction", "score_satisfaction"],
    "ces": ["ces", "ces_score", "customer_effort", "effort_score", "effort", "score_effort", "note_effort"],
    "churn": [
        "churn",
        "churned",
        "has_churned",
        "resilie",
        "resiliation",
        "a_resilie",
        "cancelled",
        "canceled",
        "attrition",
        "depart",
        "lost_customer",
    ],
    "fcr": [
        "fcr",
        "first_contact_resolution",
        "resolved_first_contact",
        "resolved_at_first_contact",
        "resolu_premier_contact",
        "resolution_premier_contact",
        "resolu_au_premier_contact",
        "rpc",
    ],
    "resolution_time": [
        "resolution_time",
        "time_to_resolution",
        "resolution_hours",
        "resolution_days",
        "delai_resolution",
        "delai_de_resolution",
        "duree_resolution",
        "temps_resolution",
        "temps_de_resolution",
    ],
    "referral": [
        "referral",
        "referred",
        "referred_a_friend",
        "has_referred",
        "parrainage",
        "a_parraine",
        "parraine",
        "recommandation_effective",
    ],
    "tenure": [
        "tenure",
        "tenure_months",
        "tenure_days",
        "tenure_years",
        "customer_tenure",
        "months_as_customer",
        "anciennete",
        "anciennete_mois",
        "anciennete_client",
        "duree_client",
        "duree_abonnement",
    ],
    "date": [
        "date",
        "response_date",
        "survey_date",
        "date_reponse",
        "date_de_reponse",
        "submitted_at",
        "created_at",
        "timestamp",
        "date_enquete",
        "recordeddate",
        "end_date",
        "enddate",
    ],
}

ROLES = ("text", "id", "nps", "csat", "ces", "churn", "date", "fcr", "resolution_time", "referral", "tenure")

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


def normalise_name(name: str) -> str:
    """Lower-case, strip accents and punctuation, so 'Résilié ?' matches 'resilie'."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


@dataclass
class ValidatedTable:
    """Rows ready for the pipeline: input columns kept, roles resolved, status set."""

    frame: pd.DataFrame
    mapping: dict[str, str | list[str] | None]
    report: dict = field(default_factory=dict)


def resolve_mapping(
    columns: list[str], mapping: ColumnMapping, by_question: dict[str, str] | None = None
) -> dict[str, str | list[str] | None]:
    """Resolve each role to an input column: explicit mapping first, then known names, then the wording of the
    survey question (``by_question``: :func:`vocnlp.io.survey_exports.roles_from_questions`)."""
    by_question = by_question or {}
    by_norm: dict[str, str] = {}
    for col in columns:
        by_norm.setdefault(normalise_name(col), col)
    resolved: dict[str, str | list[str] | None] = {}
    for role in ROLES:
        explicit = getattr(mapping, role)
        if explicit is not None:
            resolved[role] = _require_column(explicit, columns, role)
        else:
            resolved[role] = next(
                (by_norm[c] for c in COLUMN_CANDIDATES[role] if c in by_norm), None
            ) or by_question.get(role)
    resolved["segments"] = [_require_column(s, columns, "segment") for s in mapping.segments]
    taken = [v for k, v in resolved.items() if k != "segments" and v is not None]
    # One column must not play two roles by accident (e.g. 'effort' as CES and as text).
    dupes = {c for c in taken if taken.count(c) > 1}
    for role in ("tenure", "fcr", "resolution_time", "referral", "csat", "ces", "churn", "date", "nps", "id"):
        if resolved[role] in dupes and getattr(mapping, role) is None:
            resolved[role] = None
            taken = [v for k, v in resolved.items() if k != "segments" and v is not None]
            dupes = {c for c in taken if taken.count(c) > 1}
    if resolved["text"] is None:
        raise ColumnMappingError(
            f"No comment text column found. Columns in the file: {_list(columns)}.",
            "Name the text column with --text COLUMN (or input.columns.text in the config).",
        )
    return resolved


def _require_column(name: str, columns: list[str], role: str) -> str:
    if name in columns:
        return name
    lowered = {c.lower().strip(): c for c in columns}
    if name.lower().strip() in lowered:
        return lowered[name.lower().strip()]
    close = difflib.get_close_matches(name, columns, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    raise ColumnMappingError(
        f"The {role} column '{name}' is not in the file. Columns in the file: {_list(columns)}.{hint}",
        f"Pass the exact column name to --{role.replace('_', '-')}.",
    )


def _list(columns: list[str]) -> str:
    shown = ", ".join(f"'{c}'" for c in columns[:30])
    return shown + (f" (and {len(columns) - 30} more)" if len(columns) > 30 else "") if columns else "(none)"


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
    text = _as_text(values)
    present = text != ""
    parsed = pd.to_datetime(text.where(present), errors="coerce", format="ISO8601")
    if parsed[present].isna().mean() > 0.5:
        # 'GMT+2' / 'UTC+2' (Google Forms) read POSIX-style would flip the offset's sign: write it as +02:00.
        text = text.str.replace(_NAMED_OFFSET, lambda m: f" {m[1]}{int(m[2]):02d}:{m[3] or '00'}", regex=True)
        day_first = _day_first(text[present], month_first_hint)
        parsed = pd.to_datetime(text.where(present), errors="coerce", dayfirst=day_first, format="mixed")
    for i in np.flatnonzero((present & parsed.isna()).to_numpy()):
        flags[i].append("date_invalid")
    return parsed


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
    questions = raw.details.get("questions") or {c: c for c in columns}  # survey exports: the question text
    # Roles a platform's fixed columns give (Typeform's '#'), then those the question wording gives.
    hints = {**raw.details.get("platform_roles", {}), **roles_from_questions(frame, questions)}
    mapping = resolve_mapping(columns, settings.columns, hints)
    renamed = _renamed_inputs(columns)
    n = len(frame)
    flags: list[list[str]] = [[] for _ in range(n)]
    i: int | np.integer  # row numbers, from Python lists and from numpy
    for i in raw.ragged_rows:
        flags[i].append("ragged_row")

    text = _as_text(frame[mapping["text"]])
    for i in np.flatnonzero((text == "").to_numpy()):
        flags[i].append("empty_text")
    added: dict[str, pd.Series] = {}
    if mapping["id"]:
        ids = _as_text(frame[mapping["id"]])
        dup = ids.duplicated(keep=False) & (ids != "")
        for i in np.flatnonzero(dup.to_numpy()):
            flags[i].append("duplicate_id")
        # comment_id must be a unique key: later duplicates get a suffix, blanks the row number.
        occurrence = ids.groupby(ids).cumcount()
        comment_id = ids.where(occurrence == 0, ids + "~" + (occurrence + 1).astype(str))
        comment_id = comment_id.where(ids != "", "row-" + pd.Series(raw.source_rows, index=frame.index).astype(str))
        comment_id = _unique_ids(comment_id, made_up=((occurrence > 0) | (ids == "")).to_numpy())
        for i in np.flatnonzero((ids == "").to_numpy()):
            flags[i].append("id_missing")
    else:
        comment_id = pd.Series([f"row-{r}" for r in raw.source_rows], index=frame.index)
    added["comment_id"] = comment_id.astype(str)
    added["source_row"] = pd.Series(raw.source_rows, index=frame.index, dtype="int64")
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
    if mapping["date"]:
        added["response_date"] = _parse_dates(frame[mapping["date"]], flags, _month_first_platform(raw, mapping))
    added["status"] = pd.Series([";".join(f) if f else "ok" for f in flags], index=frame.index, dtype=object)

    out = frame.rename(columns=renamed)
    for name, series in added.items():
        out[name] = series.to_numpy() if name != "nps_category" else series.array
    out["_text"] = text.to_numpy()
    mapping_out = {k: (renamed.get(v, v) if isinstance(v, str) else v) for k, v in mapping.items()}
    assert isinstance(mapping["segments"], list)  # resolve_mapping always sets a list
    mapping_out["segments"] = [renamed.get(s, s) for s in mapping["segments"]]
    report = _report(raw, flags, list(added["comment_id"]), mapping, renamed)
    return ValidatedTable(out, mapping_out, report)


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


def _report(raw: RawTable, flags: list[list[str]], comment_ids: list[str], mapping: dict, renamed: dict) -> dict:
    counts: dict[str, int] = {}
    examples: dict[str, list[int]] = {}
    for i, row_flags in enumerate(flags):
        for flag in row_flags:
            counts[flag] = counts.get(flag, 0) + 1
            examples.setdefault(flag, [])
            if len(examples[flag]) < 5:
                examples[flag].append(raw.source_rows[i])
    return {
        "source": raw.details,
        "rows_read": len(flags),
        "rows_unreadable": len(raw.unreadable),
        "blank_lines_skipped": raw.blank_lines,
        "rows_ok": sum(1 for f in flags if not f),
        "flag_counts": dict(sorted(counts.items())),
        "flag_example_source_rows": dict(sorted(examples.items())),
        "unreadable": [{"line": u.line, "reason": u.reason, "excerpt": u.excerpt} for u in raw.unreadable],
        "columns": {k: v for k, v in mapping.items()},
        "renamed_input_columns": renamed,
    }
