"""Classifier heads (scikit-learn estimators) and model folders that pair them with a backbone."""

from .linear import LinearHead
from .mlp import MLPHead
from .model_folder import TextClassifier, load_model_folder, save_model_folder

__all__ = ["LinearHead", "MLPHead", "TextClassifier", "load_model_folder", "save_model_folder"]
