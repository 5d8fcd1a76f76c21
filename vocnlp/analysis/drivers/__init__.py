"""Driver analysis: which themes, negative mentions, emotions and effort go with detractors, low scores and churn.

``marginal`` measures one driver at a time (impact with intervals), ``models``
fits all drivers of a kind together (adjusted odds ratios, marginal effects,
cross-validated fit), ``shapley`` shares the explained variance among
overlapping drivers, and ``table`` assembles the ranked table with its guardrails.
"""

from vocnlp.analysis.drivers.marginal import bootstrap_impacts, impact_with_interval, percentile_interval
from vocnlp.analysis.drivers.table import (
    CAVEAT,
    DRIVER_COLUMNS,
    DriverAnalysis,
    analyse_drivers,
    driver_table,
    run_drivers,
)

__all__ = [
    "CAVEAT",
    "DRIVER_COLUMNS",
    "DriverAnalysis",
    "analyse_drivers",
    "bootstrap_impacts",
    "driver_table",
    "impact_with_interval",
    "percentile_interval",
    "run_drivers",
]
