"""Feature engineering over the demand panel: plain pandas/numpy, no Kedro.

``build_model_input`` documents the leakage-free strategy (direct, origin-relative features).
"""

from .build import (
    KEY_COLUMNS,
    build_model_input,
    feature_columns,
    fold_origins,
    forecast_origins,
)
from .profile import FeatureTransforms, fit_transforms

__all__ = [
    "KEY_COLUMNS",
    "FeatureTransforms",
    "build_model_input",
    "feature_columns",
    "fit_transforms",
    "fold_origins",
    "forecast_origins",
]
