"""The benchmark command: measurements behind BENCHMARKS.md (needs a checkout and ../shared/data)."""
