"""Feature engineering over the demand panel: plain pandas/numpy, no Kedro.

``build_model_input`` (``build.py``) documents the leakage-free strategy (direct,
origin-relative features) and composes the families on one ``Grid``: ``history``,
``intermittency``, ``covariates``, ``calendar_features``, ``static`` and ``derived``, each
declaring its columns in the ``FeatureCatalog`` as it builds them.
"""

from .build import (
    KEY_COLUMNS,
    HistoryTooShortError,
    build_model_input,
    check_origins,
    feature_columns,
    fold_origins,
    forecast_origins,
    frequency_settings,
)
from .profile import FeatureTransforms, fit_transforms

__all__ = [
    "KEY_COLUMNS",
    "FeatureTransforms",
    "HistoryTooShortError",
    "build_model_input",
    "check_origins",
    "feature_columns",
    "fit_transforms",
    "fold_origins",
    "forecast_origins",
    "frequency_settings",
]
