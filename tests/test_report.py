"""Issue 6, acceptance 1: `vocnlp run --report` writes a self-contained report that renders in headless Chromium.

Chromium is Debian's package, installed by `make test` (tests/setup_browser.sh);
playwright only drives it. The screenshot is kept in test-artifacts/ for a human to look at.
"""

from __future__ import annotations

import re

import pytest

from conftest import CHROMIUM, ROOT, SAMPLE, run_cli

ARTIFACTS = ROOT / "test-artifacts"
# Flags for a closed network: no background connections, no sandbox as root in CI.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def report_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("report_run")
    done = run_cli("run", str(SAMPLE), "--out", str(out), "--segment", "segment", "--report", "--no-progress")
    assert done.returncode == 0, done.stderr[-2000:]
    return out


def _open_in_chromium(path, screenshot):
    """Load ``path`` from disk; return console errors, page errors, non-file requests and per-chart facts."""
    from playwright.sync_api import sync_playwright

    errors, requests = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
        page.goto(path.as_uri(), wait_until="load")
        page.wait_for_timeout(500)
        charts = page.evaluate("""() => [...document.querySelectorAll('.plotly-graph-div')].map(d => {
            const box = d.getBoundingClientRect();
            return {id: d.id, width: box.width, height: box.height, svgs: d.querySelectorAll('svg.main-svg').length,
                    marks: d.querySelectorAll('.point, .bars path, .scatterlayer .trace path').length,
                    traces: (d.data || []).length};
        })""")
        headings = page.eval_on_selector_all("h2", "els => els.map(e => e.textContent)")
        page.screenshot(path=str(screenshot), full_page=True)
        browser.close()
    return errors, requests, charts, headings


@pytest.mark.browser
def test_report_renders_every_chart_offline_without_console_errors(report_run):
    report = report_run / "report.html"
    assert report.is_file()
    html = report.read_text(encoding="utf-8")
    # Self-contained: no script or stylesheet is fetched from anywhere.
    assert not re.search(r"<(script|link)[^>]+(src|href)=\"https?:", html)
    ARTIFACTS.mkdir(exist_ok=True)
    errors, requests, charts, headings = _open_in_chromium(report, ARTIFACTS / "report_en.png")
    assert errors == [] and requests == []
    ids = {c["id"] for c in charts}
    assert {"chart-themes", "chart-impact", "chart-emotions", "chart-trend", "chart-segment-0"} <= ids
    for chart in charts:
        assert chart["width"] > 200 and chart["height"] > 150 and chart["svgs"] >= 1, chart
        assert chart["traces"] >= 1 and chart["marks"] >= 1, chart
    assert headings[:3] == ["Headline figures", "What customers talk about", "Which themes cost the most"]
    assert (ARTIFACTS / "report_en.png").stat().st_size > 50_000


@pytest.mark.browser
def test_french_report_from_an_existing_run(report_run, tmp_path):
    done = run_cli("report", str(report_run), "--lang", "fr", "--output", str(tmp_path / "rapport.html"))
    assert done.returncode == 0, done.stderr
    errors, requests, charts, headings = _open_in_chromium(tmp_path / "rapport.html", ARTIFACTS / "report_fr.png")
    assert errors == [] and requests == [] and len(charts) >= 5
    assert headings[0] == "Chiffres clés" and "Méthode et précautions" in headings
    html = (tmp_path / "rapport.html").read_text(encoding="utf-8")
    assert '<html lang="fr">' in html and "Facturation et paiement" in html


def test_report_is_deterministic(report_run, tmp_path):
    from vocnlp.report import build_report

    first = build_report(report_run, "en", tmp_path / "a.html").read_text(encoding="utf-8")
    second = build_report(report_run, "en", tmp_path / "b.html").read_text(encoding="utf-8")
    assert first == second


def test_report_masks_examples_of_a_run_made_without_masking(tmp_path):
    """A small run with masking off still gets a report with masked examples (and no crash on few rows)."""
    import pandas as pd

    from vocnlp import analyze, load_config, write_outputs
    from vocnlp.report import build_report

    cfg = load_config()
    cfg.stage("mask_pii").params["enabled"] = False
    texts = [
        "La facture est fausse, prélevé deux fois, écrivez-moi à jean.dupont@gmail.com",
        "I was charged twice on my bill, call me on +44 20 7946 0958",
        "Très bon service, merci.",
    ]
    frame = pd.DataFrame({"comment": texts * 8, "nps": [2, 3, 9] * 8})
    result = analyze(frame, cfg)
    assert result.comments["comment"].str.contains("jean.dupont@gmail.com").any()  # kept as written
    write_outputs(result, tmp_path, cfg, ["parquet"])
    html = build_report(tmp_path, "en").read_text(encoding="utf-8")
    body = html.split("</script>")[-1]
    assert "[EMAIL]" in body or "[PHONE]" in body
    assert "jean.dupont@gmail.com" not in html and "7946 0958" not in html


def test_report_of_a_folder_that_is_not_a_run_says_so(tmp_path):
    done = run_cli("report", str(tmp_path))
    assert done.returncode == 2 and "manifest.json" in done.stderr and "vocnlp run" in done.stderr
    assert "Traceback" not in done.stderr
