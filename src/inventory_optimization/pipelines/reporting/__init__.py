"""Reporting: charts kedro-viz previews and one self-contained HTML summary for stakeholders."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
