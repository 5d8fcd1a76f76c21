"""The single-file HTML report of a run (``vocnlp report DIR``, ``vocnlp run ... --report``)."""

from vocnlp.report.html import REPORT_FILE, build_report, render_report

__all__ = ["REPORT_FILE", "build_report", "render_report"]
