"""The ``vocnlp`` command line (kept empty on purpose: the console script imports ``launch`` first, which stays
light so that Ctrl-C during start-up is answered cleanly)."""
