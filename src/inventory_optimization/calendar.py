"""Public holidays from the ``holidays`` package, as a vectorised lookup over dates."""

from __future__ import annotations

import holidays
import numpy as np
import pandas as pd


def holiday_dates(country: str, years: range | list[int], subdiv: str | None = None) -> pd.Series:
    """Holiday names indexed by date for a country (ISO code, e.g. ``PE``, ``DE``, ``US``)."""
    try:
        calendar = holidays.country_holidays(country, subdiv=subdiv, years=list(years))
    except NotImplementedError as error:
        raise ValueError(f"country '{country}' is not known to the holidays package") from error
    table = pd.Series(dict(calendar), dtype="object")
    table.index = pd.to_datetime(table.index)
    return table.sort_index()


def is_holiday(dates: pd.Series, country: str, subdiv: str | None = None) -> np.ndarray:
    """1.0 where a date is a public holiday in the country, else 0.0."""
    dates = pd.to_datetime(dates)
    years = range(int(dates.dt.year.min()), int(dates.dt.year.max()) + 1)
    known = holiday_dates(country, years, subdiv).index
    return dates.dt.normalize().isin(known).to_numpy(dtype="float64")
