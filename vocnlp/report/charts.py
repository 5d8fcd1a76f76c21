"""The report's charts, drawn with plotly; each is returned as an HTML fragment (div + script, no plotly.js)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

SENTIMENT_COLOURS = {"negative": "#c0392b", "neutral": "#a6acaf", "positive": "#27ae60"}
ACCENT = "#1f4e79"
_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"]}


def _html(fig: go.Figure, div_id: str, height: int) -> str:
    # A fixed div id keeps the report byte-identical across runs of the same data.
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        template="plotly_white",
        font={"family": "Segoe UI, Helvetica, Arial, sans-serif", "size": 13},
    )
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=_CONFIG)


def theme_chart(shares: pd.DataFrame, t: dict) -> str:
    """Stacked horizontal bars: share of comments per theme, split by theme-level sentiment."""
    fig = go.Figure()
    for sentiment in ("negative", "neutral", "positive"):
        fig.add_bar(
            y=shares["name"],
            x=shares[sentiment],
            name=t[sentiment],
            orientation="h",
            marker_color=SENTIMENT_COLOURS[sentiment],
            hovertemplate="%{y}: %{x:.1%} " + t[sentiment] + "<extra></extra>",
        )
    fig.update_layout(
        barmode="stack",
        legend={"orientation": "h", "y": -0.12},
        xaxis={"tickformat": ".0%", "title": t["share_comments"]},
        yaxis={"automargin": True},
    )
    return _html(fig, "chart-themes", 120 + 38 * len(shares))


def impact_chart(rows: pd.DataFrame, names: list[str], t: dict, outcome_label: str, unit: str) -> str:
    """Impact against prevalence, one point per theme, with its 95% bootstrap interval as a vertical bar."""
    fig = go.Figure()
    fig.add_scatter(
        x=rows["prevalence"],
        y=rows["impact"],
        mode="markers+text",
        text=names,
        textposition="top center",
        marker={"size": 12, "color": ACCENT},
        error_y={
            "type": "data",
            "symmetric": False,
            "color": ACCENT,
            "thickness": 1.5,
            "array": rows["impact_ci_high"] - rows["impact"],
            "arrayminus": rows["impact"] - rows["impact_ci_low"],
        },
        hovertemplate="%{text}<br>%{x:.1%}<br>%{y:+.1f}<extra></extra>",
        cliponaxis=False,
    )
    fig.add_hline(y=0, line_color="#555", line_width=1)
    fig.update_layout(
        showlegend=False,
        # Room on the right for the labels of the most common themes.
        xaxis={
            "tickformat": ".0%",
            "title": t["prevalence"],
            "range": [0, 1.15 * float(rows["prevalence"].max() or 0.01)],
        },
        yaxis={"title": t["impact_axis"].format(outcome=outcome_label, unit=unit)},
    )
    return _html(fig, "chart-impact", 480)


def emotion_chart(shares: pd.Series, names: dict, t: dict) -> str:
    """Bars: share of comments expressing each emotion."""
    labels = [names.get(k, k) for k in shares.index]
    fig = go.Figure(
        go.Bar(x=labels, y=shares.to_numpy(), marker_color=ACCENT, hovertemplate="%{x}: %{y:.1%}<extra></extra>")
    )
    fig.update_layout(yaxis={"tickformat": ".0%", "title": t["share_comments"]})
    return _html(fig, "chart-emotions", 360)


def nps_by_group_chart(table: pd.DataFrame, div_id: str, as_line: bool) -> str:
    """NPS per period (line) or per segment (bars) with 95% interval bars."""
    error = {
        "type": "data",
        "symmetric": False,
        "array": table["nps_ci_high"] - table["nps"],
        "arrayminus": table["nps"] - table["nps_ci_low"],
        "color": "#555",
    }
    groups = table["group"].astype(str)
    hover = "%{x}: NPS %{y:+.1f}<extra></extra>"
    trace = (
        go.Scatter(
            x=groups, y=table["nps"], mode="lines+markers", error_y=error, line_color=ACCENT, hovertemplate=hover
        )
        if as_line
        else go.Bar(x=groups, y=table["nps"], error_y=error, marker_color=ACCENT, hovertemplate=hover)
    )
    fig = go.Figure(trace)
    fig.add_hline(y=0, line_color="#555", line_width=1)
    fig.update_layout(yaxis={"title": "NPS"}, xaxis={"type": "category"})
    return _html(fig, div_id, 340)
