"""Global tree models over all series: XGBoost, LightGBM and scikit-learn's RandomForest."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .base import ForecastContext, Forecaster, forward, inverse, row_scale


def _design(rows: pd.DataFrame, features: list[str]) -> np.ndarray:
    return rows[features].to_numpy(dtype="float32")


# Short names of the training objectives the search space may choose from. The count
# objectives (Tweedie, Poisson: what the M5 competition's winners used on item-level sales)
# model a mean that is zero on most days; they need a non-negative target.
OBJECTIVES = {
    "squarederror": "reg:squarederror",
    "tweedie": "reg:tweedie",
    "poisson": "count:poisson",
}


def _boosting_inputs(
    family: str, params: dict, objectives: dict[str, str], train: pd.DataFrame, context
) -> tuple[int, str, dict, np.ndarray]:
    """(rounds, the library's objective name, the other booster parameters, the training
    target) of a gradient-boosting family whose ``objectives`` map the short names."""
    params = dict(params)
    rounds = int(params.pop("n_estimators", 300))
    objective = params.pop("objective", "squarederror")
    if objective not in objectives and objective not in objectives.values():
        raise ValueError(f"{family} objective {objective!r}: expected one of {sorted(objectives)}")
    objective = objectives.get(objective, objective)
    if objective != objectives["tweedie"]:
        params.pop("tweedie_variance_power", None)
    target = forward(train["demand"].to_numpy(), row_scale(train), context.target_transform)
    if objective in (objectives["tweedie"], objectives["poisson"]):
        target = np.clip(target, 0, None)  # count objectives model a non-negative mean
    return rounds, objective, params, target


class XGBoostForecaster(Forecaster):
    """Gradient-boosted trees (hist) on the transformed target, with squared error or a count
    objective (``objective``: squarederror | tweedie | poisson, chosen by CV when the search
    space lists them)."""

    name = "xgboost"
    version = 2  # objectives by short name

    def fit(self, train: pd.DataFrame, context: ForecastContext) -> XGBoostForecaster:
        import xgboost as xgb

        rounds, objective, params, target = _boosting_inputs(
            self.name, self.params, OBJECTIVES, train, context
        )
        booster_params = {
            "objective": objective,
            "tree_method": "hist",
            "nthread": context.n_jobs,
            "seed": context.seed,
            "verbosity": 0,
            **params,
        }
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


# LightGBM's names for the same objectives (the short names are shared with XGBoost's).
LIGHTGBM_OBJECTIVES = {
    "squarederror": "regression",
    "tweedie": "tweedie",
    "poisson": "poisson",
}


class LightGBMForecaster(Forecaster):
    """Gradient-boosted trees (leaf-wise, histogram) on the transformed target, with squared
    error or a count objective (``objective``: squarederror | tweedie | poisson, chosen by CV
    when the search space lists them). Seeded, deterministic and row-wise, so a rerun with the
    same seed and ``n_jobs`` is bit-identical; NaN features are handled natively."""

    name = "lightgbm"

    def fit(self, train: pd.DataFrame, context: ForecastContext) -> LightGBMForecaster:
        import lightgbm as lgb

        rounds, objective, params, target = _boosting_inputs(
            self.name, self.params, LIGHTGBM_OBJECTIVES, train, context
        )
        booster_params = {
            "objective": objective,
            "num_threads": context.n_jobs,
            "seed": context.seed,
            "deterministic": True,
            "force_row_wise": True,
            "verbosity": -1,
            **params,
        }
        dataset = lgb.Dataset(
            _design(train, context.features),
            label=target,
            feature_name=list(context.features),
            params={"verbosity": -1},
            free_raw_data=True,
        )
        self.booster_ = lgb.train(booster_params, dataset, num_boost_round=rounds)
        self.features_ = list(context.features)
        return self

    def predict(self, rows: pd.DataFrame, context: ForecastContext) -> np.ndarray:
        raw = self.booster_.predict(
            _design(rows, context.features), num_threads=context.n_jobs, verbosity=-1
        )
        return inverse(np.asarray(raw, dtype="float64"), row_scale(rows), context.target_transform)

    def feature_importances(self) -> pd.Series:
        gain = self.booster_.feature_importance(importance_type="gain")
        return pd.Series(gain, index=self.features_, dtype="float64").sort_values(ascending=False)


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
