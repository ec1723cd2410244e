"""The demand panel: its contract, validation, cleaning and quality report.

Plain pandas/numpy code with no Kedro imports, so notebooks and tests use it directly.
"""

from .contract import DATE, DEMAND, FLAGS, SERIES_ID, SourceSummary
from .validation import DataValidationError

__all__ = ["DATE", "DEMAND", "FLAGS", "SERIES_ID", "DataValidationError", "SourceSummary"]
