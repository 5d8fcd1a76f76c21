"""vocnlp: voice-of-the-customer text analysis, offline.

Public API::

    import vocnlp
    result = vocnlp.analyze(df, text="comment", nps="nps")   # DataFrames in, DataFrames out
    result.comments, result.mentions, result.drivers, result.summary
"""

__version__ = "0.1.0"

from .config import RunConfig, load_config  # noqa: E402
from .pipeline import AnalysisResult, Pipeline, analyze, analyze_file  # noqa: E402
from .writers import write_outputs  # noqa: E402

__all__ = ["AnalysisResult", "Pipeline", "RunConfig", "analyze", "analyze_file", "load_config", "write_outputs",
           "__version__"]
