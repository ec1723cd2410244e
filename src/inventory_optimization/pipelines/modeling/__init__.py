"""Modeling: five forecaster families tuned on rolling-origin CV, stacked, calibrated."""

from .pipeline import MODELS, create_pipeline

__all__ = ["MODELS", "create_pipeline"]
