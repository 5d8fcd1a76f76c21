"""Consoles and the error exits shared by the command-line modules: user errors (2) and internal ones (1)."""

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


def crash(error: BaseException) -> None:
    """An internal error: write a crash report the user can attach to an issue, say where, exit with status 1.

    The report holds vocnlp's and Python's versions, the command line and the traceback; the comments themselves
    are not in it. It goes to the current folder, or to the temporary folder when that is not writable.
    """
    import platform
    import tempfile
    import traceback
    from datetime import datetime

    from vocnlp import __version__

    text = "\n".join(
        [
            f"vocnlp {__version__}, Python {platform.python_version()} ({platform.platform()})",
            "command: " + " ".join(sys.argv),
            "",
            "".join(traceback.format_exception(type(error), error, error.__traceback__)),
        ]
    )
    name = f"vocnlp-crash-{datetime.now():%Y%m%d-%H%M%S}.txt"
    for folder in (os.getcwd(), tempfile.gettempdir()):
        try:
            path = os.path.join(folder, name)
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
            break
        except OSError:
            path = None
    where = f" The details are in {path}: please attach that file when you report it." if path else ""
    err.print(
        f"[bold red]Internal error:[/] vocnlp stopped on something it did not expect "
        f"({error.__class__.__name__}: {error}).{where}",
        highlight=False,
        soft_wrap=True,
    )
    raise SystemExit(1)
