"""Consoles and the error exit shared by the command-line modules."""

from __future__ import annotations

import os
import sys

import typer
from rich.console import Console

# Piped into a file or a CI log, rich assumes 80 columns and folds the driver tables into unreadable
# cells; a terminal (or an explicit COLUMNS) keeps its own width.
_PIPED_WIDTH = None if sys.stdout.isatty() or "COLUMNS" in os.environ else 120
err = Console(stderr=True)
out = Console(width=_PIPED_WIDTH)


def fail(error: Exception) -> None:
    """Print a vocnlp error (what went wrong, what to do) and exit with status 2."""
    err.print(f"[bold red]Error:[/] {error}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)
