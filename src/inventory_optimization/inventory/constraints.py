"""Orders under a shared budget or storage capacity: a mixed-integer programme (HiGHS).

Each item orders a whole number of case packs ``x = pack * n`` (0 or at least the MOQ, through a
binary "order or not"), never more than its unconstrained policy quantity. Expected sales
``E[min(D, x)]`` over the cover period are concave in ``x``; they are modelled by the chords
between knots at the forecast quantiles (exact at the knots), written as ``sales <= line`` for
every chord, which the maximisation makes tight. The objective is the expected profit
``price * sales - cost * x + salvage * (x - sales)``.

When the unconstrained plan already fits, it is returned as is: a service-level policy may
deliberately order beyond the profit-optimal quantity, and the programme only decides what to
cut when something must be cut. For non-perishables, pass as ``salvage`` what a leftover unit is
still worth next cycle (about its cost less its holding cost), so cutting follows the margin.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from .distributions import TAIL_KNOT_LEVEL, check_quantiles, partial_integrals, tail_slopes

DEFAULT_TIME_LIMIT = 60.0  # seconds
SHORT_LIMIT_GAP = 0.01  # a plan a short time limit stops with is kept within 1 % of the best
_KNOT_GAP = 1e-9  # chords shorter than this are skipped (repeated quantile values)
_TIE_BREAK = 1e-7  # per unit of cost: among equally profitable plans, prefer more units


def expected_sales_knots(
    quantile_table: np.ndarray, levels: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Knots ``(x, E[min(D, x)])`` per item, ``(items, knots)`` each, and the mean demand.

    Knots: 0, every quantile and one inside the upper tail; beyond the last knot the expected
    sales are capped by the mean.
    """
    q, levels = check_quantiles(quantile_table, levels)
    _, tail_scale = tail_slopes(q, levels)
    integrals = partial_integrals(q, levels)  # int_0^{l_k} Q(u) du
    at_quantiles = integrals + q * (1 - levels)  # E[min(D, q_k)]
    w_last, w_knot = 1 - levels[-1], 1 - max(TAIL_KNOT_LEVEL, levels[-1])
    ratio = np.log(w_last / w_knot)
    tail_x = q[:, -1] + tail_scale * ratio
    tail_integral = q[:, -1] * (w_last - w_knot) + tail_scale * (w_last - w_knot - w_knot * ratio)
    tail_sales = integrals[:, -1] + tail_integral + tail_x * w_knot
    mean = integrals[:, -1] + w_last * (q[:, -1] + tail_scale)
    zeros = np.zeros((len(q), 1))
    x = np.concatenate([zeros, q, tail_x[:, None]], axis=1)
    sales = np.concatenate([zeros, at_quantiles, tail_sales[:, None]], axis=1)
    # Rounding must not let the chords exceed the mean or lose monotonicity.
    sales = np.minimum(np.maximum.accumulate(sales, axis=1), mean[:, None])
    return x, sales, mean


def _chords(x: np.ndarray, sales: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Item index, slope and intercept of every chord of positive length."""
    dx = np.diff(x, axis=1)
    keep = dx > _KNOT_GAP
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.diff(sales, axis=1) / dx
    intercept = sales[:, :-1] - slope * x[:, :-1]
    item = np.broadcast_to(np.arange(len(x))[:, None], dx.shape)
    return item[keep], slope[keep], intercept[keep]


def _as_items(value: np.ndarray | float | None, n: int, default: float = 0.0) -> np.ndarray:
    value = default if value is None else value
    return np.broadcast_to(np.asarray(value, dtype=float), (n,)).copy()


def _violated(
    qty: np.ndarray, weights: dict[str, np.ndarray], limits: dict[str, float]
) -> list[str]:
    return [name for name, limit in limits.items() if float(weights[name] @ qty) > limit]


def constrained_orders(
    unconstrained_qty: np.ndarray,
    case_pack: np.ndarray | float,
    moq: np.ndarray | float,
    unit_cost: np.ndarray | float,
    unit_volume: np.ndarray | float | None,
    quantile_table: np.ndarray,
    levels: np.ndarray,
    price: np.ndarray | float,
    salvage: np.ndarray | float = 0.0,
    budget: float | None = None,
    capacity: float | None = None,
    max_cases: np.ndarray | float | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT,
    mip_rel_gap: float = 1e-4,
) -> tuple[np.ndarray, str | None]:
    """Order quantities (whole case packs) within the budget and capacity, and which binds.

    ``quantile_table (items, levels)`` is the demand the order must cover (over its cover
    period, net of stock already held). ``max_cases`` caps the cases per item. Returns the
    quantities and ``None`` when the unconstrained plan fits, else the constraint that forced
    the cut (``"budget"``, ``"capacity"``; the tighter one at the answer when both do;
    ``"max_cases"`` when only the per-item cap cut the plan).
    """
    wanted = np.asarray(unconstrained_qty, dtype=float)
    n_items = len(wanted)
    if capacity is not None and unit_volume is None:
        raise ValueError("a capacity needs the unit volume of every item")
    pack = _as_items(case_pack, n_items, 1.0)
    if (pack <= 0).any():
        raise ValueError("case packs must be positive")
    minimum = np.ceil(_as_items(moq, n_items) / pack - 1e-9) * pack
    cost = _as_items(unit_cost, n_items)
    volume = _as_items(unit_volume, n_items)
    cases_cap = np.floor(np.maximum(wanted, 0.0) / pack + 1e-9)
    if max_cases is not None:
        cases_cap = np.minimum(cases_cap, np.floor(_as_items(max_cases, n_items)))
    # Below the MOQ an item cannot be ordered at all.
    cases_cap = np.where(cases_cap * pack >= minimum, cases_cap, 0.0)
    plan = cases_cap * pack

    weights = {"budget": cost, "capacity": volume}
    limits = {
        name: float(limit)
        for name, limit in (("budget", budget), ("capacity", capacity))
        if limit is not None
    }
    if (np.array(list(limits.values())) < 0).any():
        raise ValueError("budget and capacity must be >= 0")
    violated = _violated(plan, weights, limits)
    if not violated:
        cut = max_cases is not None and bool((plan < np.floor(wanted / pack + 1e-9) * pack).any())
        return plan, ("max_cases" if cut else None)

    salvage = _as_items(salvage, n_items)
    item = {
        "pack": pack,
        "minimum": minimum,
        "cases_cap": cases_cap,
        "cost": cost,
        "margin": _as_items(price, n_items) - salvage,  # value of a sale over a leftover
        "overage": cost - salvage,  # loss on a unit left over
    }
    options = {"time_limit": time_limit, "mip_rel_gap": mip_rel_gap}
    knots = expected_sales_knots(quantile_table, levels)
    qty = _solve(item, knots, {name: weights[name] for name in limits}, limits, options)
    binding = violated[0]
    if len(violated) > 1:
        slack = {n: (limits[n] - weights[n] @ qty) / max(limits[n], 1e-12) for n in violated}
        binding = min(slack, key=slack.get)
    return qty, binding


class _Rows:
    """Sparse constraint rows collected block by block as (row, column, value) triplets."""

    def __init__(self) -> None:
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.values: list[np.ndarray] = []
        self.lower: list[np.ndarray] = []
        self.upper: list[np.ndarray] = []
        self.count = 0

    def add(self, rows, cols, values, low, high) -> None:
        n_rows = int(rows.max(initial=-1)) + 1
        self.rows.append(rows + self.count)
        self.cols.append(cols)
        self.values.append(np.asarray(values, dtype=float))
        self.lower.append(np.broadcast_to(np.asarray(low, dtype=float), (n_rows,)))
        self.upper.append(np.broadcast_to(np.asarray(high, dtype=float), (n_rows,)))
        self.count += n_rows

    def constraint(self, n_columns: int) -> LinearConstraint:
        matrix = sparse.csr_array(
            (
                np.concatenate(self.values),
                (np.concatenate(self.rows), np.concatenate(self.cols)),
            ),
            shape=(self.count, n_columns),
        )
        return LinearConstraint(matrix, np.concatenate(self.lower), np.concatenate(self.upper))


def _solve(
    item: dict[str, np.ndarray],
    knots: tuple[np.ndarray, np.ndarray, np.ndarray],
    weights: dict[str, np.ndarray],
    limits: dict[str, float],
    options: dict[str, float],
) -> np.ndarray:
    """Variables ``[n (cases, integer), z (order or not), s (expected sales)]`` per item."""
    pack, cap = item["pack"], item["cases_cap"]
    n_items = len(pack)
    idx = np.arange(n_items)
    n_col, z_col, s_col = idx, idx + n_items, idx + 2 * n_items
    knots_x, knots_sales, mean = knots
    # Minimise minus the expected profit (plus a negligible push towards the policy's units).
    objective = np.concatenate(
        [(item["overage"] - _TIE_BREAK * item["cost"]) * pack, np.zeros(n_items), -item["margin"]]
    )
    rows = _Rows()
    # n <= cap * z and pack * n >= moq * z: zero, or between the MOQ and the cap.
    rows.add(np.r_[idx, idx], np.r_[n_col, z_col], np.r_[np.ones(n_items), -cap], -np.inf, 0)
    rows.add(np.r_[idx, idx], np.r_[n_col, z_col], np.r_[pack, -item["minimum"]], 0, np.inf)
    # Expected sales under every chord: s - slope * pack * n <= intercept.
    chord_item, slope, intercept = _chords(knots_x, knots_sales)
    chord = np.arange(len(chord_item))
    rows.add(
        np.r_[chord, chord],
        np.r_[s_col[chord_item], n_col[chord_item]],
        np.r_[np.ones(len(chord)), -slope * pack[chord_item]],
        -np.inf,
        intercept,
    )
    for name, limit in limits.items():
        # HiGHS accepts integers within 1e-6 and rows within 1e-7: keep room for the rounding.
        room = 1e-6 * float(weights[name] @ pack) + 1e-7 * (1 + abs(limit))
        budget_row = np.zeros(n_items, dtype=int)
        rows.add(budget_row, n_col, weights[name] * pack, -np.inf, max(limit - room, 0.0))

    problem = {
        "c": objective,
        "integrality": np.r_[np.ones(2 * n_items), np.zeros(n_items)],
        "bounds": Bounds(np.zeros(3 * n_items), np.r_[cap, np.ones(n_items), mean]),
        "constraints": rows.constraint(3 * n_items),
    }
    result = milp(**problem, options=options)
    stopped = result.status == 1  # the time limit
    gap = getattr(result, "mip_gap", None)
    if (
        options["time_limit"] < DEFAULT_TIME_LIMIT
        and stopped
        and (result.x is None or gap is None or gap > SHORT_LIMIT_GAP)
    ):
        # A short limit (the service's) ran out before a plan near the best (or any plan:
        # its first is often "order nothing"), so take the time the daily run takes.
        result = milp(**problem, options={**options, "time_limit": DEFAULT_TIME_LIMIT})
    if result.x is None:  # nothing found in time: ordering nothing is always feasible
        return np.zeros(n_items)
    qty = np.round(result.x[n_col]) * pack
    # Guard against tolerance leftovers (practically never active): drop whole items, the
    # lowest margin first, until every limit holds.
    order = np.argsort(item["margin"] - item["overage"], kind="stable")
    for name, limit in limits.items():
        excess = float(weights[name] @ qty) - limit
        if excess > 0:
            load = weights[name][order] * qty[order]
            qty[order[(np.cumsum(load) - load) < excess]] = 0.0
    return qty
