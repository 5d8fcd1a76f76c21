"""Consoles and the error exit shared by the command-line modules."""

from __future__ import annotations

import typer
from rich.console import Console

err = Console(stderr=True)
out = Console()


def fail(error: Exception) -> None:
    """Print a vocnlp error (what went wrong, what to do) and exit with status 2."""
    err.print(f"[bold red]Error:[/] {error}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)
