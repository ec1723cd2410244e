"""Data engineering: raw sources in, the validated and cleaned demand panel out."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
