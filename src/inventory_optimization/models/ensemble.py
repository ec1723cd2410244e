"""Stacking: non-negative weights summing to one, learned from out-of-fold predictions."""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize


def stacking_weights(predictions: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Weights w >= 0, sum(w) = 1 minimising the squared error of ``predictions @ w``.

    ``predictions`` is (rows, models) in the target space; rows with any NaN are skipped.
    """
    keep = ~np.isnan(predictions).any(axis=1) & ~np.isnan(target)
    matrix, target = predictions[keep], target[keep]
    n_models = matrix.shape[1]
    if n_models == 1 or len(target) == 0:
        return np.full(n_models, 1.0 / n_models)

    def loss(weights: np.ndarray) -> float:
        return float(np.mean((matrix @ weights - target) ** 2))

    def gradient(weights: np.ndarray) -> np.ndarray:
        return 2 * matrix.T @ (matrix @ weights - target) / len(target)

    result = minimize(
        loss,
        np.full(n_models, 1.0 / n_models),
        jac=gradient,
        method="SLSQP",
        bounds=[(0.0, 1.0)] * n_models,
        constraints=[{"type": "eq", "fun": lambda w: np.sum(w) - 1.0}],
    )
    weights = np.clip(result.x, 0.0, None)
    return weights / weights.sum()
