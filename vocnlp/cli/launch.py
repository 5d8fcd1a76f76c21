"""The ``vocnlp`` console script: imports the command line inside a guard, so that Ctrl-C while Python is still
importing pandas or torch ends with "Interrupted." and exit 130, as it does later, never with a traceback."""

from __future__ import annotations

import sys


def main() -> None:
    """Console-script entry point."""
    try:
        from vocnlp.cli.app import main as cli_main
    except KeyboardInterrupt:
        sys.stderr.write("\nInterrupted.\n")
        sys.exit(130)
    cli_main()


if __name__ == "__main__":
    main()
