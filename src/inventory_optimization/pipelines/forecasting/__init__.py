"""Forecasting: the latest origin's forecast from the saved forecaster bundle, no training."""

from .pipeline import create_pipeline, create_report_pipeline

__all__ = ["create_pipeline", "create_report_pipeline"]
