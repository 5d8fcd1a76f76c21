"""``python -m vocnlp``: the command line."""

from vocnlp.cli.launch import main

main()
