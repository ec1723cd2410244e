"""Source adapters: raw tables of one dataset in, a validated raw demand panel out.

Each adapter is a plain function over DataFrames (no file access) returning
``(panel, series_attributes, SourceSummary)``; the data engineering pipeline wraps them.
"""

from .custom import build_custom_panel
from .recruit import build_recruit_panel
from .rossmann import build_rossmann_panel
from .synthetic import build_synthetic_panel
from .walmart import build_walmart_panel

__all__ = [
    "build_custom_panel",
    "build_recruit_panel",
    "build_rossmann_panel",
    "build_synthetic_panel",
    "build_walmart_panel",
]
