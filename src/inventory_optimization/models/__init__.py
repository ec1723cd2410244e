"""Forecasting models behind one interface, plus validation, tuning, calibration and stacking.

Plain Python over DataFrames (no Kedro), so notebooks and tests use it directly.
"""

from .base import ForecastContext, Forecaster, SeasonalNaive
from .ets import ETSForecaster
from .intermittent import CrostonForecaster, TSBForecaster
from .lstm import LSTMForecaster
from .trees import LightGBMForecaster, RandomForestForecaster, XGBoostForecaster

FORECASTERS: dict[str, type[Forecaster]] = {
    cls.name: cls
    for cls in (
        SeasonalNaive,
        CrostonForecaster,
        TSBForecaster,
        ETSForecaster,
        RandomForestForecaster,
        XGBoostForecaster,
        LightGBMForecaster,
        LSTMForecaster,
    )
}


def make_forecaster(name: str, params: dict | None = None) -> Forecaster:
    if name not in FORECASTERS:
        raise ValueError(f"unknown model '{name}'; expected one of {sorted(FORECASTERS)}")
    return FORECASTERS[name](**(params or {}))


__all__ = ["FORECASTERS", "ForecastContext", "Forecaster", "make_forecaster"]
