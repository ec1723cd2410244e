"""Reduced tuning budgets as runtime parameters (``kedro run --params``): what the
real-data integration tests and the replay benchmark train with, so a run takes minutes. The
real budgets live in each environment's ``parameters_modeling.yml``."""

# Fewer origins, one or two trials, small fits.
REDUCED_BUDGET = {
    # Enough origins that the earliest CV fold (117 days back) still has training rows.
    "features.origins.daily.count": 26,
    "ets.model_options.n_trials": 1,
    "random_forest.model_options.n_trials": 1,
    "random_forest.model_options.fixed.n_estimators": 10,
    "random_forest.model_options.max_train_rows": 50000,
    "random_forest.model_options.tuning_rows": 20000,
    "xgboost.model_options.n_trials": 2,
    "xgboost.model_options.fixed.n_estimators": 80,
    "xgboost.model_options.tuning_rows": 30000,
    "xgboost.model_options.max_train_rows": 150000,
    "lightgbm.model_options.n_trials": 1,
    "lightgbm.model_options.fixed.n_estimators": 80,
    "lightgbm.model_options.tuning_rows": 30000,
    "lightgbm.model_options.max_train_rows": 150000,
    "lstm.model_options.n_trials": 1,
    "lstm.model_options.tuning_rows": 3000,
    "lstm.model_options.fixed.epochs": 1,
    "lstm.model_options.fixed.max_rows": 5000,
}
