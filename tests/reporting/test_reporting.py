"""Charts and the HTML summary: the right series, the right totals, one self-contained file."""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pandas as pd
import plotly.io
import pytest

from inventory_optimization.reporting import charts, summary
from inventory_optimization.retention import latest_version


def _holdout(n_series: int = 10, days: int = 14, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=days, freq="D")
    frames = []
    for index in range(n_series):
        level = 10.0 * (index + 1)
        y_true = rng.poisson(level, days).astype(float)
        noise = 0.05 if index != 5 else 0.9  # series S05 is forecast badly
        y_pred = y_true * (1 + rng.normal(0, noise, days))
        for model, pred in (("ensemble", y_pred), ("seasonal_naive", y_true[::-1])):
            frames.append(
                pd.DataFrame(
                    {
                        "series_id": f"S{index:02d}",
                        "model": model,
                        "date": dates,
                        "y_true": y_true,
                        "y_pred": pred,
                        "q_0.1": pred * 0.8,
                        "q_0.9": pred * 1.2,
                        "scored": True,
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def _backtest() -> pd.DataFrame:
    costs = {"naive": 100.0, "oracle": 40.0, "ensemble": 60.0, "xgboost": 65.0}
    rows = []
    for policy, total in costs.items():
        parts = {"holding_cost": total * 0.5, "ordering_cost": total * 0.1}
        parts |= {"lost_sales_cost": total * 0.25, "waste_cost": total * 0.1}
        parts |= {"end_stock_cost": total * 0.05}
        rows.append(
            {
                "policy": policy,
                "series_id": "ALL",
                "fill_rate": 0.9,
                "cycle_service_level": 0.85,
                "total_cost": total,
                "gap_closed": (100 - total) / 60,
                "start_on_hand": 50.0,
                "units_purchased": 4 * total,
                "end_on_hand": 10.0,
                **parts,
            }
        )
        rows.append({**rows[-1], "series_id": "A"})
    return pd.DataFrame(rows)


def _leaderboard() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "model": ["seasonal_naive", "ensemble", "xgboost"],
            "metric": "rmspe",
            "score": [0.35, 0.12, 0.13],
            "coverage_80": [0.7, 0.81, 0.79],
        }
    )


def _plan() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "series_id": ["A", "B", "C"],
            "on_hand": [5.0, 0.0, 9.0],
            "order_qty": [10.0, 0.0, 4.0],
            "order_value": [120.0, 0.0, 30.0],
            "binding_constraint": [None, None, "budget"],
        }
    )


def test_sample_series_takes_the_busiest_and_the_worst_forecast():
    chosen = charts.sample_series(_holdout(), top=2, worst=1)
    assert list(chosen["series_id"]) == ["S09", "S08", "S05"]
    assert list(chosen["reason"]) == ["top volume", "top volume", "worst forecast"]


def test_forecast_chart_draws_band_forecast_and_actual_per_series():
    figure = charts.forecast_band_chart(_holdout(), top=2, worst=1)
    assert len(figure.data) == 3 * 4  # per series: band edges, forecast, actual
    assert [d.name for d in figure.data[:4]][1:] == ["q_0.1-q_0.9 band", "forecast", "actual"]
    titles = [a.text for a in figure.layout.annotations]
    assert titles[0].startswith("S09 (top volume")


def test_forecast_chart_without_the_model_says_so():
    figure = charts.forecast_band_chart(_holdout(), model="lstm")
    assert "no scored rows for model 'lstm'" in figure.layout.annotations[0].text


def test_missing_column_names_the_table_and_the_column():
    with pytest.raises(
        ValueError, match=r"holdout_forecasts: missing column\(s\) \['y_pred'\] in 3 rows"
    ):
        charts.sample_series(pd.DataFrame({"series_id": ["a"] * 3, "model": "x", "y_true": 1.0}))


def test_leaderboard_chart_sorts_models_and_marks_the_floor():
    figure = charts.leaderboard_chart(_leaderboard())
    assert list(figure.data[0].x) == ["ensemble", "xgboost", "seasonal_naive"]
    assert figure.layout.shapes[0].y0 == pytest.approx(0.35)
    assert "RMSPE" in figure.layout.title.text


def test_backtest_chart_orders_policies_and_stacks_every_cost():
    figure = charts.backtest_cost_chart(_backtest())
    labels = list(figure.data[0].x)
    assert labels[0] == "spreadsheet rule" and labels[-1] == "perfect-foresight bound"
    assert labels[1] == "policy on ensemble forecast"
    assert [trace.name for trace in figure.data[:5]][-1] == "unrecovered ending stock cost"
    stacked = np.sum([trace.y for trace in figure.data[:5]], axis=0)
    np.testing.assert_allclose(stacked, [100.0, 60.0, 65.0, 40.0])


def test_trajectory_chart_marks_stock_outs():
    dates = pd.date_range("2024-01-01", periods=4)
    frames = [
        pd.DataFrame(
            {
                "policy": policy,
                "series_id": series,
                "date": dates,
                "demand": [5.0, 5.0, 5.0, 5.0],
                "on_hand_end": [3.0, 0.0, 0.0, 4.0],
                "lost_sales": [0.0, 2.0, 5.0, 0.0] if policy == "naive" else 0.0,
                "order_qty": [9.0, 0.0, 0.0, 0.0],
            }
        )
        for policy in ("naive", "ensemble", "oracle")
        for series in ("A", "B")
    ]
    figure = charts.inventory_trajectory_chart(pd.concat(frames), series=2)
    stockouts = [d for d in figure.data if d.name == "stock-out: spreadsheet rule"]
    assert len(stockouts) == 2
    assert sum(len(d.x) for d in stockouts) == 4  # two days per series


def test_tuning_chart_shows_best_so_far_and_skips_untuned_models():
    trials = {
        "xgboost": pd.DataFrame({"number": [0, 1, 2], "value": [0.5, 0.3, 0.4]}),
        "seasonal_naive": pd.DataFrame({"number": [], "value": []}),
    }
    figure = charts.tuning_chart(trials, {"xgboost": {"eta": 0.7, "depth": 0.3}})
    best = next(d for d in figure.data if d.name == "best so far")
    assert list(best.y) == [0.5, 0.3, 0.3]
    assert [a.text for a in figure.layout.annotations if a.text] == ["xgboost"]


def test_summary_is_one_self_contained_file_with_the_headline_figures():
    figures = {"Model leaderboard": charts.leaderboard_chart(_leaderboard())}
    figures["Inventory cost per policy"] = charts.backtest_cost_chart(_backtest())
    page = summary.summary_html(
        "Summary", {"source": "demo", "series": 3}, _leaderboard(), _backtest(), _plan(), figures
    )
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    # plotly.js is inlined once; nothing is fetched from the network.
    assert page.count("plotly.js v") == 1
    assert not re.search(r"<script[^>]+src=", page)
    assert "65.7%" in page  # ensemble RMSPE 0.12 vs seasonal naive 0.35
    assert "40.0%" in page  # policy cost 60 vs the spreadsheet rule's 100
    assert "2 of 3" in page  # items with an order today
    for column in ("start_on_hand", "units_purchased", "end_on_hand", "end_stock_cost"):
        assert f"<th>{column}</th>" in page
    assert page.index("<td>A</td>") < page.index("<td>C</td>")  # largest order first


def test_headline_figures_without_an_ensemble_are_not_made_up():
    leaderboard = _leaderboard()[lambda f: f["model"] != "ensemble"]
    backtest = _backtest()[lambda f: f["policy"] != "ensemble"]
    head = summary.headline_figures(leaderboard, backtest, _plan())
    assert head["ensemble_score"] is None and head["forecast_improvement"] is None
    assert head["cost_saving"] is None and head["items_to_order"] == 2


def test_leaderboard_with_floors_names_the_models_below_them():
    """The modeling leaderboard's floors: a zero_forecast row (no fit report) scoring best is
    shown as a floor, never taken for the ensemble or the seasonal naive figure."""
    leaderboard = pd.concat(
        [
            _leaderboard().assign(floor=[True, False, False]),
            pd.DataFrame(
                {
                    "model": ["zero_forecast"],
                    "metric": "rmspe",
                    "score": [0.125],
                    "coverage_80": [0.4],
                    "floor": [True],
                }
            ),
        ],
        ignore_index=True,
    )
    head = summary.headline_figures(leaderboard, _backtest(), _plan())
    assert head["ensemble_score"] == 0.12 and head["seasonal_naive_score"] == 0.35
    table, note = summary.leaderboard_table(leaderboard)
    assert list(table["model"]) == ["ensemble", "zero_forecast", "xgboost", "seasonal_naive"]
    assert list(table.columns[:3]) == ["model", "floor", "metric"]
    assert note.startswith(summary.FLOOR_NOTE)
    assert note.endswith("Not beating a floor on this holdout: xgboost.")
    page = summary.summary_html("Summary", {}, leaderboard, _backtest(), _plan(), {})
    assert html.escape(note) in page
    assert "<td>zero_forecast</td>" in page
    # without floors in the table (an older leaderboard), no note
    assert summary.leaderboard_table(_leaderboard())[1] is None
    assert "Floors (floor = True)" not in summary.summary_html(
        "Summary", {}, _leaderboard(), _backtest(), _plan(), {}
    )


def test_default_run_writes_every_chart_and_the_summary(default_run):
    reporting = default_run / "data" / "08_reporting" / "synthetic"
    for name in (
        "forecast",
        "leaderboard",
        "tuning",
        "feature_importance",
        "backtest_cost",
        "inventory_trajectory",
    ):
        path = reporting / "charts" / f"{name}_chart.json"
        figure = plotly.io.from_json(path.read_text())
        assert figure.data, f"{path.name} has no traces"
    latest = sorted((reporting / "summary_report.html").iterdir())[-1] / "summary_report.html"
    page = latest.read_text()
    board = latest_version(reporting / "model_leaderboard.csv")
    leaderboard = pd.read_csv(board).set_index("model")
    assert f"{leaderboard.loc['ensemble', 'score']:.4g}" in page
    assert page.count("plotly.js v") == 1
    assert (
        json.loads(
            (default_run / "data" / "03_primary" / "synthetic" / "panel_metadata.json").read_text()
        )["source"]
        in page
    )


def _monitored(status: str, reason: str) -> pd.DataFrame:
    dates = pd.date_range("2024-12-20", periods=4, freq="D")
    return pd.DataFrame(
        {
            "date": dates,
            "series": 36,
            "actual": [410.0, 395.0, 402.0, 388.0],
            "forecast": [400.0, 401.0, 399.0, 460.0],
            "wape": [0.21, 0.22, 0.2, 0.41],
            "bias": [0.98, 1.01, 0.99, 1.19],
            "coverage": [0.8, 0.79, 0.82, 0.55],
            "rolling_wape": [0.21, 0.215, 0.21, 0.26],
            "rolling_coverage": [0.8, 0.795, 0.803, 0.74],
            "rolling_bias": [0.98, 0.995, 0.993, 1.04],
            "band_max_wape": 0.25,
            "champion_version": "3",
            "status": ["in band", "in band", "in band", status],
            "reason": ["ok", "ok", "ok", reason],
        }
    )


def _daily_plan() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "series_id": ["s1", "s2", "s3"],
            "as_of_date": pd.Timestamp("2024-12-23"),
            "on_hand": [3.0, 10.0, 0.0],
            "on_order": 0.0,
            "order_qty": [12.0, 0.0, 6.0],
            "order_value": [24.0, 0.0, 30.0],
            "status": ["planned", "planned", "discontinued: no sale since 2024-09-01"],
        }
    )


def test_the_daily_report_heads_with_the_retrain_recommendation_and_its_reason():
    report = summary.daily_summary_html(
        "Daily",
        {"source": "synthetic", "series": 3, "last_date": "2024-12-23"},
        _daily_plan(),
        _monitored("retrain recommended", "rolling WAPE 0.260 > 0.250"),
        {"Monitored forecast error over time": charts.monitoring_chart(_monitored("x", "y"))},
        champion_version="3",
        retrain_status="retrain recommended",
    )
    text = html.unescape(re.sub(r"<[^>]+>", " ", report))
    assert "Monitoring: retrain recommended" in text and "rolling WAPE 0.260 > 0.250" in text
    assert "kedro run --pipelines training" in text
    assert "2 of 3" in text and "champion version 3" in text and "plan as of 2024-12-23" in text
    assert 'class="alert"' in report
    # The latest scored date is listed first.
    assert text.index("2024-12-23") < text.index("2024-12-20")


def test_the_daily_report_of_a_first_morning_says_there_is_nothing_to_score():
    empty = _monitored("in band", "ok").iloc[0:0]
    report = summary.daily_summary_html(
        "Daily",
        {},
        _daily_plan(),
        empty,
        {},
        champion_version="1",
        retrain_status="retrain recommended",
    )
    assert "nothing to score yet" in report and 'class="alert"' not in report


def _order_sheet() -> pd.DataFrame:
    """The order sheet of a hand-made plan, as the replenishment pipeline writes it."""
    from inventory_optimization.inventory.order_sheet import order_sheet

    plan = pd.DataFrame(
        {
            "series_id": [f"S{i:02d}_I{i:03d}" for i in range(30)],
            "as_of_date": pd.Timestamp("2024-12-29"),
            "policy": "periodic_review_RS",
            "on_hand": np.arange(30, dtype=float) * 7,
            "on_order": 0.0,
            "lead_time": 2.0,
            "order_trigger": np.full(30, 120.4),
            "economic_batch": 40.0,
            "order_up_to": np.full(30, 160.4),
            "review_due": True,
            "expected_fill_rate": 0.95,
        }
    )
    plan["order_qty"] = np.where(plan["on_hand"] <= 120.4, np.ceil(160.4 - plan["on_hand"]), 0.0)
    plan["order_value"] = plan["order_qty"] * 2.5
    items = pd.DataFrame(
        {"series_id": plan["series_id"], "unit_cost": 2.5, "case_pack": 1.0, "min_order_qty": 0.0}
    )
    attributes = items[["series_id"]].assign(category="household cleaning supplies")
    arrival = plan["as_of_date"] + pd.Timedelta(days=3)
    return order_sheet(plan, items, attributes, arrival, currency="EUR")


def _report(sheet: pd.DataFrame) -> str:
    forecast = _holdout().query("model == 'ensemble'")
    return summary.summary_html(
        "Summary",
        {"source": "demo", "series": 30},
        _leaderboard(),
        _backtest(),
        _plan(),
        {"Model leaderboard": charts.leaderboard_chart(_leaderboard())},
        order_sheet=sheet,
        forward_figure=charts.forward_forecast_chart(forecast, top=2, band=("q_0.1", "q_0.9")),
        holdout_periods=14,
        periods_per_year=365.25,
        latest_report="data/08_reporting/demo/summary_report_latest.html",
        currency="EUR",
        horizon="14 days",
    )


def test_the_summary_opens_with_order_today_and_savings_in_money():
    sheet = _order_sheet()
    page = _report(sheet)
    headings = re.findall(r"<h2>([^<]+)</h2>", page)
    assert headings[0] == "Order today"
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    # Backtest: the rule costs 100, the ensemble policy 60 over 14 days: 40 saved.
    assert "1,044 EUR a year" in text  # 40 / 14 x 365.25
    assert "2.86 EUR per day, 40.0% of its cost" in text
    assert "data/08_reporting/demo/summary_report_latest.html" in text
    # The sheet's orders first, quantity before the reason, no safety stock.
    table = page[page.index('<table class="sheet">') :]
    table = table[: table.index("</table>")]
    headers = re.findall(r"<th>([^<]+)</th>", table)
    assert headers.index("order qty units") < headers.index("reason")
    assert "safety stock" not in headers and "order value EUR" in headers
    assert table.count("<tr>") == 25  # plan_rows lines (the header row has a style)
    assert "on hand 0 + on order 0 = 0, at or below reorder point 120: order up to 160" in text
    # The forward forecast draws the two busiest series, on the page's one plotly.js.
    assert "Forecast 2024-01-01 to 2024-01-14: the 2 busiest items" in page
    assert page.count("plotly.js v") == 1
    assert page.index("Order today") < page.index("Forecast accuracy per model")


def test_forward_forecast_chart_takes_the_busiest_series_with_their_band():
    forecast = _holdout().query("model == 'ensemble'")
    figure = charts.forward_forecast_chart(forecast, top=3, band=("q_0.1", "q_0.9"), unit="kg")
    titles = [a.text for a in figure.layout.annotations]
    busiest = forecast.groupby("series_id")["y_pred"].sum().nlargest(3)
    assert titles == [f"{s} ({t:,.0f} kg in all)" for s, t in busiest.items()]
    assert len(figure.data) == 3 * 3  # band edges and forecast, no actuals
