"""Demand forecasting and inventory optimization as Kedro pipelines."""

__version__ = "0.1.0"
