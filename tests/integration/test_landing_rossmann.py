"""A landed day and a late correction upserted into Rossmann's raw panel (a few stores), its
covariates (open, promo, state holiday, customers, weather) kept or filled, then cleaned."""

from __future__ import annotations

import pandas as pd

from inventory_optimization.datasets import RawTableDataset
from inventory_optimization.panel.cleaning import clean_panel
from inventory_optimization.panel.contract import DATE, DEMAND, IS_OBSERVED, SERIES_ID
from inventory_optimization.panel.landing import LandedSales, absorb_landing, upsert_landed
from inventory_optimization.sources.rossmann import build_rossmann_panel
from tests.conftest import shared_dataset

STORES = [1, 2, 3]


def _rossmann_few_stores():
    raw = shared_dataset("rossmann")
    train = RawTableDataset(str(raw / "train.csv"), load_args={"dtype": {"StateHoliday": str}})
    train = train.load()
    stores = RawTableDataset(str(raw / "store.csv")).load()
    states = RawTableDataset(str(raw / "store_states.csv")).load()
    weather = RawTableDataset(str(raw / "weather" / "weather_*.csv"), {"sep": ";"}).load()
    return build_rossmann_panel(
        train[train["Store"].isin(STORES)].reset_index(drop=True),
        stores[stores["Store"].isin(STORES)],
        states[states["Store"].isin(STORES)],
        weather,
    )


def test_a_landed_rossmann_day_keeps_or_fills_its_covariates_and_cleans():
    panel, _, summary = _rossmann_few_stores()
    last = panel[DATE].max()
    day = last + pd.Timedelta(days=1)
    landed = (
        "store_id,date,demand,promo\n"
        f"1,{day:%Y-%m-%d},5100,1\n2,{day:%Y-%m-%d},4800,\n"
        f"3,{last:%Y-%m-%d},9999,\n"  # a demand-only correction of the export's last day
    ).encode()
    state, report = absorb_landing(
        {"2015-08-01.csv": landed}, LandedSales(), panel, summary, today=day
    )
    assert (report.new, report.corrected) == (2, 1)
    upserted, notes = upsert_landed(panel, state, summary)
    by_key = upserted.set_index([SERIES_ID, DATE])
    before = panel.set_index([SERIES_ID, DATE]).loc[("3", last)]
    corrected = by_key.loc[("3", last)]
    assert corrected[DEMAND] == 9999.0
    for column in ("promo", "state_holiday", "school_holiday", "customers", "is_open"):
        assert corrected[column] == before[column], column
    new = by_key.xs(day, level=DATE).loc[["1", "2"]]
    assert new[DEMAND].tolist() == [5100.0, 4800.0] and new[IS_OBSERVED].all()
    assert new.loc["1", "promo"] == 1.0  # given by the file
    assert new.loc["2", "promo"] == panel.loc[panel[SERIES_ID] == "2", "promo"].iloc[-1]
    assert new["is_open"].eq(1.0).all() and new["customers"].isna().all()
    assert "state_holiday" in notes.carried and "customers" in notes.left_missing
    assert not by_key.loc[("3", day), IS_OBSERVED]  # store 3 sent nothing for the new day

    cleaned = clean_panel(
        upserted,
        covariates=summary.known_covariates,
        missing_policy="nan",
        negative_policy="keep",
        outlier_threshold=5.0,
    )
    assert cleaned[DATE].max() == day and cleaned[SERIES_ID].nunique() == len(STORES)
    assert cleaned.set_index([SERIES_ID, DATE]).loc[("1", day), "is_known"]
