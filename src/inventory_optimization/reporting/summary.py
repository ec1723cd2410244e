"""The stakeholder summary: headline figures, tables and charts in one self-contained HTML file
(plotly.js is embedded once, so the file opens from a file share without a network)."""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import UTC, datetime

import pandas as pd
from plotly.offline import get_plotlyjs

from .charts import POLICY_LABELS, policy_order

# The plan's columns a buyer reads, where no order sheet is given (an older run). The safety
# stock is left out: it is negative wherever a perishable is stocked below its mean demand.
PLAN_COLUMNS = [
    "series_id",
    "order_qty",
    "order_value",
    "on_hand",
    "on_order",
    "order_trigger",
    "economic_batch",
    "order_up_to",
    "expected_fill_rate",
    "days_of_cover",
    "binding_constraint",
    "status",
]
# The order sheet's columns in the report, narrow enough for a 1,024 px screen: what to order
# first, then why (the quantity and money columns carry their unit and currency in the name).
SHEET_PREFIXES = (
    "series_id",
    "item_name",
    "category",
    "order_qty_",
    "order_cases",
    "order_value_",
    "arrives_on",
    "on_hand_",
    "on_order_",
    "reorder_point_",
    "order_up_to_",
    "reason",
)
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
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;padding:0 1rem;max-width:1200px;color:#222}
h1{margin-bottom:.2rem} .sub{color:#666;margin-top:0}
.cards{display:flex;flex-wrap:wrap;gap:1rem;margin:1.5rem 0}
.card{border:1px solid #ddd;border-radius:8px;padding:.8rem 1.2rem;min-width:220px}
.card .value{font-size:1.6rem;font-weight:600} .card .label{color:#555;font-size:.9rem}
table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}
th,td{border-bottom:1px solid #e5e5e5;padding:.3rem .6rem;text-align:right}
th:first-child,td:first-child{text-align:left}
table.sheet{width:100%;font-size:.85rem} table.sheet th{vertical-align:bottom}
table.sheet td:last-child{text-align:left;min-width:14rem}
.wide{overflow-x:auto;max-width:100%}
.bookmark code{background:#f3f3f3;padding:.1rem .3rem}
"""


def headline_figures(
    leaderboard: pd.DataFrame,
    backtest: pd.DataFrame,
    plan: pd.DataFrame,
    holdout_periods: int | None = None,
    periods_per_year: float | None = None,
) -> dict[str, float | str | None]:
    """The few numbers a stakeholder asks for first; with the holdout's length in periods and
    the periods of a year, the backtest's saving also per period and per year (in money)."""
    scores = leaderboard.set_index("model")["score"]
    metric = str(leaderboard["metric"].iloc[0]) if len(leaderboard) else "score"
    ensemble = float(scores["ensemble"]) if "ensemble" in scores else None
    naive = float(scores["seasonal_naive"]) if "seasonal_naive" in scores else None
    totals = backtest[backtest["series_id"] == "ALL"].set_index("policy")

    def total(policy: str, column: str) -> float | None:
        return float(totals.loc[policy, column]) if policy in totals.index else None

    naive_cost, ensemble_cost = total("naive", "total_cost"), total("ensemble", "total_cost")
    ordering = plan[plan["order_qty"] > 0] if "order_qty" in plan.columns else plan.iloc[:0]
    saved = None if naive_cost is None or ensemble_cost is None else naive_cost - ensemble_cost
    per_period = saved / holdout_periods if saved is not None and holdout_periods else None
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
        "money_saved": saved,
        "money_saved_per_period": per_period,
        "money_saved_per_year": None
        if per_period is None or not periods_per_year
        else per_period * periods_per_year,
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
    if kind == "money":  # cents only where they matter
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"
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
    # Wide tables scroll inside their box; the page itself never scrolls sideways.
    table = frame.to_html(index=False, float_format=_cell, border=0, na_rep="")
    return f'<div class="wide">{table}</div>'


def order_sheet_table(sheet: pd.DataFrame, rows: int) -> pd.DataFrame:
    """The order sheet's first ``rows`` lines (orders first) in the report's columns, headers
    spaced so that they wrap."""
    shown = [c for c in sheet.columns if c.startswith(SHEET_PREFIXES)]
    table = sheet[shown].head(rows)
    money = [c for c in shown if c.startswith("order_value_")]
    table = table.assign(**{c: table[c].map("{:,.0f}".format) for c in money})
    if "arrives_on" in table:  # a non-breaking hyphen: a date never wraps in a narrow column
        table["arrives_on"] = table["arrives_on"].astype("string").str.replace("-", "\u2011")
    return table.rename(columns=lambda c: c.replace("_", " "))


def _savings_card(head: Mapping[str, object], unit: str | None, currency: str) -> str:
    """The backtest's saving against the spreadsheet rule: money per period and per year,
    then the share."""
    if head.get("money_saved_per_period") is None:
        return _card(
            _fmt(head["cost_saving"], "percent"),
            "inventory cost saved vs the spreadsheet rule (backtest)",
        )
    per = (unit or "period").removesuffix("s")
    return _card(
        f"{_fmt(head['money_saved_per_year'], 'money')} {currency} a year",
        f"saved vs the spreadsheet rule at the backtest's rate: "
        f"{_fmt(head['money_saved_per_period'], 'money')} {currency} per {per}, "
        f"{_fmt(head['cost_saving'], 'percent')} of its cost",
    )


def order_today_section(
    sheet: pd.DataFrame,
    rows: int,
    forward_figure=None,
    latest_report: str | None = None,
    heading: str = "Order today",
) -> list[str]:
    """The report's first section: the order sheet (orders first), the forward forecast of
    the busiest items, and the report's stable path to bookmark."""
    ordered = int((sheet.filter(like="order_qty_").iloc[:, 0] > 0).sum()) if len(sheet) else 0
    value = sheet.filter(like="order_value_")
    total = float(value.iloc[:, 0].sum()) if value.shape[1] else None
    currency = value.columns[0].removeprefix("order_value_") if value.shape[1] else ""
    table = order_sheet_table(sheet, rows)
    parts = [
        f"<h2>{html.escape(heading)}</h2>",
        f'<p class="sub">{ordered} of {len(sheet)} lines have an order, value '
        f"{_fmt(total, 'money')} {html.escape(currency)}; the {len(table)} first lines "
        "(largest orders first). The whole sheet: <code>order_sheet_latest.csv</code>.</p>",
        table.to_html(
            index=False, float_format=_cell, border=0, na_rep="", classes="sheet"
        ).replace(' class="dataframe sheet"', ' class="sheet"'),
    ]
    if latest_report:
        parts.insert(
            1,
            f'<p class="bookmark">Bookmark the latest report: '
            f"<code>{html.escape(latest_report)}</code> (each run replaces it; earlier "
            "reports stay in their version folders).</p>",
        )
    if forward_figure is not None:
        parts.append(_figure_html(forward_figure, "560px"))
    return parts


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
    order_sheet: pd.DataFrame | None = None,
    forward_figure=None,
    holdout_periods: int | None = None,
    periods_per_year: float | None = None,
    latest_report: str | None = None,
    currency: str = "",
) -> str:
    """Render the report; ``figures`` maps a section heading to a plotly figure and
    ``horizon`` (e.g. "13 weeks") is the holdout and forecast length with its unit.

    With an ``order_sheet`` the page opens with "Order today": that sheet, the
    ``forward_figure`` (the coming periods' forecast) and ``latest_report``, the path to
    bookmark; ``holdout_periods`` and ``periods_per_year`` turn the backtest's saving into
    money per period and per year."""
    head = headline_figures(leaderboard, backtest, plan, holdout_periods, periods_per_year)
    when = (generated_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    scope = (
        f"{metadata.get('source', '?')} data: {metadata.get('series', '?')} series, "
        f"{metadata.get('first_date', '?')} to {metadata.get('last_date', '?')}"
        + (f", frequency {metadata['frequency']}" if metadata.get("frequency") else "")
        + (f", forecast horizon {horizon}" if horizon else "")
    )
    metric = head["metric"].upper()
    unit = horizon.split(" ", 1)[1] if horizon and " " in horizon else None
    cards = [
        _card(
            f"{head['items_to_order']} of {head['items_planned']}",
            f"items to order today (value {_fmt(head['order_value'], 'money')} {currency})"
            + (f"; {head['discontinued']} discontinued" if head["discontinued"] else ""),
        ),
        _savings_card(head, unit, currency),
        _card(_fmt(head["ensemble_score"]), f"ensemble {metric} on the holdout"),
        _card(
            _fmt(head["forecast_improvement"], "percent"),
            f"better than seasonal naive ({_fmt(head['seasonal_naive_score'])})",
        ),
        _card(
            f"{_fmt(head['ensemble_fill_rate'], 'percent')} vs {_fmt(head['naive_fill_rate'], 'percent')}",
            "fill rate: ensemble policy vs spreadsheet rule",
        ),
        _card(_fmt(head["gap_closed"], "percent"), "share of the gap to perfect foresight closed"),
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
    orders = _orders_section(plan, order_sheet, plan_rows, forward_figure, latest_report)
    return _page(
        title,
        f"{scope} · generated {when}",
        cards,
        [
            *orders,
            f"<h2>Forecast accuracy per model ({html.escape(metric)}, lower is better)</h2>",
            *([f'<p class="sub">{html.escape(floor_note)}</p>'] if floor_note else []),
            _table(board),
            "<h2>Inventory backtest: totals per policy over the holdout</h2>",
            f'<p class="sub">{html.escape(BACKTEST_NOTE)}</p>',
            _table(backtest_table),
        ],
        figures,
        chart_height="520px",
    )


def _orders_section(
    plan: pd.DataFrame,
    order_sheet: pd.DataFrame | None,
    rows: int,
    forward_figure=None,
    latest_report: str | None = None,
) -> list[str]:
    """ "Order today" from the order sheet; without one (an older run), the plan's largest
    orders."""
    if order_sheet is not None:
        return order_today_section(order_sheet, rows, forward_figure, latest_report)
    table = _largest_orders(plan, rows)
    return [f"<h2>Replenishment plan: the {len(table)} largest orders today</h2>", _table(table)]


def _largest_orders(plan: pd.DataFrame, rows: int) -> pd.DataFrame:
    """The plan's ``rows`` largest orders by value, in the columns a buyer reads."""
    table = plan.sort_values("order_value", ascending=False) if "order_value" in plan else plan
    return table[[c for c in PLAN_COLUMNS if c in table.columns]].head(rows)


def _figure_html(figure, height: str) -> str:
    # plotly.js is in the page's head once (_page): figures anywhere on the page can draw.
    return figure.to_html(full_html=False, include_plotlyjs=False, default_height=height)


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
    the sections, then one heading and chart per figure (plotly.js embedded once, in the
    head, so that sections may hold figures too)."""
    charts = [
        f"<h2>{html.escape(heading)}</h2>\n{_figure_html(figure, chart_height)}"
        for heading, figure in figures.items()
    ]
    drawn = bool(figures) or any("plotly-graph-div" in section for section in sections)
    script = f'<script type="text/javascript">{get_plotlyjs()}</script>' if drawn else ""
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{html.escape(title)}</title><style>{STYLE}{style}</style>{script}</head><body>",
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


def _plan_totals(plan: pd.DataFrame) -> dict:
    """The plan's totals: orders, items, value."""
    return {
        "orders": int((plan["order_qty"] > 0).sum()),
        "items": len(plan),
        "value": float(plan["order_value"].sum()),
    }


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
    order_sheet: pd.DataFrame | None = None,
    forward_figure=None,
    latest_report: str | None = None,
) -> str:
    """The morning's report of a ``daily`` run: today's orders, the champion that forecast
    them, and how its earlier forecasts did against the sales since known; when the latest
    monitored date's status is ``retrain_status``, that and its reason head the page. With an
    ``order_sheet`` the orders are its "Order today" section (:func:`order_today_section`)."""
    when = (generated_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    totals = _plan_totals(plan)
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
    orders = _orders_section(plan, order_sheet, plan_rows, forward_figure, latest_report)
    return _page(
        title,
        f"{scope} · generated {when}",
        cards,
        [
            *orders,
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
