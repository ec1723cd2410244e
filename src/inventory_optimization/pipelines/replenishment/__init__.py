"""Inventory optimization: forecasts with quantiles in, what to order today and its backtest out."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
