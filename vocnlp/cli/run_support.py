"""What ``vocnlp run`` does around the analysis: the chunk engine it names, the user's code it imports, and the
summary it prints at the end."""

from __future__ import annotations

import sys
from pathlib import Path

from rich.table import Table

from vocnlp.cli.output import out
from vocnlp.errors import VocnlpError


def chunk_engine(name: str, scheduler: str | None, workers: int, code: Path | None):
    """The chunk engine named by --engine (None: this process), checked before anything loads."""
    if name not in ("local", "dask"):
        raise VocnlpError(f"Unknown engine '{name}'.", "Use --engine local or --engine dask.")
    if name == "local":
        if scheduler is not None:
            raise VocnlpError("--scheduler goes with --engine dask.", "Add --engine dask, or drop --scheduler.")
        return None
    try:
        from vocnlp.pipeline.dask_engine import DaskEngine
    except ImportError as exc:
        raise VocnlpError(
            f"--engine dask needs the 'dask' and 'distributed' packages ({exc}).",
            "Install them with: pip install 'vocnlp[dask]'.",
        ) from exc
    return DaskEngine(scheduler, workers, code)


def import_user_code(path: Path | None) -> None:
    """Import the user's Python file (``--code``) so that the stages it registers exist before the config loads."""
    if path is None:
        return
    import importlib.util

    if not path.is_file() or path.suffix != ".py":
        raise VocnlpError(f"--code '{path}' is not a Python file.", "Give the .py file that defines your stages.")
    spec = importlib.util.spec_from_file_location(f"vocnlp_user_code_{path.stem}", path)
    assert spec is not None and spec.loader is not None  # always set for an existing .py file
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)


def print_summary(result, out_dir: Path) -> None:
    """The run's counts, NPS and churn with their intervals, the top theme drivers and the warnings."""
    rows = result.summary["rows"]
    out.print(
        f"[bold]{rows['written']:,}[/] comments written ({rows['analysed']:,} with text, "
        f"{rows['empty_text']:,} empty); {rows['unreadable']:,} unreadable records "
        f"(see {out_dir / 'validation.json'})."
    )
    nps = result.summary["scores"].get("nps")
    if nps and nps["n"]:
        out.print(f"NPS {nps['nps']:+.1f} (95% CI {nps['ci_low']:+.1f} to {nps['ci_high']:+.1f}, n={nps['n']:,})")
    churn = result.summary["scores"].get("churn")
    if churn and churn["n"]:
        out.print(
            f"Churn rate {100 * churn['rate']:.1f}% (95% CI {100 * churn['ci_low']:.1f}–"
            f"{100 * churn['ci_high']:.1f}%, n={churn['n']:,})"
        )
    drivers = result.drivers
    themes = drivers[drivers["driver_type"] == "theme"] if len(drivers) else drivers
    for outcome, title, unit in (
        ("nps", "Top NPS drivers (themes)", "NPS pts"),
        ("churn", "Top churn drivers (themes)", "churn pts"),
    ):
        part = themes[(themes["outcome"] == outcome) & themes["rank"].notna()].head(5) if len(themes) else themes
        if not len(part):
            continue
        table = Table(title=title, title_justify="left")
        for col in ("rank", "theme", "mentions", f"impact ({unit})", "95% CI", "rank range", "Shapley share"):
            table.add_column(col, no_wrap=col != "theme")
        for _, r in part.iterrows():
            table.add_row(
                str(r["rank"]),
                str(r["driver_name"]),
                str(r["mentions"]),
                f"{r['impact']:+.1f}",
                f"{r['impact_ci_low']:+.1f} to {r['impact_ci_high']:+.1f}",
                f"{r['rank_ci_low']:.0f}–{r['rank_ci_high']:.0f}",
                f"{100 * r['shapley_share']:.0f}%",
            )
        out.print(table)
    for warning in result.summary.get("drivers", {}).get("warnings", []):
        out.print(f"[yellow]Warning:[/] {warning}")
    out.print("[dim]Drivers are associations between what customers mention and their scores, not causes.[/]")
