"""vocnlp: voice-of-the-customer text analysis, offline.

Public API::

    import vocnlp
    nlp = vocnlp.load()                                  # every model loaded once ("accurate", a YAML file...)
    result = nlp(df, text="comment", nps="nps")          # DataFrames in, DataFrames out; call it again and again
    result.comments, result.mentions, result.drivers, result.summary
    result.save("results/")                              # the run folder `vocnlp run` writes
    vocnlp.analyze(df, text="comment")                   # one-off: loads the models for this call only
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# The public names are loaded on first use (PEP 562): `import vocnlp` stays light, so the command line can start
# (and a Ctrl-C during start-up be answered cleanly) before pandas, torch and the models are imported.
_PUBLIC = {
    "RunConfig": "config",
    "load_config": "config",
    "AnalysisResult": "pipeline.result",
    "Pipeline": "pipeline.runner",
    "analyze": "pipeline.analysis_run",
    "analyze_file": "pipeline.analysis_run",
    "load": "pipeline.runner",
    "write_outputs": "io.writers",
    "Stage": "pipeline.registry",
    "Batch": "pipeline.registry",
    "register_stage": "pipeline.registry",
}

__all__ = [*_PUBLIC, "__version__"]


def __getattr__(name: str):
    """The public name ``name``, imported from its module the first time it is asked for."""
    if name in _PUBLIC:
        value = getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'vocnlp' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_PUBLIC])
