"""Regenerate BENCHMARKS.md (same as `vocnlp benchmark`; kept for `make bench`)."""

from vocnlp.benchmarking.report import main

if __name__ == "__main__":
    print(main())
