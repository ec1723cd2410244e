"""The stakeholder summary: headline figures, tables and charts in one self-contained HTML file
(plotly.js is embedded once, so the file opens from a file share without a network)."""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import UTC, datetime

import pandas as pd

from .charts import POLICY_LABELS, policy_order

PLAN_COLUMNS = [
    "series_id",
    "on_hand",
    "on_order",
    "forecast_cover_mean",
    "safety_stock",
    "reorder_point",
    "order_trigger",
    "economic_batch",
    "order_up_to",
    "order_qty",
    "order_value",
    "expected_fill_rate",
    "days_of_cover",
    "binding_constraint",
    "status",
]
BACKTEST_COLUMNS = [
    "policy",
    "fill_rate",
    "cycle_service_level",
    "start_on_hand",
    "units_purchased",
    "end_on_hand",
    "holding_cost",
    "ordering_cost",
    "lost_sales_cost",
    "waste_cost",
    "end_stock_cost",
    "total_cost",
    "gap_closed",
]
BACKTEST_NOTE = (
    "Every policy starts from the same stock and pays for what it buys; end_stock_cost is "
    "what the stock left at the end will not recover of its cost (the holding of the periods "
    "it would still cover, perishables it would not sell in time)."
)
FLOOR_NOTE = (
    "Floors (floor = True): zero_forecast forecasts no demand anywhere, seasonal_naive repeats "
    "the last season; on mostly-zero data the zero forecast is hard to beat on WAPE, which is "
    "why such data is judged on RMSSE. A model that does not beat the floors adds nothing."
)
STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1200px;color:#222}
h1{margin-bottom:.2rem} .sub{color:#666;margin-top:0}
.cards{display:flex;flex-wrap:wrap;gap:1rem;margin:1.5rem 0}
.card{border:1px solid #ddd;border-radius:8px;padding:.8rem 1.2rem;min-width:220px}
.card .value{font-size:1.6rem;font-weight:600} .card .label{color:#555;font-size:.9rem}
table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}
th,td{border-bottom:1px solid #e5e5e5;padding:.3rem .6rem;text-align:right}
th:first-child,td:first-child{text-align:left}
"""


def headline_figures(
    leaderboard: pd.DataFrame, backtest: pd.DataFrame, plan: pd.DataFrame
) -> dict[str, float | str | None]:
    """The few numbers a stakeholder asks for first."""
    scores = leaderboard.set_index("model")["score"]
    metric = str(leaderboard["metric"].iloc[0]) if len(leaderboard) else "score"
    ensemble = float(scores["ensemble"]) if "ensemble" in scores else None
    naive = float(scores["seasonal_naive"]) if "seasonal_naive" in scores else None
    totals = backtest[backtest["series_id"] == "ALL"].set_index("policy")

    def total(policy: str, column: str) -> float | None:
        return float(totals.loc[policy, column]) if policy in totals.index else None

    naive_cost, ensemble_cost = total("naive", "total_cost"), total("ensemble", "total_cost")
    ordering = plan[plan["order_qty"] > 0] if "order_qty" in plan.columns else plan.iloc[:0]
    return {
        "metric": metric,
        "ensemble_score": ensemble,
        "seasonal_naive_score": naive,
        "forecast_improvement": None if not (ensemble and naive) else 1 - ensemble / naive,
        "naive_policy_cost": naive_cost,
        "ensemble_policy_cost": ensemble_cost,
        "cost_saving": None
        if not (naive_cost and ensemble_cost)
        else 1 - ensemble_cost / naive_cost,
        "naive_fill_rate": total("naive", "fill_rate"),
        "ensemble_fill_rate": total("ensemble", "fill_rate"),
        "gap_closed": total("ensemble", "gap_closed"),
        "items_to_order": len(ordering),
        "items_planned": len(plan),
        "discontinued": int((plan["status"] != "planned").sum()) if "status" in plan else 0,
        "order_value": float(ordering["order_value"].sum()) if "order_value" in ordering else None,
    }


def leaderboard_table(leaderboard: pd.DataFrame) -> tuple[pd.DataFrame, str | None]:
    """The leaderboard as shown: by score, ``floor`` next to the model; and the note on the
    floors naming the models that do not beat them (None when the table marks no floors)."""
    table = leaderboard.sort_values("score")
    if "floor" not in table.columns:
        return table, None
    table = table[["model", "floor", *[c for c in table.columns if c not in ("model", "floor")]]]
    floor = table["floor"].astype(bool)
    floors = table.loc[floor].set_index("model")["score"].dropna()
    models = table.loc[~floor]
    lagging = sorted(
        {m for score in floors for m in models.loc[~(models["score"] < score), "model"]}
    )
    note = FLOOR_NOTE
    if lagging:
        note += f" Not beating a floor on this holdout: {', '.join(map(str, lagging))}."
    return table, note


def _fmt(value, kind: str = "number") -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "n/a"
    if kind == "percent":
        return f"{value:.1%}"
    if kind == "money":
        return f"{value:,.0f}"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _card(value: str, label: str) -> str:
    return (
        f'<div class="card"><div class="value">{html.escape(value)}</div>'
        f'<div class="label">{html.escape(label)}</div></div>'
    )


def _cell(value: float) -> str:
    # Money reads best in whole units, rates and scores in four significant digits.
    if abs(value) < 1e-6:
        return "0"  # float residue of a sum, not a figure
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, float_format=_cell, border=0, na_rep="")


def summary_html(
    title: str,
    metadata: Mapping,
    leaderboard: pd.DataFrame,
    backtest: pd.DataFrame,
    plan: pd.DataFrame,
    figures: Mapping[str, object],
    plan_rows: int = 25,
    generated_at: datetime | None = None,
    horizon: str | None = None,
) -> str:
    """Render the report; ``figures`` maps a section heading to a plotly figure and
    ``horizon`` (e.g. "13 weeks") is the holdout and forecast length with its unit."""
    head = headline_figures(leaderboard, backtest, plan)
    when = (generated_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    scope = (
        f"{metadata.get('source', '?')} data: {metadata.get('series', '?')} series, "
        f"{metadata.get('first_date', '?')} to {metadata.get('last_date', '?')}"
        + (f", frequency {metadata['frequency']}" if metadata.get("frequency") else "")
        + (f", forecast horizon {horizon}" if horizon else "")
    )
    metric = head["metric"].upper()
    cards = [
        _card(_fmt(head["ensemble_score"]), f"ensemble {metric} on the holdout"),
        _card(
            _fmt(head["forecast_improvement"], "percent"),
            f"better than seasonal naive ({_fmt(head['seasonal_naive_score'])})",
        ),
        _card(
            _fmt(head["cost_saving"], "percent"),
            "inventory cost saved vs the spreadsheet rule (backtest)",
        ),
        _card(
            f"{_fmt(head['ensemble_fill_rate'], 'percent')} vs {_fmt(head['naive_fill_rate'], 'percent')}",
            "fill rate: ensemble policy vs spreadsheet rule",
        ),
        _card(_fmt(head["gap_closed"], "percent"), "share of the gap to perfect foresight closed"),
        _card(
            f"{head['items_to_order']} of {head['items_planned']}",
            f"items to order today (value {_fmt(head['order_value'], 'money')})"
            + (f"; {head['discontinued']} discontinued" if head["discontinued"] else ""),
        ),
    ]
    totals = backtest[backtest["series_id"] == "ALL"].set_index("policy")
    totals = totals.loc[policy_order(list(totals.index))].reset_index()
    totals.insert(
        1, "meaning", [POLICY_LABELS.get(p, f"policy on {p} forecast") for p in totals["policy"]]
    )
    backtest_table = totals[
        [c for c in ["policy", "meaning", *BACKTEST_COLUMNS[1:]] if c in totals]
    ]
    board, floor_note = leaderboard_table(leaderboard)
    plan_table = _largest_orders(plan, plan_rows)
    return _page(
        title,
        f"{scope} · generated {when}",
        cards,
        [
            f"<h2>Forecast accuracy per model ({html.escape(metric)}, lower is better)</h2>",
            *([f'<p class="sub">{html.escape(floor_note)}</p>'] if floor_note else []),
            _table(board),
            "<h2>Inventory backtest: totals per policy over the holdout</h2>",
            f'<p class="sub">{html.escape(BACKTEST_NOTE)}</p>',
            _table(backtest_table),
            f"<h2>Replenishment plan: the {len(plan_table)} largest orders today</h2>",
            _table(plan_table),
        ],
        figures,
        chart_height="520px",
    )


def _largest_orders(plan: pd.DataFrame, rows: int) -> pd.DataFrame:
    """The plan's ``rows`` largest orders by value, in the columns a buyer reads."""
    table = plan.sort_values("order_value", ascending=False) if "order_value" in plan else plan
    return table[[c for c in PLAN_COLUMNS if c in table.columns]].head(rows)


def _page(
    title: str,
    subtitle: str,
    cards: list[str],
    sections: list[str],
    figures: Mapping[str, object],
    chart_height: str,
    lead: list[str] | None = None,
    style: str = "",
) -> str:
    """One self-contained HTML page: title, subtitle, ``lead`` (e.g. an alert), the cards,
    the sections, then one heading and chart per figure (plotly.js embedded once)."""
    charts = []
    for index, (heading, figure) in enumerate(figures.items()):
        body = figure.to_html(
            full_html=False, include_plotlyjs=index == 0, default_height=chart_height
        )
        charts.append(f"<h2>{html.escape(heading)}</h2>\n{body}")
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{html.escape(title)}</title><style>{STYLE}{style}</style></head><body>",
            f"<h1>{html.escape(title)}</h1>",
            f'<p class="sub">{html.escape(subtitle)}</p>',
            *(lead or []),
            '<div class="cards">',
            *cards,
            "</div>",
            *sections,
            *charts,
            "</body></html>",
        ]
    )


MONITORING_TABLE_COLUMNS = [
    "date",
    "series",
    "actual",
    "forecast",
    "wape",
    "bias",
    "coverage",
    "rolling_wape",
    "rolling_coverage",
    "champion_version",
    "status",
]


def _plan_section(plan: pd.DataFrame, plan_rows: int) -> tuple[pd.DataFrame, dict]:
    """The largest orders of the plan and its totals (orders, items, value)."""
    ordered = plan[plan["order_qty"] > 0]
    totals = {
        "orders": len(ordered),
        "items": len(plan),
        "value": float(plan["order_value"].sum()),
    }
    return _largest_orders(plan, plan_rows), totals


def daily_summary_html(
    title: str,
    metadata: Mapping,
    plan: pd.DataFrame,
    monitoring: pd.DataFrame,
    figures: Mapping[str, object],
    champion_version: str,
    retrain_status: str,
    plan_rows: int = 25,
    monitoring_rows: int = 14,
    generated_at: datetime | None = None,
) -> str:
    """The morning's report of a ``daily`` run: today's orders, the champion that forecast
    them, and how its earlier forecasts did against the sales since known; when the latest
    monitored date's status is ``retrain_status``, that and its reason head the page."""
    when = (generated_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    plan_table, totals = _plan_section(plan, plan_rows)
    as_of = pd.Timestamp(plan["as_of_date"].max()).date() if "as_of_date" in plan else "?"
    scope = (
        f"{metadata.get('source', '?')} data: {metadata.get('series', '?')} series, sales "
        f"until {metadata.get('last_date', '?')}; plan as of {as_of}; champion version "
        f"{champion_version}"
    )
    if monitoring.empty:
        status, reason = "nothing to score yet", "no earlier daily forecast has its sales yet"
        latest = None
    else:
        latest = monitoring.sort_values("date").iloc[-1]
        status, reason = str(latest["status"]), str(latest["reason"])
    alert = status == retrain_status
    banner = (
        f'<p class="{"alert" if alert else "sub"}"><b>Monitoring: {html.escape(status)}</b>'
        f" ({html.escape(reason)})"
        + (
            ". Run <code>kedro run --pipelines training</code> to train a challenger."
            if alert
            else ""
        )
        + "</p>"
    )
    cards = [
        _card(f"{totals['orders']} of {totals['items']}", "items to order today"),
        _card(_fmt(totals["value"], "money"), "order value"),
    ]
    if latest is not None:
        cards += [
            _card(_fmt(latest.get("rolling_wape")), "rolling WAPE of the champion"),
            _card(_fmt(latest.get("rolling_coverage"), "percent"), "rolling interval coverage"),
        ]
    recent = monitoring.sort_values("date").tail(monitoring_rows) if len(monitoring) else monitoring
    return _page(
        title,
        f"{scope} · generated {when}",
        cards,
        [
            f"<h2>Replenishment plan: the {len(plan_table)} largest orders today</h2>",
            _table(plan_table),
            "<h2>Forecasts scored against the sales since known (latest first)</h2>",
            _table(recent[[c for c in MONITORING_TABLE_COLUMNS if c in recent]].iloc[::-1])
            if len(recent)
            else "<p>No earlier daily forecast has its sales yet.</p>",
        ],
        figures,
        chart_height="480px",
        lead=[banner],
        style=".alert{background:#fde8e8;border:1px solid #e0a0a0;padding:.6rem}",
    )
