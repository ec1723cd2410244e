"""Feature engineering: the demand panel in, the model input table and its catalog out."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
