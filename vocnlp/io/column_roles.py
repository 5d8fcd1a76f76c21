"""Which input column plays which role (comment text, id, NPS, CSAT…): the names each role is known by, and the
mapping of a file's columns to roles (:func:`resolve_mapping`)."""

from __future__ import annotations

import difflib
import re
import unicodedata

from vocnlp.config import ColumnMapping
from vocnlp.errors import ColumnMappingError

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


def normalise_name(name: str) -> str:
    """Lower-case, strip accents and punctuation, so 'Résilié ?' matches 'resilie'."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


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


def named_column(role: str, columns: list[str], mapping: ColumnMapping) -> str | None:
    """The column ``role`` gets from the configuration or from a known name, before any question wording is read
    (None when only the wording could give it)."""
    explicit = getattr(mapping, role)
    if explicit is not None:
        return _require_column(explicit, columns, role)
    by_norm: dict[str, str] = {}
    for col in columns:
        by_norm.setdefault(normalise_name(col), col)
    return next((by_norm[c] for c in COLUMN_CANDIDATES[role] if c in by_norm), None)
