"""Comment dumps in, run folders out: readers (CSV/TSV, XLSX, Parquet, JSONL, survey platforms' exports), the
checks that resolve columns and flag rows, spreadsheet-safe writing, and the run folder with its manifest."""
