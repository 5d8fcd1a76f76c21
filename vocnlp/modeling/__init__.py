"""Classifier heads (scikit-learn estimators) and model folders that pair them with a backbone."""

from vocnlp.modeling.heads.linear import LinearHead
from vocnlp.modeling.heads.mlp import MLPHead
from vocnlp.modeling.heads.neighbours import NeighbourHead
from vocnlp.modeling.model_folder import TextClassifier, load_model_folder, save_model_folder

__all__ = ["LinearHead", "MLPHead", "NeighbourHead", "TextClassifier", "load_model_folder", "save_model_folder"]
