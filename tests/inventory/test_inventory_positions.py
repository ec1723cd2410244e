"""The user's stock positions (issue 15): the stock file checked against the panel, each bad
input refused with a message naming the column, the rows and what was expected; positions
assumed (and said so in the plan) where there is no file; per-series overrides of the item
parameters; the catalog entry in every environment; the plan of a user's export from a file."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest
from kedro.framework.startup import bootstrap_project

from inventory_optimization.datasets import OptionalTableDataset
from inventory_optimization.inventory import positions as pos
from inventory_optimization.panel import DataValidationError
from inventory_optimization.pipelines.replenishment import nodes
from tests.conftest import PROJECT_ROOT
from tests.data_engineering.test_inspection import daily_orders
from tests.inventory.test_inventory_nodes import SETTINGS, _attributes, _forecast
from tests.test_user_export_shapes import plan_from_export

METADATA = {"frequency": "D", "keys": ["store_id", "item_id"]}
SERIES = ("S1_I1", "S1_I2", "S2_I1")


def _two_key_forecast(series=SERIES) -> pd.DataFrame:
    forecast = _forecast(series)
    keys = forecast["series_id"].str.split("_", expand=True)
    return forecast.drop(columns="store_id").assign(store_id=keys[0], item_id=keys[1])


def _stock(**columns) -> pd.DataFrame:
    frame = pd.DataFrame(
        {"store_id": ["S1", "S1", "S2"], "item_id": ["I1", "I2", "I1"], "on_hand": [5, 0, 12]}
    )
    return frame.assign(**columns)


def _resolve(stock, series=SERIES) -> pd.DataFrame:
    return nodes.resolve_positions(stock, _two_key_forecast(series), METADATA, SETTINGS)


def _plan(stock, series=SERIES, **attributes) -> pd.DataFrame:
    forecast = _two_key_forecast(series)
    items = nodes.build_item_parameters(_attributes(series, **attributes), METADATA, SETTINGS)
    current = nodes.resolve_positions(stock, forecast, METADATA, SETTINGS)
    plan, _ = nodes.plan_replenishment(forecast, items, current, METADATA, SETTINGS)
    return plan.set_index("series_id")


def test_the_stock_file_becomes_the_positions_of_the_panels_series():
    stock = _stock(on_order=[3, None, 0], expected_arrival=["2024-01-04", "", None])
    positions = _resolve(stock).set_index("series_id")
    assert list(positions.columns) == pos.POSITION_COLUMNS[1:]
    assert positions["on_hand"].tolist() == [5.0, 0.0, 12.0]
    assert positions["on_order"].tolist() == [3.0, 0.0, 0.0]  # blank on order is none
    assert positions.loc["S1_I1", "expected_arrival"] == pd.Timestamp("2024-01-04")
    assert positions.loc[["S1_I2", "S2_I1"], "expected_arrival"].isna().all()
    assert (positions["position_source"] == "stock file").all()


def test_other_columns_are_read_over_unless_misspelled_stock_columns(caplog):
    stock = _stock(as_of_date="2024-01-01", unit_price=4.0, store_name="Centre")
    with caplog.at_level(logging.INFO):
        positions = _resolve(stock)
    assert positions["on_hand"].sum() == 17
    assert "columns not read: as_of_date, unit_price, store_name" in caplog.text
    with pytest.raises(DataValidationError, match=r"'cost' \(did you mean 'unit_cost'\?\)"):
        _resolve(_stock(cost=1.0))


def test_the_file_may_be_keyed_by_series_id_with_keys_as_numbers():
    stock = pd.DataFrame({"series_id": [" S1_I1", "S2_I1"], "on_hand": ["4", "7.5"]})
    positions = _resolve(stock).set_index("series_id")
    assert positions.loc[["S1_I1", "S2_I1"], "on_hand"].tolist() == [4.0, 7.5]
    with pytest.raises(DataValidationError, match=r"1 of 1 rows name .*\(series_id: 'S3_I3'"):
        _resolve(pd.DataFrame({"series_id": ["S3_I3"], "on_hand": [1]}))
    # Keys that pandas reads as numbers match the panel's text keys.
    forecast = _forecast(("1", "2"))
    numbers = pd.DataFrame({"store_id": [1, 2], "on_hand": [3, 4]})
    keyed = nodes.resolve_positions(
        numbers, forecast, {"frequency": "D", "keys": ["store_id"]}, SETTINGS
    )
    assert keyed.set_index("series_id")["on_hand"].to_dict() == {"1": 3.0, "2": 4.0}


def test_series_absent_from_the_file_get_nothing_on_hand_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING):
        plan = _plan(_stock().iloc[:1])
    assert plan.loc["S1_I1", "position_source"] == "stock file"
    absent = plan.loc[["S1_I2", "S2_I1"]]
    assert (absent["position_source"] == "not in stock file: 0 on hand").all()
    assert (absent[["on_hand", "on_order"]] == 0).all().all()
    assert (absent["order_qty"] > 0).all()
    assert "lists 1 of the panel's 3 series; the other 2" in caplog.text
    assert "'S1_I2', 'S2_I1'" in caplog.text


def test_without_a_file_positions_are_assumed_and_the_plan_says_so(caplog):
    with caplog.at_level(logging.WARNING):
        plan = _plan(None)
    source = "assumed: 7 days of forecast on hand, nothing on order"
    assert (plan["position_source"] == source).all()
    assert (plan["on_hand"] == 70.0).all() and (plan["on_order"] == 0).all()
    assert plan["expected_arrival"].isna().all()
    # The plan keeps its columns; the two new ones follow on_order.
    columns = list(plan.reset_index().columns)
    at = columns.index("on_order")
    assert columns[at + 1 : at + 3] == ["position_source", "expected_arrival"]
    assert {"order_qty", "order_value", "status", "store_id", "item_id"} <= set(columns)
    warnings = [r for r in caplog.records if "No stock file" in r.getMessage()]
    assert len(warnings) == 1
    assert "3 positions are 7 days of forecast on hand" in warnings[0].getMessage()


def test_weekly_data_assumes_whole_weeks():
    forecast = _forecast(("A",)).assign(
        date=lambda f: pd.date_range("2024-01-07", periods=21, freq="W-SUN")
    )
    positions = nodes.resolve_positions(
        None, forecast, {"frequency": "W-SUN", "keys": []}, SETTINGS
    )
    assert positions["position_source"].iloc[0].startswith("assumed: 1 week of forecast")


def test_the_files_item_parameters_override_those_series():
    stock = _stock(
        unit_cost=[2.5, None, None], case_pack=[None, 12, None], lead_time=[None, None, 5]
    )
    plan = _plan(stock, unit_price=[5.0, 5.0, 5.0], unit_cost=[1.0, 1.0, 1.0])
    base = _plan(_stock(), unit_price=[5.0, 5.0, 5.0], unit_cost=[1.0, 1.0, 1.0])
    assert plan.loc["S1_I1", "order_value"] == pytest.approx(2.5 * plan.loc["S1_I1", "order_qty"])
    assert base.loc["S1_I2", "order_value"] == pytest.approx(base.loc["S1_I2", "order_qty"])
    assert plan.loc["S1_I2", "order_qty"] % 12 == 0
    assert plan.loc["S2_I1", "lead_time"] == 5 and base.loc["S2_I1", "lead_time"] == 2
    assert plan.loc["S2_I1", "order_up_to"] > base.loc["S2_I1", "order_up_to"]
    # the other series keep their item parameters
    assert plan.loc["S1_I1", "lead_time"] == base.loc["S1_I1", "lead_time"]


def test_a_lead_time_override_in_days_becomes_whole_weeks():
    items = pd.DataFrame(
        {
            "series_id": ["A"],
            "unit_cost": [1.0],
            "price": [2.0],
            "lead_time": [1.0],
            "case_pack": [1.0],
        }
    )
    positions = pd.DataFrame({"series_id": ["A"], "lead_time": [10.0]})
    assert pos.apply_overrides(items, positions, 7)["lead_time"].tolist() == [2.0]


@pytest.mark.parametrize(
    ("stock", "message"),
    [
        (
            _stock().rename(columns={"on_hand": "OnHand"}),
            r"missing required column\(s\) \['on_hand'\] in 3 rows \(did you mean 'OnHand' for "
            r"'on_hand'\?\); expected \['store_id', 'item_id', 'on_hand'\]",
        ),
        (
            _stock().drop(columns="item_id").assign(item=["I1", "I2", "I1"]),
            r"missing required column\(s\) \['item_id'\].*did you mean 'item'.*; key the rows "
            r"by store_id and item_id \(or by series_id\)",
        ),
        (
            _stock(**{"On Order": [1, 2, 3]}),
            r"column\(s\) 'On Order' \(did you mean 'on_order'\?\) are not read, in 3 rows",
        ),
        (
            _stock(on_hand=[5, -2, -1]),
            r"column 'on_hand' must not be negative; 2 of 3 rows are not "
            r"\(line 3: -2.0, line 4: -1.0\)",
        ),
        (
            _stock(on_hand=["5", "lots", "12"]),
            r"column 'on_hand' must be numeric and present; 1 of 3 lines are not "
            r"\(line 3: 'lots'\)",
        ),
        (
            _stock(on_order=[1, "n/a", None]),
            r"column 'on_order' must be numeric; 1 of 3 lines are not \(line 3: 'n/a'\)",
        ),
        (
            _stock(on_order=[1, -4, 0]),
            r"column 'on_order' must not be negative; 1 of 3 rows are not \(line 3: -4.0\)",
        ),
        (
            _stock(item_id=["I1", "I1", "I1"], store_id=["S1", "S1", "S2"]),
            r"2 of 3 lines share their \(store_id, item_id\) with another line; expected one "
            r"line per key \(e.g. \('S1', 'I1'\) on lines 2, 3\); keep one row per series",
        ),
        (
            _stock(on_order=[1, 1, 0], expected_arrival=["2024-01-05", "next week", ""]),
            r"column 'expected_arrival' must hold dates \(e.g. 2024-05-31\) or be blank when "
            r"nothing is on order; 1 of 3 rows are not \(line 3: 'next week'\)",
        ),
        (
            pd.concat(
                [
                    _stock(),
                    pd.DataFrame(
                        {"store_id": ["S9", "S1"], "item_id": ["I9", "I7"], "on_hand": [1, 1]}
                    ),
                ],
                ignore_index=True,
            ),
            r"2 of 5 rows name series that are not in the panel \(store_id \+ item_id: "
            r"'S9, I9', 'S1, I7'; line 5, line 6\); expected series of the panel "
            r"\(e.g. 'S1, I1', 'S1, I2', 'S2, I1'\)",
        ),
        (
            _stock(store_id=["S1", " ", "S2"]),
            r"key column 'store_id' is blank in 1 of 3 lines \(line 3\)",
        ),
        (_stock(case_pack=[6, 0, None]), r"column 'case_pack' must be positive; 1 of 3 rows"),
        (_stock(lead_time_days=[-1, 2, 2]), r"column 'lead_time_days' must not be negative"),
        (_stock().iloc[:0], r"has 0 rows"),
    ],
    ids=[
        "renamed on_hand",
        "renamed key",
        "misspelled on_order",
        "negative on hand",
        "non-numeric on hand",
        "non-numeric on order",
        "negative on order",
        "duplicate series",
        "unparseable arrival",
        "series not in panel",
        "blank key",
        "case pack zero",
        "negative lead time",
        "empty file",
    ],
)
def test_bad_stock_files_are_refused_naming_the_column_rows_and_expectation(stock, message):
    with pytest.raises(DataValidationError, match=r"^stock positions: .*" + message):
        _resolve(stock)


def test_an_override_cost_above_the_price_is_refused():
    with pytest.raises(
        DataValidationError, match=r"'unit_cost' is above the item's price for 1 series \('S1_I1'\)"
    ):
        _plan(_stock(unit_cost=[9.0, None, None]), unit_price=[5.0, 5.0, 5.0])


def test_the_message_names_the_file_read(tmp_path: Path):
    path = tmp_path / "stock_positions.csv"
    _stock(on_hand=[1, -1, 1]).to_csv(path, index=False)
    stock = OptionalTableDataset(filepath=str(path)).load()
    with pytest.raises(
        DataValidationError, match=rf"^stock positions \({path}\): column 'on_hand'"
    ):
        _resolve(stock)


def test_the_optional_dataset_reads_csv_or_parquet_and_none_without_a_file(tmp_path: Path):
    dataset = OptionalTableDataset(filepath=str(tmp_path / "stock_positions.csv"))
    assert dataset.load() is None
    _stock().to_parquet(tmp_path / "stock_positions.parquet")
    pd.testing.assert_frame_equal(dataset.load(), _stock())
    assert dataset.load().attrs["source_file"].endswith("stock_positions.parquet")
    _stock().to_csv(tmp_path / "stock_positions.csv", index=False)
    with pytest.raises(Exception, match=r"Both .*stock_positions.csv and .*parquet exist"):
        dataset.load()
    (tmp_path / "stock_positions.parquet").unlink()
    dataset.save(_stock(on_hand=[1, 2, 3]))  # the generator's way: CSV at filepath
    assert dataset.load()["on_hand"].tolist() == [1, 2, 3]
    (tmp_path / "stock_positions.csv").write_bytes(b"")
    with pytest.raises(Exception, match=r"stock_positions.csv is empty \(0 bytes\)"):
        dataset.load()


ENVIRONMENTS = [
    None,
    *sorted(
        p.name
        for p in (PROJECT_ROOT / "conf").iterdir()
        if p.is_dir() and p.name not in ("base", "local")
    ),
]


@pytest.mark.parametrize("env", ENVIRONMENTS, ids=lambda env: env or "base")
def test_every_environment_has_stock_positions_in_its_own_raw_folder(env):
    bootstrap_project(PROJECT_ROOT)
    from kedro.framework.project import settings

    loader = settings.CONFIG_LOADER_CLASS(
        conf_source=str(PROJECT_ROOT / "conf"),
        env=env,
        runtime_params={},
        **settings.CONFIG_LOADER_ARGS,
    )
    dataset = loader["globals"]["dataset"]
    entry = loader["catalog"]["stock_positions"]
    assert entry["type"] == "inventory_optimization.datasets.OptionalTableDataset"
    assert entry["filepath"] == f"data/01_raw/{dataset}/stock_positions.csv"
    assert dataset == (env or "synthetic")


def test_a_users_export_is_planned_from_its_stock_file():
    """A custom environment's nodes, from the export to the plan, with the user's stock."""
    export = daily_orders(3, items=4, days=70, price=True, promo=False)
    stock = pd.DataFrame(
        {
            "item_id": ["Dish A", "Dish B", "Dish C"],
            "on_hand": [0, 500, 3],
            "on_order": [0, 0, 20],
            "expected_arrival": ["", "", "2024-05-11"],
            "case_pack": [None, None, 10],
        }
    )
    outcome = plan_from_export(export, horizon=7, stock=stock)
    assert outcome.metadata["keys"] == ["item_id"]
    plan = outcome.plan.set_index("series_id")
    assert plan.loc["Dish A", "order_qty"] > 0
    assert plan.loc["Dish B", "order_qty"] == 0  # 500 on hand covers the week
    assert plan.loc["Dish C", "on_order"] == 20
    assert plan.loc["Dish C", "expected_arrival"] == pd.Timestamp("2024-05-11")
    assert plan.loc["Dish C", "order_qty"] % 10 == 0
    assert plan.loc[["Dish A", "Dish B", "Dish C"], "position_source"].eq("stock file").all()
    assert plan.loc["Dish D", "position_source"] == "not in stock file: 0 on hand"
    assert pd.isna(plan.loc["Dish D", "expected_arrival"])
