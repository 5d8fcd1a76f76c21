"""Classifier heads (scikit-learn estimators) and model folders that pair them with a backbone."""

from .linear import LinearHead
from .mlp import MLPHead
from .neighbours import NeighbourHead
from .model_folder import TextClassifier, load_model_folder, save_model_folder

__all__ = ["LinearHead", "MLPHead", "NeighbourHead", "TextClassifier", "load_model_folder", "save_model_folder"]
