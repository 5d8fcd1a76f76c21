"""Sentence embedding backbones behind one small protocol, plus a bounded cache."""

from vocnlp.modeling.encoders.backends import EmbeddingBackend, available_backbones, load_backbone
from vocnlp.modeling.encoders.cache import CachedEncoder

__all__ = ["EmbeddingBackend", "CachedEncoder", "available_backbones", "load_backbone"]
