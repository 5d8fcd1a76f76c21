"""Survey platforms' exports read as they come, and column roles found from the questions' wording.

Qualtrics CSV/TSV/XLSX exports carry three header rows: column ids (``Q1``, ``ResponseId``), the question text, and
``{"ImportId": ...}`` JSON. SurveyMonkey exports carry two: the question text (blank over the extra columns of a
question that spans several) and the answer labels (``Response``, ``Open-Ended Response``, option names). Google
Forms and Typeform have one header row of question text. The extra header rows are taken out of the data (line
numbers still count them) and the question text is kept, so that "How likely are you to recommend us…" is found
as the NPS column and "What is the main reason for your score?" as the comment text, with no column flag.
"""

from __future__ import annotations

import re
from dataclasses import replace
from itertools import chain, count

import numpy as np
import pandas as pd

from vocnlp.io.column_roles import normalise_name

# Answer labels of SurveyMonkey's second header row.
_MONKEY_LABELS = {"response", "open-ended response", "open ended response", "réponse", "réponse ouverte"}
_PLACEHOLDER = re.compile(r"^(column_\d+|Unnamed: \d+)$")

# Wording of the questions that play a role, on lower-case text without accents.
QUESTION_PATTERNS = {
    "nps": re.compile(r"recommend|recommand"),
    "text": re.compile(
        r"\bwhy\b|reason|comment|tell us|explain|improve|better|anything else|describe|pourquoi|raison"
        r"|commentaire|expliqu|amelior|mieux|autre chose|decri|precis|suggest"
    ),
    "csat": re.compile(r"satisf"),
    "ces": re.compile(r"\beasy\b|\beffort\b|facile"),
}


def unwrap_survey_export(raw):
    """``raw`` (a :class:`vocnlp.io.readers.RawTable`) without a survey platform's extra header rows, with the question
    text of each column in ``details["questions"]`` and the platform in ``details["survey_platform"]``."""
    frame = raw.frame
    if len(frame) >= 2 and _share(frame.iloc[1], lambda v: v.startswith('{"ImportId"')) >= 0.5:
        questions = {c: str(frame.iloc[0][c]).strip() for c in frame.columns}
        return _without_rows(raw, 2, frame.columns, questions, "qualtrics")
    if len(frame) >= 1 and _share(frame.iloc[0], lambda v: v.strip().lower() in _MONKEY_LABELS) >= 0.3:
        from vocnlp.io.readers import free_name

        names, questions, question, taken = [], {}, "", set()
        for column in frame.columns:
            cell = frame.iloc[0][column]
            label = "" if pd.isna(cell) else str(cell).strip()  # an Excel export's blank cell is NaN
            question = question if _PLACEHOLDER.match(str(column)) or not str(column).strip() else str(column)
            name = question if label.lower() in _MONKEY_LABELS or not label else f"{question} - {label}"
            name = free_name(chain([name], (f"{name} ({k})" for k in count(2))), taken)
            names.append(name)
            questions[name] = name
        return _without_rows(raw, 1, names, questions, "surveymonkey")
    return _one_header_platform(raw)


# Google Forms names its first column after the time of the answer, in the form owner's language.
_FORMS_TIMESTAMP = {
    "timestamp",
    "horodateur",
    "marca temporal",
    "zeitstempel",
    "informazioni cronologiche",
    "carimbo de data/hora",
}


def _one_header_platform(raw):
    """Google Forms and Typeform keep one header row; what marks them is their fixed columns, which also give the
    response id (Typeform's ``#``) and the answer time."""
    columns = [str(c) for c in raw.frame.columns]
    if "#" in columns and "Submit Date (UTC)" in columns:
        roles = {"id": "#", "date": "Submit Date (UTC)"}
        return _with_platform(raw, "typeform", roles)
    if columns and columns[0].strip().lower() in _FORMS_TIMESTAMP:
        return _with_platform(raw, "google_forms", {"date": columns[0]})
    return raw


def _with_platform(raw, platform: str, roles: dict[str, str]):
    return replace(raw, details={**raw.details, "survey_platform": platform, "platform_roles": roles})


def _share(row: pd.Series, test) -> float:
    values = [str(v) for v in row if isinstance(v, str) and v.strip()]
    return sum(map(test, values)) / len(values) if values else 0.0


def _without_rows(raw, n: int, columns, questions: dict, platform: str):
    from vocnlp.io.readers import RawTable

    body = raw.frame.iloc[n:].reset_index(drop=True)
    body.columns = list(columns)
    ragged = {i - n for i in raw.ragged_rows if i >= n}
    return RawTable(
        body,
        raw.source_rows[n:],
        raw.unreadable,
        ragged,
        raw.blank_lines,
        {**raw.details, "survey_platform": platform, "questions": questions},
    )


WORDED_ROLES = ("nps", "csat", "ces", "text")


def _wording(questions: dict[str, str]) -> dict[str, str]:
    return {c: normalise_name(q).replace("_", " ") for c, q in questions.items()}


def question_columns(questions: dict[str, str], roles: set[str]) -> list[str]:
    """The columns :func:`roles_from_questions` reads for ``roles``: those whose question wording names one of them.
    The text role depends on the score roles' choices, so asking for it brings theirs in."""
    wanted = set(roles) | ({"nps", "csat", "ces"} if "text" in roles else set())
    return [c for c, text in _wording(questions).items() if any(QUESTION_PATTERNS[r].search(text) for r in wanted)]


def roles_from_questions(
    frame: pd.DataFrame, questions: dict[str, str], roles: set[str] | None = None
) -> dict[str, str]:
    """Columns whose question wording names a role (NPS, comment text, CSAT, CES), for roles no column name gave.

    NPS: the first matching column holding 0–10 numbers (not Qualtrics' ``_NPS_GROUP`` twin). Text: among matching
    columns, the one with the longest answers (a multiple-choice "reason" has short ones). ``roles``: only these
    (all four when None); ``frame`` needs only the :func:`question_columns` of them.
    """
    roles = set(WORDED_ROLES) if roles is None else set(roles)
    found: dict[str, str] = {}
    wording = {c: text for c, text in _wording(questions).items() if c in frame.columns}
    for role in ("nps", "csat", "ces"):
        if role not in roles and "text" not in roles:
            continue
        for column, text in wording.items():
            if (
                QUESTION_PATTERNS[role].search(text)
                and not normalise_name(column).endswith("nps_group")
                and _mostly_scores(frame[column])
            ):
                found[role] = column
                break
    candidates = [
        c for c, text in wording.items() if QUESTION_PATTERNS["text"].search(text) and c not in found.values()
    ]
    if candidates and "text" in roles:
        lengths = [frame[c].dropna().astype(str).str.len().mean() if frame[c].notna().any() else 0 for c in candidates]
        if max(lengths) >= 15:  # answers, not codes or choices
            found["text"] = candidates[int(np.argmax(lengths))]
    return {role: column for role, column in found.items() if role in roles}


def _mostly_scores(values: pd.Series) -> bool:
    numbers = pd.to_numeric(values, errors="coerce")
    given = values.notna() & values.astype(str).str.strip().ne("")
    return bool(given.any()) and numbers[given].notna().mean() >= 0.8
