"""Sentence embedding backbones behind one small protocol, plus a bounded cache."""

from .backends import EmbeddingBackend, available_backbones, load_backbone
from .cache import CachedEncoder

__all__ = ["EmbeddingBackend", "CachedEncoder", "available_backbones", "load_backbone"]
