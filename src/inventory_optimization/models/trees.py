"""Global tree models over all series: XGBoost and scikit-learn's RandomForest."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .base import ForecastContext, Forecaster, forward, inverse, row_scale


def _design(rows: pd.DataFrame, features: list[str]) -> np.ndarray:
    return rows[features].to_numpy(dtype="float32")


class XGBoostForecaster(Forecaster):
    """Gradient-boosted trees (hist) on the transformed target."""

    name = "xgboost"

    def fit(self, train: pd.DataFrame, context: ForecastContext) -> XGBoostForecaster:
        import xgboost as xgb

        params = dict(self.params)
        rounds = int(params.pop("n_estimators", 300))
        booster_params = {
            "objective": "reg:squarederror",
            "tree_method": "hist",
            "nthread": context.n_jobs,
            "seed": context.seed,
            "verbosity": 0,
            **params,
        }
        target = forward(train["demand"].to_numpy(), row_scale(train), context.target_transform)
        matrix = xgb.DMatrix(
            _design(train, context.features),
            label=target,
            feature_names=context.features,
            nthread=context.n_jobs,
        )
        self.booster_ = xgb.train(booster_params, matrix, num_boost_round=rounds)
        return self

    def predict(self, rows: pd.DataFrame, context: ForecastContext) -> np.ndarray:
        import xgboost as xgb

        matrix = xgb.DMatrix(
            _design(rows, context.features), feature_names=context.features, nthread=context.n_jobs
        )
        return inverse(
            self.booster_.predict(matrix).astype("float64"),
            row_scale(rows),
            context.target_transform,
        )

    def feature_importances(self) -> pd.Series:
        gain = self.booster_.get_score(importance_type="total_gain")
        return pd.Series(gain, dtype="float64").sort_values(ascending=False)


class RandomForestForecaster(Forecaster):
    """scikit-learn RandomForest on the transformed target; NaN features are filled with a
    sentinel (-999) that trees separate from real values."""

    name = "random_forest"

    def fit(self, train: pd.DataFrame, context: ForecastContext) -> RandomForestForecaster:
        from sklearn.ensemble import RandomForestRegressor

        self.model_ = RandomForestRegressor(
            random_state=context.seed, n_jobs=context.n_jobs, **self.params
        )
        target = forward(train["demand"].to_numpy(), row_scale(train), context.target_transform)
        self.model_.fit(np.nan_to_num(_design(train, context.features), nan=-999.0), target)
        self.features_ = list(context.features)
        return self

    def predict(self, rows: pd.DataFrame, context: ForecastContext) -> np.ndarray:
        design = np.nan_to_num(_design(rows, context.features), nan=-999.0)
        # Threads sum the trees' predictions in no fixed order; one keeps reruns bit-identical.
        self.model_.set_params(n_jobs=1)
        return inverse(self.model_.predict(design), row_scale(rows), context.target_transform)

    def feature_importances(self) -> pd.Series:
        return pd.Series(self.model_.feature_importances_, index=self.features_).sort_values(
            ascending=False
        )
