"""Cleaning policies for the demand panel, each one explicit and driven by parameters."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .contract import DATE, DEMAND, IS_CLOSED, IS_KNOWN, IS_OBSERVED, IS_OUTLIER, SERIES_ID
from .periods import Frequency

MISSING_POLICIES = ("nan", "zero", "closed")
NEGATIVE_POLICIES = ("keep", "clip")
MIN_LOG_SPREAD = 0.25  # about +-28 % around the median on the demand scale


def complete_calendar(
    frame: pd.DataFrame,
    frequency: str,
    static_columns: Sequence[str] = (),
    through: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Give every series one row per period from its first date to the panel's last date
    (``through``, default the latest date in ``frame``).

    A series whose last record is earlier (an item with no sale in the last days of an order
    export) keeps its trailing periods, so it is forecast and planned from the panel's end
    like every other series; the missing policy then says what those periods mean.
    Rows that existed get ``is_observed = True``; inserted rows carry NaN in every other column
    except ``static_columns`` (the series' keys), which are copied from the series.
    """
    period = Frequency.of(frequency)
    bounds = frame.groupby(SERIES_ID, sort=True, observed=True)[DATE].agg(["min", "max"])
    bounds["max"] = frame[DATE].max() if through is None else pd.Timestamp(through)
    counts = period.periods_between(bounds["min"], bounds["max"]).astype("int64").to_numpy() + 1
    series = np.repeat(bounds.index.to_numpy(), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    dates = period.shift(np.repeat(bounds["min"].to_numpy(), counts), offsets)
    grid = pd.DataFrame({SERIES_ID: series, DATE: dates})

    observed = frame.assign(**{IS_OBSERVED: True})
    completed = grid.merge(observed, on=[SERIES_ID, DATE], how="left", sort=False)
    completed[IS_OBSERVED] = completed[IS_OBSERVED].fillna(False).astype(bool)
    if static_columns:
        statics = frame.drop_duplicates(SERIES_ID).set_index(SERIES_ID)[list(static_columns)]
        for column in static_columns:
            completed[column] = completed[SERIES_ID].map(statics[column])
    return completed


def discontinued_series(
    panel: pd.DataFrame, frequency: str, after_days: float | None
) -> pd.DataFrame:
    """Series with no recorded sale in the last ``after_days`` days up to the panel's end.

    The rule is the data's only evidence that an item left the range: its last observed
    positive demand (or its first date, if it never sold) lies at least that many days, in
    whole periods, before the panel's last date. ``None`` or 0 switches the rule off. Returns
    ``series_id``, ``last_sale`` (NaT if never sold) and ``idle_periods``, sorted by series.
    """
    columns = {SERIES_ID: pd.Series(dtype=object), "last_sale": pd.Series(dtype="datetime64[ns]")}
    if not after_days:
        return pd.DataFrame({**columns, "idle_periods": pd.Series(dtype="int64")})
    period = Frequency.of(frequency)
    threshold = int(np.ceil(float(after_days) / period.days_per_period))
    end = panel[DATE].max()
    sold = panel[panel[IS_OBSERVED] & (panel[DEMAND] > 0)]
    groups = panel.groupby(SERIES_ID, sort=True, observed=True)[DATE]
    last_sale = sold.groupby(SERIES_ID, observed=True)[DATE].max().reindex(groups.min().index)
    since = last_sale.fillna(period.shift(groups.min(), -1))
    idle = period.periods_between(since, end).astype("int64")
    stopped = idle[idle >= threshold]
    return pd.DataFrame(
        {
            SERIES_ID: stopped.index.astype(str),
            "last_sale": last_sale.reindex(stopped.index).to_numpy(),
            "idle_periods": stopped.to_numpy(),
        }
    )


def fill_unobserved(
    panel: pd.DataFrame, policy: str, covariates: Sequence[str] = ()
) -> pd.DataFrame:
    """Decide what an inserted (unobserved) period means.

    ``nan``: demand unknown, left missing so models skip it; ``zero``: no sale happened, a
    known demand of zero (``is_known``) that models learn from and metrics score; ``closed``:
    the store was closed (``is_closed``), demand zero by design and never learned from.
    Covariates of inserted rows are carried forward within the series, else zero.
    """
    if policy not in MISSING_POLICIES:
        raise ValueError(f"missing_policy '{policy}' is not one of {MISSING_POLICIES}.")
    panel = panel.copy()
    unobserved = ~panel[IS_OBSERVED]
    if policy in ("zero", "closed"):
        panel.loc[unobserved, DEMAND] = 0.0
    if policy == "closed":
        panel.loc[unobserved, IS_CLOSED] = True
    panel[IS_CLOSED] = panel[IS_CLOSED].fillna(False).astype(bool)
    # A closed period's demand is zero by design, not a known zero: never learned from.
    panel[IS_KNOWN] = (panel[IS_OBSERVED] | (unobserved & (policy == "zero"))) & ~panel[IS_CLOSED]
    present = [c for c in covariates if c in panel.columns]
    if present and unobserved.any():
        filled = panel.groupby(SERIES_ID, sort=False)[present].ffill()
        filled = filled.where(filled.notna(), 0).infer_objects()
        panel.loc[unobserved, present] = filled.loc[unobserved]
    if policy == "closed" and "is_open" in panel.columns:
        panel.loc[unobserved, "is_open"] = 0.0
    return panel


def handle_closed(panel: pd.DataFrame) -> pd.DataFrame:
    """Closed periods have zero demand by design, whatever the raw record said."""
    panel = panel.copy()
    panel.loc[panel[IS_CLOSED], DEMAND] = 0.0
    return panel


def handle_negatives(panel: pd.DataFrame, policy: str) -> pd.DataFrame:
    """``keep`` negative demand (returns) as they are, or ``clip`` them to zero."""
    if policy not in NEGATIVE_POLICIES:
        raise ValueError(f"negative_policy '{policy}' is not one of {NEGATIVE_POLICIES}.")
    if policy == "clip":
        panel = panel.assign(**{DEMAND: panel[DEMAND].clip(lower=0)})
    return panel


def signed_log1p(values: pd.Series | np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype="float64")
    return np.sign(values) * np.log1p(np.abs(values))


def flag_outliers(panel: pd.DataFrame, threshold: float, cap: bool = False) -> pd.DataFrame:
    """Flag demand more than ``threshold`` robust z-scores from its series median.

    The score is computed on signed log1p demand (sales are right-skewed) over observed, open,
    non-zero periods, so an intermittent item's zeros are never outliers and its sale sizes are
    compared with each other: z = (x - median) / (MAD / 0.6745). Series whose MAD is zero fall
    back to the mean absolute deviation, and the spread is floored at ``MIN_LOG_SPREAD`` so
    that near-constant series do not flag ordinary noise. Flagged rows are kept; with ``cap``
    their demand is capped at the threshold's value.
    """
    panel = panel.copy()
    usable = panel[IS_OBSERVED] & ~panel[IS_CLOSED] & panel[DEMAND].notna() & (panel[DEMAND] != 0)
    scaled = pd.Series(signed_log1p(panel[DEMAND].fillna(0.0)), index=panel.index)
    scaled = scaled.where(usable)
    groups = scaled.groupby(panel[SERIES_ID], sort=False)
    median = groups.transform("median")
    deviation = (scaled - median).abs()
    mad = deviation.groupby(panel[SERIES_ID], sort=False).transform("median")
    mean_ad = deviation.groupby(panel[SERIES_ID], sort=False).transform("mean")
    spread = (mad / 0.6745).where(mad > 0, mean_ad * 1.2533).clip(lower=MIN_LOG_SPREAD)
    score = (scaled - median) / spread.where(spread > 0)
    panel[IS_OUTLIER] = (score.abs() > threshold).fillna(False).astype(bool)
    if cap and panel[IS_OUTLIER].any():
        limit = median + np.sign(score) * threshold * spread
        capped = np.sign(limit) * np.expm1(np.abs(limit))
        panel.loc[panel[IS_OUTLIER], DEMAND] = capped[panel[IS_OUTLIER]]
    return panel


def clean_panel(
    panel: pd.DataFrame,
    covariates: Sequence[str],
    missing_policy: str,
    negative_policy: str,
    outlier_threshold: float,
    cap_outliers: bool = False,
) -> pd.DataFrame:
    """Apply every cleaning policy in a fixed order and return the tidy panel."""
    panel = fill_unobserved(panel, missing_policy, covariates)
    panel = handle_closed(panel)
    panel = handle_negatives(panel, negative_policy)
    panel = flag_outliers(panel, outlier_threshold, cap_outliers)
    panel[DEMAND] = panel[DEMAND].astype("float64")
    return panel.sort_values([SERIES_ID, DATE], kind="stable").reset_index(drop=True)
