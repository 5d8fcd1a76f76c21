"""User-facing errors: each names the problem and the fix in one paragraph."""

from __future__ import annotations


class VocnlpError(Exception):
    """An error caused by the user's input or configuration, not by a bug.

    The CLI prints ``str(error)`` without a traceback and exits non-zero, so the
    message must say what went wrong, where, and what to do about it.
    """

    def __init__(self, problem: str, fix: str | None = None):
        self.problem = problem
        self.fix = fix
        super().__init__(problem if not fix else f"{problem} {fix}")


class InputFileError(VocnlpError):
    """The input file cannot be read as a table."""


class ColumnMappingError(VocnlpError):
    """A mapped column is missing, or no text column can be found."""


class ConfigError(VocnlpError):
    """A configuration file is unreadable or invalid."""


class ModelLoadError(VocnlpError):
    """A model folder is missing or incomplete."""
