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
    if len(target):
        # One model's wild predictions (far outside anything observed) would swamp the
        # squared error and stall the optimiser: bound them by the target's range, widened.
        low, high = float(target.min()), float(target.max())
        span = high - low
        matrix = np.clip(matrix, low - span, high + span)
    n_models = matrix.shape[1]
    if n_models == 1 or len(target) == 0:
        return np.full(n_models, 1.0 / n_models)

    # Normalised by the target's spread, so the optimiser's tolerances mean the same thing
    # whatever the target's unit (log sales, scaled units, raw currency).
    spread = float(np.std(target)) or 1.0
    matrix, target = matrix / spread, target / spread

    def loss(weights: np.ndarray) -> float:
        return float(np.mean((matrix @ weights - target) ** 2))

    def gradient(weights: np.ndarray) -> np.ndarray:
        return 2 * matrix.T @ (matrix @ weights - target) / len(target)

    start = np.full(n_models, 1.0 / n_models)
    result = minimize(
        loss,
        start,
        jac=gradient,
        method="SLSQP",
        bounds=[(0.0, 1.0)] * n_models,
        constraints=[{"type": "eq", "fun": lambda w: np.sum(w) - 1.0}],
        options={"ftol": 1e-12, "maxiter": 500},
    )
    if not result.success or not np.isfinite(result.fun):
        raise RuntimeError(f"stacking weights did not converge: {result.message}")
    weights = np.clip(result.x, 0.0, None)
    return weights / weights.sum()


def _rank(score: float) -> float:
    return score if np.isfinite(score) else np.inf


def candidate_weights(
    stacked: dict[str, float], single_scores: dict[str, float], top: int = 3
) -> dict[str, dict[str, float]]:
    """The ensemble's candidates, each as weights over every model, by label: ``stacking``,
    the simple average of the ``top`` models with the lowest ``single_scores`` (``average of
    a, b, c``: 1/top each, rounded to six decimals), and ``<model> alone`` (weight 1)."""
    models = list(stacked)
    best = sorted(models, key=lambda m: _rank(single_scores[m]))[:top]
    average = {m: round(1.0 / len(best), 6) if m in best else 0.0 for m in models}
    return {
        "stacking": dict(stacked),
        f"average of {', '.join(best)}": average,
        **{f"{m} alone": {n: float(n == m) for n in models} for m in models},
    }


def best_candidate(scores: dict[str, float]) -> str:
    """The label with the lowest score (NaN counts as worst; the first of equals wins, so
    stacking is kept on a tie)."""
    return min(scores, key=lambda label: _rank(scores[label]))
