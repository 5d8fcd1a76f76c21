"""Classifier heads over sentence embeddings, with the scikit-learn estimator contract."""
