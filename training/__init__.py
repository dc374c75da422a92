"""Retraining, evaluation and safe promotion of the classifiers (the data team's workflow)."""
