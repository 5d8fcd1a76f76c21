"""The "Real customer comments" section of BENCHMARKS.md: the first table, the one that judges the labels."""

from __future__ import annotations

import math


def _ci(value: float, ci, scale: float = 1.0, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    signed = "+" if ci and min(ci) < 0 else ""
    text = f"{value * scale:{signed}.{digits}f}"
    if ci and all(c is not None and not math.isnan(c) for c in ci):
        # Signed figures (gaps) read "−2.5 (−3.5 to −1.4)": an en dash between negatives would read as minus.
        sep = " to " if signed else "–"
        text += f" ({ci[0] * scale:{signed}.{digits}f}{sep}{ci[1] * scale:{signed}.{digits}f})"
    return text


def _verdict(checks: list[bool]) -> str:
    return "**met**" if checks and all(checks) else "not met"


def _theme_cells(lab: dict, key: str) -> str:
    t = lab["themes"]
    if key == "micro":
        return (
            _ci(t["micro_f1"], t["micro_f1_ci"]) + f"; P {_ci(t['precision'], t['precision_ci'])}, "
            f"R {_ci(t['recall'], t['recall_ci'])}"
        )
    return _ci(t["macro_f1"], t["macro_f1_ci"]) + f" ({len(t['macro_themes'])} themes)"


def _speed_cell(res: dict) -> tuple[str, bool]:
    runs = (res.get("speed") or {}).get("unique_10k")
    if not runs:
        return "–", False
    rates = sorted(r["rows"] / r["wall_s"] for r in runs)
    median = rates[len(rates) // 2]
    return f"{median:,.0f}", median >= 300


def real_rows(res: dict) -> list[str]:
    """The section's lines (empty when the real-data benchmark has not been run)."""
    real = res.get("real") or {}
    if not real:
        return []
    lines = [
        "## Real customer comments (issue: labels that hold up on real CX data)",
        "",
        "The judge of accuracy. Real comments from `../shared/data/cx_real/` (see its README), read by the default "
        "pipeline with the generic taxonomy and no training on these sets (they are used to measure and to "
        "choose, never to train shipped weights). Each cell: figure (95% percentile bootstrap interval over "
        "comments). Labelled comments: 200 French insurance reviews and 200 English tweets to companies, "
        "hand-labelled with the generic taxonomy's top-level ids. Star-rated reviews: French insurance "
        "reviews and their English machine translation (same content in both languages). The **sample** column "
        "is the bundled survey sample: written by the project in the taxonomy's own words, a smoke test, not "
        "evidence of accuracy; it shows how far real text is from it. Regenerate with `vocnlp benchmark "
        "--real-only`.",
        "",
    ]
    for profile, r in real.items():
        if profile in ("semeval", "few_shot", "packs"):
            continue
        lab, ins, sample = r["labelled"], r["insurance"], r["sample"]
        fr, en = lab.get("fr"), lab.get("en")
        lines += [
            f"Profile **{profile}**, measured {r['date']} "
            f"({ins['n']:,} star-rated reviews per language, {r['complaints']['n']:,} complaint tweets, "
            f"{r['draws']:,} bootstrap draws).",
            "",
            "| measure | target | French | English | sample (synthetic) | verdict |",
            "|---|---|---|---|---|---|",
        ]
        micro = [lab[x]["themes"]["micro_f1"] >= 0.70 and lab[x]["themes"]["precision"] >= 0.70 for x in lab]
        lines.append(
            f"| themes, labelled comments: micro-F1; precision, recall | ≥ 0.70 (precision ≥ 0.70) | "
            f"{_theme_cells(fr, 'micro')} | {_theme_cells(en, 'micro')} | "
            f"{_theme_cells(sample, 'micro')} | {_verdict(micro)} |"
        )
        macro = [lab[x]["themes"]["macro_f1"] >= 0.60 for x in lab]
        lines.append(
            f"| themes, labelled comments: macro-F1 over themes with ≥ 5 labels | ≥ 0.60 | "
            f"{_theme_cells(fr, 'macro')} | {_theme_cells(en, 'macro')} | {_theme_cells(sample, 'macro')} | "
            f"{_verdict(macro)} |"
        )
        ts = {x: lab[x]["theme_sentiment"] for x in lab}
        lines.append(
            "| theme-level sentiment accuracy on the themes found (gold positive/negative) | ≥ 0.85 | "
            + " | ".join(f"{_ci(ts[x]['accuracy'], ts[x]['accuracy_ci'])} (n={ts[x]['n']})" for x in ("fr", "en"))
            + f" | – | {_verdict([ts[x]['accuracy'] >= 0.85 for x in ts])} |"
        )
        se = {x: lab[x]["sentiment"] for x in lab}
        lines.append(
            "| overall sentiment macro-F1, labelled comments | ≥ 0.75 | "
            + " | ".join(
                f"{_ci(se[x]['macro_f1'], se[x]['macro_f1_ci'])} ({len(se[x]['labels'])} classes)" for x in ("fr", "en")
            )
            + f" | – | {_verdict([se[x]['macro_f1'] >= 0.75 for x in se])} |"
        )
        a = {x: ins[x]["auc_low_vs_high"] for x in ("fr", "en")}
        lines.append(
            "| insurance reviews: AUC of `sentiment_score`, ≤ 2 vs ≥ 4 stars | ≥ 0.95 | "
            + " | ".join(_ci(a[x]["auc"], a[x]["auc_ci"], digits=3) for x in ("fr", "en"))
            + f" | detractors: {_ci(sample['detractor_auc']['auc'], sample['detractor_auc']['auc_ci'], digits=3)}"
            f" | {_verdict([a[x]['auc'] >= 0.95 for x in a])} |"
        )
        for stars in (5, 1):
            m = {x: ins[x][f"mixed_{stars}_star"] for x in ("fr", "en")}
            lines.append(
                f"| insurance reviews: share of {stars}-star reviews labelled `mixed` | ≤ 10% | "
                + " | ".join(_ci(m[x]["share"], m[x]["share_ci"], 100, 1) + "%" for x in ("fr", "en"))
                + f" | – | {_verdict([m[x]['share'] <= 0.10 for x in m])} |"
            )
        c = r["complaints"]
        lines.append(
            f"| complaint tweets: AUC of `sentiment_score`, complaint vs not | ≥ 0.85 | – | "
            f"{_ci(c['auc'], c['auc_ci'], digits=3)} | – | {_verdict([c['auc'] >= 0.85])} |"
        )
        gaps = ins["gaps"]
        names = {
            "auc": "AUC (points)",
            "mixed_5_star": "5-star mixed share",
            "mixed_1_star": "1-star mixed share",
            "largest_theme_share": "largest theme-share difference",
        }
        cells = "; ".join(f"{names[k]} {_ci(g['gap'], g['gap_ci'], digits=1)}" for k, g in gaps.items())
        lines.append(
            f"| FR − EN gap on the same reviews (EN − FR, points) | ≤ 3 on every figure | {cells} | | – | "
            f"{_verdict([abs(g['gap']) <= 3 for g in gaps.values()])} |"
        )
        speed, ok = _speed_cell(res)
        lines.append(
            f"| default pipeline speed, 10,000 unique comments, wall comments/s (speed table below) | ≥ 300 | "
            f"{speed} | | | {_verdict([ok])} |"
        )
        lines += [""]
    return (
        lines
        + _adaptation_rows(real.get("fast", {}).get("adaptation"))
        + _few_shot_rows(real.get("few_shot"))
        + _pack_rows(real.get("packs"))
        + _semeval_rows(real.get("semeval"))
    )


def _adaptation_rows(rows: dict | None) -> list[str]:
    if not rows:
        return []
    lines = [
        "**Adaptation to the dump's own scores** (`vocnlp run --adapt`): the star-rated reviews analysed as one "
        "dump per language with their stars as CSAT; the adapted model learns from the other folds' stars only "
        "(5-fold cross-fitting), so every figure below is out of fold. Not zero-shot: it uses the dump's scores.",
        "",
        "| language | weak labels (high / low) | AUC ≤ 2 vs ≥ 4 stars: shipped → adapted | 5-star mixed | "
        "1-star mixed | labelled comments' sentiment macro-F1: shipped → adapted |",
        "|---|---|---|---|---|---|",
    ]
    for language in ("fr", "en"):
        r = rows.get(language)
        if not r:
            continue
        info, after = r["info"], r["after"]
        labelled = (
            f"{r['labelled_before']['macro_f1']:.2f} → {_ci(r['labelled_after']['macro_f1'], r['labelled_after']['macro_f1_ci'])}"
            if "labelled_after" in r
            else "–"
        )
        lines.append(
            f"| {language} | {info['high']:,} / {info['low']:,} | {info['auc_model_score']:.3f} → "
            f"{_ci(after['auc_low_vs_high']['auc'], after['auc_low_vs_high']['auc_ci'], digits=3)} | "
            f"{_ci(after['mixed_5_star']['share'], after['mixed_5_star']['share_ci'], 100, 1)}% | "
            f"{_ci(after['mixed_1_star']['share'], after['mixed_1_star']['share_ci'], 100, 1)}% | {labelled} |"
        )
    return lines + [
        "",
        "The shipped AUC here is over the reviews with a weak label (1–2 and 4–5 stars), as in the table above.",
        "",
    ]


def _few_shot_rows(rows: dict | None) -> list[str]:
    if not rows:
        return []
    lines = [
        "**A user's corrections on top of the shipped theme model** (`vocnlp train --task themes --train-file "
        "corrections.csv --with-written-corpus`): theme micro-F1 on one half of the labelled comments, the "
        "corrections taken from the other half (10 comments per theme, or the whole half), mean of the two "
        "swaps. These measurement models learn from real comments and are never shipped.",
        "",
        "| language | shipped | + 10 per theme (comments) | + the whole half (comments) |",
        "|---|---|---|---|",
    ]
    for language in ("fr", "en"):
        r = rows.get(language)
        if r:
            n = r["corrected_comments"]
            lines.append(
                f"| {language} | {r['shipped']:.3f} | {r['10']:.3f} ({'/'.join(map(str, n['10']))}) | "
                f"{r['half']:.3f} ({'/'.join(map(str, n['half']))}) |"
            )
    return lines + [""]


def _pack_rows(rows: list | None) -> list[str]:
    if not rows:
        return []
    lines = [
        "**Industry packs** (`vocnlp run --industry insurance`: the generic taxonomy plus insurance seeds and "
        "sub-themes, same top-level ids): themes of the 200 labelled French insurance reviews "
        "(`benchmarks/real_packs.py`). A pack's seeds drive zero-shot themes and pick sub-themes; with the "
        "shipped model on, the model decides the top-level themes.",
        "",
        "| themes | micro-F1 | precision | recall | macro-F1 |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        t = r["themes"]
        lines.append(
            f"| {r['variant']} | {_ci(t['micro_f1'], t['micro_f1_ci'])} | {t['precision']:.2f} | "
            f"{t['recall']:.2f} | {t['macro_f1']:.2f} |"
        )
    return lines + [""]


def _semeval_rows(rows: dict | None) -> list[str]:
    if not rows:
        return []
    lines = [
        "SemEval-2016 Task 5, restaurant sentences (research row, supervised: `benchmarks/semeval.py`). "
        "A theme model trained on the train split (USE v3 + the theme head of `vocnlp train --task themes`: "
        "linear + nearest-neighbour vote, thresholds and C on a seeded 15% of train), scored on the dev split (the official test split is not "
        "here); polarity given the gold aspects: a logistic head on the sentence and its category. Anchors: the "
        "best systems of the 2016 task, on its test set.",
        "",
        "| language | dev sentences | category micro-F1 (anchor) | opinions | polarity accuracy (anchor) | target | "
        "verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for language in ("en", "fr"):
        r = rows[language]
        f1, acc = r["category_f1"] * 100, r["polarity_accuracy"] * 100
        anchor = r["anchor"]
        met = f1 >= anchor["category_f1"] and acc >= anchor["polarity_accuracy"]
        lines.append(
            f"| {language} | {r['sentences']:,} | {_ci(r['category_f1'], r['category_f1_ci'], 100, 1)} "
            f"({anchor['category_f1']}) | {r['opinions']:,} | "
            f"{_ci(r['polarity_accuracy'], r['polarity_accuracy_ci'], 100, 1)} ({anchor['polarity_accuracy']}) | "
            f"≥ {anchor['category_f1']} / {anchor['polarity_accuracy']} | {_verdict([met])} |"
        )
    return lines + [""]


def shipped_label_quality(res: dict) -> dict | None:
    """The shipped theme labels' precision and recall on the real labelled comments (default profile), per
    language: what the report quotes when a run has no judged sample (``vocnlp/report/label_quality.json``)."""
    real = (res.get("real") or {}).get("fast")
    if not real:
        return None
    return {
        "source": "BENCHMARKS.md, Real customer comments (vocnlp benchmark --real-only)",
        "profile": real["profile"],
        "date": real["date"],
        "languages": {
            language: {
                "comments": figures["n"],
                "precision": round(figures["themes"]["precision"], 3),
                "recall": round(figures["themes"]["recall"], 3),
            }
            for language, figures in real["labelled"].items()
        },
    }
