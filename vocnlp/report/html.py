"""Build the single-file HTML report of a run folder, in English or French.

Everything the page needs is inside the file (styles, plotly.js, data), so it
opens offline, can be e-mailed, and renders the same years later.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import jinja2
from markupsafe import Markup
from plotly.offline import get_plotlyjs

from vocnlp import __version__
from vocnlp.errors import VocnlpError
from vocnlp.io.run_folder import FILES
from vocnlp.report import charts
from vocnlp.report.data import (
    RunOutputs,
    driver_model,
    driver_rows,
    emotion_shares,
    flagged_rows,
    groupings,
    load_run,
    representative_comments,
    shipped_label_quality,
    theme_shares,
)
from vocnlp.report.wording import EMOTIONS, LANGUAGES, TEXT, describe_flag

REPORT_FILE = FILES.report
TOP_DRIVERS = 10


def build_report(folder: str | Path, lang: str = "en", output: str | Path | None = None) -> Path:
    """Write the report of the run in ``folder`` (default ``folder/report.html``); returns its path."""
    if lang not in LANGUAGES:
        raise VocnlpError(f"Unknown report language '{lang}'.", f"Use --lang with one of {', '.join(LANGUAGES)}.")
    run = load_run(folder)
    path = Path(output) if output else Path(folder) / REPORT_FILE
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(render_report(run, lang), encoding="utf-8")
    os.replace(partial, path)  # a killed report leaves the previous one, never half a page
    return path


# Control characters from comments (NUL, ESC, form feed…) are not allowed in an HTML document.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class _Verbatim(Markup):
    """Markup printed exactly as it is: the plotly.js bundle, whose code holds two control characters on purpose."""


def _printable(value):
    """What the template prints, without control characters; markup stays markup."""
    if isinstance(value, _Verbatim):
        return value
    if isinstance(value, Markup):
        return Markup(_CONTROL.sub("", value))
    return _CONTROL.sub("", value) if isinstance(value, str) else value


def render_report(run: RunOutputs, lang: str) -> str:
    """The report's HTML text."""
    t = TEXT[lang]
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("vocnlp", "report"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        finalize=_printable,
    )
    period, segments = groupings(run)
    outcome = _impact_outcome(run)
    impact = driver_rows(run, outcome).dropna(subset=["rank"]) if outcome else None
    shares = theme_shares(run, lang)
    emotions = emotion_shares(run)
    period_name = t["period_quarter"] if len(period) and "quarter" in period["grouping"].iloc[0] else t["period_month"]
    context = {
        "t": t,
        "lang": lang,
        "version": __version__,
        "source": run.summary.get("source", run.folder.name),
        "plotly_js": _Verbatim(get_plotlyjs()),
        "kpis": _kpis(run, t, lang),
        "excluded": _excluded(run, t, lang),
        "charts": {
            "themes": charts.theme_chart(shares, t) if len(shares) else "",
            "impact": charts.impact_chart(
                impact,
                [run.theme_name(i, lang) for i in impact["driver_id"]],
                t,
                t[f"outcome_{outcome}"],
                t["unit_nps" if outcome == "nps" else "unit_rate"],
            )
            if impact is not None and len(impact)
            else "",
            "emotions": charts.emotion_chart(emotions, EMOTIONS[lang], t) if len(emotions) else "",
            "trend": charts.nps_by_group_chart(period, "chart-trend", as_line=True) if len(period) > 1 else "",
        },
        "impact_intro": t["impact_intro"].format(outcome=t[f"outcome_{outcome}"]) if outcome else "",
        "trend_intro": t["trends_intro"].format(period=period_name),
        "segment_charts": [
            {
                "intro": t["segments_intro"].format(segment=name),
                "chart": charts.nps_by_group_chart(table, f"chart-segment-{i}", as_line=False),
            }
            for i, (name, table) in enumerate(sorted(segments.items()))
            if len(table) > 1
        ],
        "driver_tables": _driver_tables(run, t, lang),
        "label_caveat": _label_caveat(run, t, lang),
        "examples": _examples(run, t, lang),
        "methods_themes": _methods_themes(run, t),
        "methods_masking": t["methods_masking"] if _masking_on(run) else t["methods_no_masking"],
        "methods_adaptation": _methods_adaptation(run, t),
        "stages": _stages(run),
        "warnings": _warnings(run),
    }
    return env.get_template("template.html.j2").render(**context)


def _number(value: float, spec: str, lang: str) -> str:
    """``format(value, spec)`` with French separators when ``lang`` is fr (1 234,5)."""
    text = format(value, spec)
    if lang == "fr":
        text = text.replace(",", "\u202f").replace(".", ",")
    return text


def _percent(share: float, spec: str, lang: str) -> str:
    """A share as a percentage: 12.3% in English, 12,3 % in French."""
    return _number(100 * share, spec, lang) + ("\u202f%" if lang == "fr" else "%")


def _ok(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _kpis(run: RunOutputs, t: dict, lang: str) -> list[dict]:
    scores, rows = run.summary.get("scores", {}), run.summary["rows"]
    out = []
    nps = scores.get("nps") or {}
    if nps.get("n"):
        out.append(
            {
                "label": t["nps"],
                "value": _number(nps["nps"], "+.1f", lang),
                "detail": t["nps_detail"].format(
                    n=_number(nps["n"], ",", lang),
                    lo=_number(nps["ci_low"], "+.1f", lang),
                    hi=_number(nps["ci_high"], "+.1f", lang),
                ),
            }
        )
    churn = scores.get("churn") or {}
    if churn.get("n"):
        out.append(
            {
                "label": t["churn"],
                "value": _percent(churn["rate"], ".1f", lang),
                "detail": t["churn_detail"].format(
                    n=_number(churn["n"], ",", lang),
                    lo=_number(100 * churn["ci_low"], ".1f", lang),
                    hi=_number(100 * churn["ci_high"], ".1f", lang),
                ),
            }
        )
    csat = (scores.get("csat") or {}).get("top2box") or {}
    if csat.get("n"):
        out.append(
            {
                "label": t["csat"],
                "value": _percent(csat["rate"], ".0f", lang),
                "detail": f"n = {_number(csat['n'], ',', lang)}",
            }
        )
    ces = scores.get("ces") or {}
    if ces.get("n") and _ok(ces.get("mean")):
        out.append(
            {
                "label": t["ces"],
                "value": _number(ces["mean"], ".2f", lang),
                "detail": f"n = {_number(ces['n'], ',', lang)}",
            }
        )
    for key in ("fcr", "referral"):
        rate = scores.get(key) or {}
        if rate.get("n"):
            out.append(
                {
                    "label": t[key],
                    "value": _percent(rate["rate"], ".1f", lang),
                    "detail": t["rate_detail"].format(
                        n=_number(rate["n"], ",", lang),
                        lo=_number(100 * rate["ci_low"], ".1f", lang),
                        hi=_number(100 * rate["ci_high"], ".1f", lang),
                    ),
                }
            )
    times = scores.get("resolution_time") or {}
    if times.get("n") and _ok(times.get("mean")):
        out.append(
            {
                "label": t["resolution_time"],
                "value": _number(times["mean"], ".1f", lang),
                "detail": t["resolution_time_detail"].format(
                    unit=times.get("unit", ""),
                    median=_number(times["median"], ".1f", lang),
                    n=_number(times["n"], ",", lang),
                ),
            }
        )
    out.append(
        {
            "label": t["comments"],
            "value": _number(rows["analysed"], ",", lang),
            "detail": t["comments_detail"].format(read=_number(rows["read"], ",", lang)),
        }
    )
    languages = {k: v for k, v in run.summary.get("languages", {}).items() if k}
    total = max(sum(languages.values()), 1)
    out.append(
        {
            "label": t["languages"],
            "value": " · ".join(k.upper() for k, _ in sorted(languages.items(), key=lambda kv: -kv[1])[:3]),
            "detail": ", ".join(
                f"{k} {_percent(v / total, '.0f', lang)}" for k, v in sorted(languages.items(), key=lambda kv: -kv[1])
            ),
        }
    )
    return out


def _excluded(run: RunOutputs, t: dict, lang: str) -> list[tuple[str, int]]:
    rows = [(f"{describe_flag(flag, lang)} ({flag})", n) for flag, n in flagged_rows(run)]
    if run.summary["rows"].get("unreadable"):
        rows.append((t["unreadable"], int(run.summary["rows"]["unreadable"])))
    return rows


def _impact_outcome(run: RunOutputs) -> str | None:
    """NPS when the run has it, else churn: the outcome of the impact chart."""
    if not len(run.drivers):
        return None
    outcomes = set(run.drivers["outcome"])
    return next((o for o in ("nps", "churn", "detractor") if o in outcomes), None)


def _driver_tables(run: RunOutputs, t: dict, lang: str) -> list[dict]:
    tables = []
    for outcome in ("detractor", "churn"):
        rows = driver_rows(run, outcome)
        if not len(rows):
            continue
        ranked, unranked = rows[rows["rank"].notna()].head(TOP_DRIVERS), rows[rows["rank"].isna()]
        corrected = "impact_corrected" in rows
        body = []
        for r in ranked.itertuples(index=False):
            odds = (
                f"{_number(r.adjusted_effect, '.2f', lang)} [{_number(r.adjusted_effect_ci_low, '.2f', lang)}–"
                f"{_number(r.adjusted_effect_ci_high, '.2f', lang)}]"
                if _ok(r.adjusted_effect)
                else "–"
            )
            body.append(
                {
                    "rank": int(r.rank),
                    "name": run.theme_name(r.driver_id, lang),
                    "mentions": int(r.mentions),
                    "prevalence": _percent(r.prevalence, ".1f", lang),
                    "impact": _number(r.impact, "+.1f", lang),
                    "interval": f"{_number(r.impact_ci_low, '+.1f', lang)} … {_number(r.impact_ci_high, '+.1f', lang)}",
                    "odds": odds,
                    "p": _p_value(r.p_adjusted, lang),
                    "shapley": _percent(r.shapley_share, ".0f", lang) if _ok(r.shapley_share) else "–",
                    "flags": r.flags if isinstance(r.flags, str) else "",
                    **(_corrected_cells(r, t, lang) if corrected else {}),
                }
            )
        model = driver_model(run, outcome) or {}
        fit = (
            t["model_fit"].format(auc=_number(model["cv_auc"], ".2f", lang), r2=_number(model["r2"], ".3f", lang))
            if _ok(model.get("cv_auc")) and _ok(model.get("r2"))
            else ""
        )
        notes = [f"{run.theme_name(r.driver_id, lang)} ({r.note})" for r in unranked.itertuples(index=False)]
        tables.append(
            {
                "title": t[f"drivers_{outcome}"],
                "rows": body,
                "corrected": corrected,
                "fit": fit,
                "unranked": t["not_ranked"].format(items="; ".join(notes)) if notes else "",
            }
        )
    return tables


def _corrected_cells(r, t: dict, lang: str) -> dict:
    """A theme's impact corrected for label error and how its labels were checked (a run with --judged)."""
    impact = (
        f"{_number(r.impact_corrected, '+.1f', lang)} [{_number(r.impact_corrected_ci_low, '+.1f', lang)} … "
        f"{_number(r.impact_corrected_ci_high, '+.1f', lang)}]"
        if _ok(r.impact_corrected)
        else "–"
    )
    checked = t["labels_checked"].format(
        n=int(r.labels_judged) if _ok(r.labels_judged) else 0,
        precision=_number(r.label_precision, ".2f", lang) if _ok(r.label_precision) else "–",
        recall=_number(r.label_recall, ".2f", lang) if _ok(r.label_recall) else "–",
    )
    return {"impact_corrected": impact, "checked": checked}


def _label_caveat(run: RunOutputs, t: dict, lang: str) -> str:
    """What the impacts assume about the theme labels: checked on a judged sample, or taken as right."""
    judged = run.summary.get("drivers", {}).get("judged_labels")
    if judged:
        return t["labels_judged"].format(n=f"{judged['comments_judged']:,}")
    quality = shipped_label_quality()
    if not quality:
        return t["labels_assumed"]
    measured = "; ".join(
        t["labels_measured"].format(
            language=language.upper(),
            n=q["comments"],
            precision=_number(q["precision"], ".2f", lang),
            recall=_number(q["recall"], ".2f", lang),
        )
        for language, q in sorted(quality["languages"].items())
    )
    return f"{t['labels_assumed']} {t['labels_shipped'].format(measured=measured)}"


def _p_value(p, lang: str) -> str:
    if not _ok(p):
        return "–"
    return "< 0,001" if p < 0.001 and lang == "fr" else "< 0.001" if p < 0.001 else _number(p, ".3f", lang)


def _examples(run: RunOutputs, t: dict, lang: str) -> list[dict]:
    out = []
    # Most mentioned themes first, as in the theme chart.
    order = run.mentions["theme_id"].value_counts()
    picked = representative_comments(run)
    for theme_id in sorted(picked, key=lambda k: (-order.get(k, 0), k)):
        comments = picked[theme_id]
        shown = []
        for c in comments:
            text = " ".join(c["text"].split())
            at = text.find(c["evidence"])
            before, evidence, after = (
                (text[:at], c["evidence"], text[at + len(c["evidence"]) :])
                if at >= 0
                else (text + " ", c["evidence"], "")
            )
            shown.append(
                {
                    **c,
                    "before": before,
                    "evidence": evidence,
                    "after": after,
                    "sentiment_label": t.get(c["sentiment"], c["sentiment"]),
                }
            )
        out.append({"name": run.theme_name(theme_id, lang), "comments": shown})
    return out


def _methods_themes(run: RunOutputs, t: dict) -> str:
    stage = next((s for s in run.summary.get("meta", {}).get("stages", []) if s.get("name") == "themes"), None)
    return t["methods_themes"].format(taxonomy=stage["taxonomy"], version=stage["taxonomy_version"]) if stage else ""


def _methods_adaptation(run: RunOutputs, t: dict) -> str:
    adaptation = run.summary.get("adaptation") or {}
    if not adaptation.get("used"):
        return t["methods_not_adapted"]
    return t["methods_adapted"].format(
        outcome=str(adaptation.get("outcome", "")).upper(), n=f"{adaptation.get('weak_labels', 0):,}"
    )


def _masking_on(run: RunOutputs) -> bool:
    stage = next((s for s in run.summary.get("meta", {}).get("stages", []) if s.get("name") == "mask_pii"), None)
    return bool(stage and stage.get("enabled"))


def _stages(run: RunOutputs) -> list[dict]:
    return [
        {"name": s.get("name"), "details": ", ".join(f"{k}: {v}" for k, v in s.items() if k not in ("name",))}
        for s in run.summary.get("meta", {}).get("stages", [])
    ]


def _warnings(run: RunOutputs) -> list[str]:
    return list(run.summary.get("scores", {}).get("warnings", [])) + list(
        run.summary.get("drivers", {}).get("warnings", [])
    )
