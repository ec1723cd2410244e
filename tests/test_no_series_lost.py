"""No item vanishes (issue: an item with no sale on the last days of an order export left the
forecast and the plan). Every series with history runs to the panel's last date, gets a row at
the live forecast origin and a plan row; one idle for longer than the documented rule is listed
in the plan as discontinued, with no order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import yaml

from inventory_optimization.features import build_model_input, fit_transforms
from inventory_optimization.panel.cleaning import clean_panel, discontinued_series
from inventory_optimization.pipelines.data_engineering import nodes as de_nodes
from inventory_optimization.pipelines.replenishment import nodes as plan_nodes
from inventory_optimization.sources.custom import build_custom_panel
from tests.conftest import PROJECT_ROOT
from tests.inventory.test_inventory_nodes import SETTINGS, _forecast

MAPPING = {
    "kind": "custom",
    "frequency": "D",
    "unit": "units",
    "date_column": "Order Date",
    "dayfirst": True,
    "key_columns": {"item_id": "Item Name"},
    "target_column": "Quantity",
    "aggregate": "sum",
}
CLEANING = {
    "missing_policy": "zero",
    "negative_policy": "clip",
    "outlier_threshold": 5.0,
    "discontinued_after_days": 28,
}
DAYS = 120
PARAMETERS = PROJECT_ROOT / "conf" / "base" / "parameters_feature_engineering.yml"
END = pd.Timestamp("2024-01-01") + pd.Timedelta(days=DAYS - 1)


def _orders() -> pd.DataFrame:
    """Four menu items over 120 days: A sells every day; B's last order is 10 days before the
    export's end; C's is 60 days before it; D sold on the first day only."""
    rng = np.random.default_rng(0)
    days = pd.date_range("2024-01-01", periods=DAYS)
    last = {"A": END, "B": END - pd.Timedelta(days=10), "C": END - pd.Timedelta(days=60)}
    lines = [
        (day, item, int(rng.integers(1, 4)))
        for item, until in last.items()
        for day in days
        if day <= until and (item == "A" or rng.random() < 0.5 or day == until)
    ]
    lines.append((days[0], "D", 2))
    frame = pd.DataFrame(lines, columns=["date", "Item Name", "Quantity"])
    frame["Order Date"] = frame.pop("date").dt.strftime("%d/%m/%Y 19:30")
    return frame


def _panel() -> tuple[pd.DataFrame, dict]:
    raw, attributes, summary = build_custom_panel(_orders(), MAPPING)
    panel = clean_panel(raw, summary.known_covariates, "zero", "clip", 5.0)
    report = de_nodes.report_data_quality(panel)[0]
    metadata = de_nodes.describe_panel(panel, attributes, summary.to_dict(), CLEANING, report)
    return panel, metadata


def test_every_series_runs_to_the_panels_last_date():
    panel, metadata = _panel()
    ends = panel.groupby("series_id")["date"].max()
    assert set(ends.index) == {"A", "B", "C", "D"}
    assert (ends == END).all()
    trailing_b = panel[(panel["series_id"] == "B") & (panel["date"] > END - pd.Timedelta(days=10))]
    assert len(trailing_b) == 10
    assert (trailing_b["demand"] == 0).all() and not trailing_b["is_observed"].any()
    assert metadata["series"] == 4 and metadata["last_date"] == str(END.date())


def test_the_discontinued_rule_lists_long_idle_and_never_selling_series():
    panel, metadata = _panel()
    stopped = discontinued_series(panel, "D", 28).set_index("series_id")
    assert stopped.index.tolist() == ["C", "D"]
    assert stopped.loc["C", "idle_periods"] == 60
    assert stopped.loc["D", "last_sale"] == pd.Timestamp("2024-01-01")
    assert metadata["discontinued"]["count"] == 2
    assert metadata["discontinued"]["series"] == {
        "C": str((END - pd.Timedelta(days=60)).date()),
        "D": "2024-01-01",
    }
    assert discontinued_series(panel, "D", None).empty
    # B's last sale is 10 days back: a 10-day rule lists it too, an 11-day rule does not.
    assert discontinued_series(panel, "D", 10)["series_id"].tolist() == ["B", "C", "D"]
    assert discontinued_series(panel, "D", 11)["series_id"].tolist() == ["C", "D"]


def test_every_series_has_a_row_at_the_live_origin():
    panel, metadata = _panel()
    attributes = pd.DataFrame({"series_id": ["A", "B", "C", "D"]})
    features = yaml.safe_load(PARAMETERS.read_text())["features"]
    params = {**features["daily"], **{k: v for k, v in features.items() if k != "daily"}}
    transforms = fit_transforms(panel, attributes, END - pd.Timedelta(days=14), "D", 7, 56)
    origins = pd.DatetimeIndex([END])
    model_input, _ = build_model_input(panel, attributes, metadata, transforms, origins, 7, params)
    assert set(model_input["series_id"].astype(str)) == {"A", "B", "C", "D"}
    assert model_input.groupby("series_id", observed=True).size().eq(7).all()


def test_the_plan_lists_every_series_and_orders_nothing_for_discontinued_ones():
    _, metadata = _panel()
    forecast = _forecast(series=("A", "B", "C", "D"))
    forecast["store_id"] = forecast["series_id"]
    items = plan_nodes.build_item_parameters(
        pd.DataFrame({"series_id": ["A", "B", "C", "D"]}), {**metadata, "frequency": "D"}, SETTINGS
    )
    positions = pd.DataFrame(
        {"series_id": ["A", "B", "C", "D"], "on_hand": 0.0, "on_order": [0.0, 0.0, 3.0, 0.0]}
    )
    plan, _ = plan_nodes.plan_replenishment(
        forecast, items, positions, {**metadata, "keys": ["item_id"]}, SETTINGS
    )
    assert sorted(plan["series_id"]) == ["A", "B", "C", "D"]
    by_series = plan.set_index("series_id")
    assert (by_series.loc[["A", "B"], "status"] == "planned").all()
    assert (by_series.loc[["A", "B"], "order_qty"] > 0).all()
    assert by_series.loc[["C", "D"], "order_qty"].eq(0).all()
    assert by_series.loc["C", "on_order"] == 3.0
    assert by_series.loc["C", "status"].startswith("discontinued: no sale since ")
    assert "28 days" in by_series.loc["D", "status"]
