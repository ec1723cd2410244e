"""Plotly figures for stakeholders: forecasts, models, tuning, features and inventory.

Plain functions over the pipelines' output tables (no Kedro), so notebooks reuse them. Every
figure carries a title a non-engineer can read without the code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

SERIES_ID = "series_id"
COST_COLUMNS = {
    "holding_cost": "holding",
    "ordering_cost": "ordering",
    "lost_sales_cost": "lost sales",
    "waste_cost": "waste",
    "end_stock_cost": "unrecovered ending stock",
}
POLICY_LABELS = {
    "naive": "spreadsheet rule",
    "seasonal_naive": "policy on seasonal-naive forecast",
    "ensemble": "policy on ensemble forecast",
    "oracle": "perfect-foresight bound",
}


def _require(frame: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(
            f"{name}: missing column(s) {missing} in {len(frame)} rows; expected {list(columns)}"
        )


def _empty_figure(title: str, message: str):
    import plotly.graph_objects as go

    figure = go.Figure()
    figure.update_layout(title=title)
    figure.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    return figure


def policy_order(policies: Sequence[str]) -> list[str]:
    """The spreadsheet rule first, the bound last, forecast-driven policies in between."""
    head = [p for p in ("naive", "seasonal_naive", "ensemble") if p in policies]
    tail = [p for p in ("oracle",) if p in policies]
    middle = sorted(p for p in policies if p not in head and p not in tail)
    return head + middle + tail


def sample_series(
    holdout: pd.DataFrame, model: str = "ensemble", top: int = 4, worst: int = 4
) -> pd.DataFrame:
    """The highest-volume series and the worst-forecast ones (by WAPE, among series with at
    least median volume so that near-empty series do not crowd the list)."""
    _require(holdout, [SERIES_ID, "model", "y_true", "y_pred"], "holdout_forecasts")
    rows = holdout[holdout["model"] == model]
    if "scored" in rows.columns:
        rows = rows[rows["scored"]]
    grouped = rows.assign(abs_error=(rows["y_pred"] - rows["y_true"]).abs()).groupby(SERIES_ID)
    stats = grouped.agg(volume=("y_true", "sum"), abs_error=("abs_error", "sum"))
    stats["wape"] = stats["abs_error"] / stats["volume"].where(stats["volume"] > 0)
    top_ids = stats.nlargest(top, "volume").index
    candidates = stats[(stats["volume"] >= stats["volume"].median()) & ~stats.index.isin(top_ids)]
    worst_ids = candidates.nlargest(worst, "wape").index
    chosen = pd.concat(
        [
            stats.loc[top_ids].assign(reason="top volume"),
            stats.loc[worst_ids].assign(reason="worst forecast"),
        ]
    )
    return chosen.reset_index()


def _interval_columns(holdout: pd.DataFrame) -> tuple[str, str]:
    lower = [c for c in holdout.columns if c.startswith("lower_")]
    upper = [c for c in holdout.columns if c.startswith("upper_")]
    return (lower[0], upper[0]) if lower and upper else ("q_0.1", "q_0.9")


def forecast_band_chart(
    holdout: pd.DataFrame,
    model: str = "ensemble",
    top: int = 4,
    worst: int = 4,
    band: Sequence[str] | None = None,
):
    """Forecast vs actual with a band, one panel per chosen series: by default the prediction
    interval (``lower_80``, ``upper_80``), or the 10-90 % quantiles of an older table."""
    lower, upper = band or _interval_columns(holdout)
    _require(holdout, ["date", lower, upper], "holdout_forecasts")
    chosen = sample_series(holdout, model, top, worst)
    title = f"Holdout: {model} forecast vs actual with the {lower}-{upper} band"
    if chosen.empty:
        return _empty_figure(title, f"no scored rows for model {model!r}")
    titles = [
        f"{row.series_id} ({row.reason}, WAPE {row.wape:.2f})"
        if np.isfinite(row.wape)
        else f"{row.series_id} ({row.reason})"
        for row in chosen.itertuples()
    ]
    rows = holdout[holdout["model"] == model]
    return _band_figure(rows, list(chosen[SERIES_ID]), titles, (lower, upper), title, "y_true")


def _band_figure(
    rows: pd.DataFrame,
    series: Sequence[str],
    titles: Sequence[str],
    band: tuple[str, str],
    title: str,
    actual: str | None = None,
):
    """One panel per series, two columns: the band, the forecast and, with ``actual``, the
    actual values as dots."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    lower, upper = band
    columns = 2
    n_rows = int(np.ceil(len(series) / columns))
    figure = make_subplots(rows=n_rows, cols=columns, subplot_titles=list(titles))
    rows = rows.sort_values("date")
    for index, name in enumerate(series):
        part = rows[rows[SERIES_ID] == name]
        position = {"row": index // columns + 1, "col": index % columns + 1}
        first = index == 0
        figure.add_trace(
            go.Scatter(
                x=part["date"],
                y=part[upper],
                mode="lines",
                line={"width": 0},
                showlegend=False,
                hoverinfo="skip",
            ),
            **position,
        )
        figure.add_trace(
            go.Scatter(
                x=part["date"],
                y=part[lower],
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor="rgba(31,119,180,0.2)",
                name=f"{lower}-{upper} band",
                legendgroup="band",
                showlegend=first,
            ),
            **position,
        )
        figure.add_trace(
            go.Scatter(
                x=part["date"],
                y=part["y_pred"],
                mode="lines",
                line={"color": "#1f77b4"},
                name="forecast",
                legendgroup="forecast",
                showlegend=first,
            ),
            **position,
        )
        if actual is not None:
            figure.add_trace(
                go.Scatter(
                    x=part["date"],
                    y=part[actual],
                    mode="markers",
                    marker={"color": "black", "size": 5},
                    name="actual",
                    legendgroup="actual",
                    showlegend=first,
                ),
                **position,
            )
    figure.update_layout(title=title, height=280 * max(n_rows, 1))
    return figure


def forward_forecast_chart(
    forecast: pd.DataFrame, top: int = 4, band: Sequence[str] | None = None, unit: str = ""
):
    """The forecast of the coming periods for the ``top`` busiest series (largest forecast
    total), with its band (the prediction interval, or the given quantile columns)."""
    lower, upper = band or _interval_columns(forecast)
    _require(forecast, [SERIES_ID, "date", "y_pred", lower, upper], "demand_forecast")
    if forecast.empty:
        return _empty_figure("The coming periods", "no forecast rows")
    first, last = (pd.Timestamp(forecast["date"].agg(f)).date() for f in ("min", "max"))
    title = f"Forecast {first} to {last}: the {top} busiest items, {lower}-{upper} band"
    totals = forecast.groupby(SERIES_ID, observed=True)["y_pred"].sum().nlargest(top)
    titles = [
        f"{name} ({total:,.0f}{f' {unit}' if unit else ''} in all)"
        for name, total in totals.items()
    ]
    return _band_figure(forecast, list(totals.index), titles, (lower, upper), title)


def leaderboard_chart(leaderboard: pd.DataFrame):
    """Headline metric per model (lower is better); the floors (``floor``: the zero forecast
    and seasonal naive) in grey, the better of them drawn as the line to beat."""
    import plotly.graph_objects as go

    _require(leaderboard, ["model", "metric", "score"], "model_leaderboard")
    ordered = leaderboard.sort_values("score")
    metric = str(ordered["metric"].iloc[0]).upper() if len(ordered) else "score"
    floors = (
        ordered["floor"].astype(bool)
        if "floor" in ordered.columns
        else ordered["model"].eq("seasonal_naive")
    )
    colors = [
        "#2ca02c" if m == "ensemble" else "#7f7f7f" if is_floor else "#1f77b4"
        for m, is_floor in zip(ordered["model"], floors, strict=True)
    ]
    hover = None
    coverage = [c for c in ordered.columns if c.startswith("coverage_")]
    if coverage:
        share = coverage[0].removeprefix("coverage_")
        hover = [f"{share}% interval coverage {c:.1%}" for c in ordered[coverage[0]]]
    figure = go.Figure(
        go.Bar(
            x=ordered["model"],
            y=ordered["score"],
            marker_color=colors,
            text=[f"{s:.4g}" for s in ordered["score"]],
            textposition="outside",
            hovertext=hover,
        )
    )
    floor = ordered[floors.to_numpy()]
    if len(floor):
        best = floor.iloc[0]  # sorted: the floor that is hardest to beat
        figure.add_hline(
            y=float(best["score"]),
            line_dash="dash",
            line_color="#7f7f7f",
            annotation_text=f"{str(best['model']).replace('_', ' ')} (the floor)",
        )
    figure.update_layout(
        title=f"Model leaderboard on the holdout: {metric} (lower is better)",
        xaxis_title="model",
        yaxis_title=metric,
    )
    return figure


def tuning_chart(trials: Mapping[str, pd.DataFrame], importances: Mapping[str, Mapping]):
    """Optuna per model: each trial's CV score with the best so far, and parameter importances."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    models = [
        m for m in trials if "value" in trials[m].columns and trials[m]["value"].notna().any()
    ]
    title = "Hyperparameter tuning: CV score per trial (top) and parameter importance (bottom)"
    if not models:
        return _empty_figure(title, "no tuned model in this run")
    figure = make_subplots(
        rows=2, cols=len(models), subplot_titles=models + [""] * len(models), vertical_spacing=0.15
    )
    for col, model in enumerate(models, start=1):
        table = trials[model]
        done = table[table["value"].notna()].sort_values("number")
        first = col == 1
        figure.add_trace(
            go.Scatter(
                x=done["number"],
                y=done["value"],
                mode="markers",
                marker={"color": "#1f77b4"},
                name="trial score",
                legendgroup="trial",
                showlegend=first,
            ),
            row=1,
            col=col,
        )
        figure.add_trace(
            go.Scatter(
                x=done["number"],
                y=done["value"].cummin(),
                mode="lines",
                line={"color": "#d62728"},
                name="best so far",
                legendgroup="best",
                showlegend=first,
            ),
            row=1,
            col=col,
        )
        weights = pd.Series(dict(importances.get(model) or {}), dtype=float).sort_values()
        figure.add_trace(
            go.Bar(
                x=weights.to_numpy(),
                y=[str(name) for name in weights.index],
                orientation="h",
                marker_color="#9467bd",
                name="importance",
                legendgroup="importance",
                showlegend=first,
            ),
            row=2,
            col=col,
        )
    figure.update_xaxes(title_text="trial", row=1)
    figure.update_layout(title=title, height=650)
    return figure


def feature_importance_chart(importances: pd.DataFrame, top: int = 15):
    """Top features per model, coloured by feature family from the feature catalog."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    _require(importances, ["model", "feature", "share", "family"], "feature_importances")
    title = f"Feature importance: top {top} features per model, coloured by family"
    models = sorted(importances["model"].unique())
    if not models:
        return _empty_figure(title, "no feature importances in this run")
    families = sorted(importances["family"].fillna("other").unique())
    palette = [
        "#1f77b4",
        "#ff7f0e",
        "#2ca02c",
        "#d62728",
        "#9467bd",
        "#8c564b",
        "#e377c2",
        "#7f7f7f",
        "#bcbd22",
        "#17becf",
    ]
    color = {family: palette[i % len(palette)] for i, family in enumerate(families)}
    figure = make_subplots(rows=1, cols=len(models), subplot_titles=models, horizontal_spacing=0.25)
    shown: set[str] = set()
    for col, model in enumerate(models, start=1):
        part = importances[importances["model"] == model].nlargest(top, "share")
        part = part.assign(family=part["family"].fillna("other")).iloc[::-1]
        for family, rows in part.groupby("family", sort=False):
            figure.add_trace(
                go.Bar(
                    x=rows["share"],
                    y=rows["feature"],
                    orientation="h",
                    name=family,
                    marker_color=color[family],
                    legendgroup=family,
                    showlegend=family not in shown,
                ),
                row=1,
                col=col,
            )
            shown.add(family)
        figure.update_yaxes(
            categoryorder="array", categoryarray=list(part["feature"]), row=1, col=col
        )
    figure.update_xaxes(title_text="share of importance")
    figure.update_layout(title=title, height=120 + 28 * top, barmode="stack", legend_title="family")
    return figure


def backtest_cost_chart(backtest: pd.DataFrame):
    """Total cost of each policy over the holdout, split into its parts (the ending stock's
    part: what the stock left at the end will not recover of its cost), fill rate on top."""
    import plotly.graph_objects as go

    _require(backtest, ["policy", SERIES_ID, "fill_rate", *COST_COLUMNS], "policy_backtest")
    totals = backtest[backtest[SERIES_ID] == "ALL"].set_index("policy")
    totals = totals.loc[policy_order(list(totals.index))]
    labels = [POLICY_LABELS.get(p, f"policy on {p} forecast") for p in totals.index]
    figure = go.Figure()
    for column, name in COST_COLUMNS.items():
        figure.add_bar(x=labels, y=totals[column], name=f"{name} cost")
    total = totals[list(COST_COLUMNS)].sum(axis=1)
    figure.add_trace(
        go.Scatter(
            x=labels,
            y=total,
            mode="text",
            showlegend=False,
            text=[f"fill {f:.1%}" for f in totals["fill_rate"]],
            textposition="top center",
        )
    )
    figure.update_layout(
        title="Inventory backtest on real demand: total cost per policy "
        "(same demand and starting stock for all)",
        barmode="stack",
        yaxis_title="cost over the holdout",
        xaxis_title="policy",
    )
    return figure


def inventory_trajectory_chart(
    trajectories: pd.DataFrame,
    series: int = 3,
    policies: Sequence[str] = ("naive", "ensemble", "oracle"),
):
    """On-hand stock per day for sample series under a few policies: stock-outs marked with a
    cross, orders of the ensemble policy as bars, demand as a grey line."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    columns = ["policy", SERIES_ID, "date", "demand", "on_hand_end", "lost_sales", "order_qty"]
    _require(trajectories, columns, "inventory_trajectories")
    title = "Inventory replay: stock on hand, stock-outs (x) and orders per policy"
    shown_policies = [p for p in policies if p in set(trajectories["policy"])]
    if trajectories.empty or not shown_policies:
        return _empty_figure(title, "no trajectories for the chosen policies")
    reference = shown_policies[-1] if "ensemble" not in shown_policies else "ensemble"
    ref = trajectories[trajectories["policy"] == reference]
    # The busiest series and the one the reference policy ran out of most often.
    volume = ref.groupby(SERIES_ID)["demand"].sum()
    stockouts = ref.assign(out=ref["lost_sales"] > 0).groupby(SERIES_ID)["out"].sum()
    picks = list(volume.nlargest(max(series - 1, 1)).index)
    worst = stockouts.drop(picks, errors="ignore")
    if len(worst) and len(picks) < series:
        picks.append(worst.idxmax())
    figure = make_subplots(rows=len(picks), cols=1, subplot_titles=picks, shared_xaxes=False)
    colors = dict(
        zip(
            policy_order(shown_policies),
            ["#d62728", "#ff7f0e", "#2ca02c", "#1f77b4", "#9467bd"],
            strict=False,
        )
    )
    for row, series_id in enumerate(picks, start=1):
        part = trajectories[trajectories[SERIES_ID] == series_id].sort_values("date")
        first = row == 1
        demand = part[part["policy"] == shown_policies[0]]
        figure.add_trace(
            go.Scatter(
                x=demand["date"],
                y=demand["demand"],
                mode="lines",
                line={"color": "#bbbbbb", "dash": "dot"},
                name="demand",
                legendgroup="demand",
                showlegend=first,
            ),
            row=row,
            col=1,
        )
        for policy in shown_policies:
            rows = part[part["policy"] == policy]
            label = POLICY_LABELS.get(policy, policy)
            figure.add_trace(
                go.Scatter(
                    x=rows["date"],
                    y=rows["on_hand_end"],
                    mode="lines",
                    line={"color": colors.get(policy)},
                    name=f"on hand: {label}",
                    legendgroup=policy,
                    showlegend=first,
                ),
                row=row,
                col=1,
            )
            out = rows[rows["lost_sales"] > 0]
            figure.add_trace(
                go.Scatter(
                    x=out["date"],
                    y=out["on_hand_end"],
                    mode="markers",
                    marker={"symbol": "x", "size": 9, "color": colors.get(policy)},
                    name=f"stock-out: {label}",
                    legendgroup=policy,
                    showlegend=first,
                ),
                row=row,
                col=1,
            )
        orders = part[(part["policy"] == reference) & (part["order_qty"] > 0)]
        figure.add_trace(
            go.Bar(
                x=orders["date"],
                y=orders["order_qty"],
                marker_color="rgba(44,160,44,0.35)",
                name=f"orders: {POLICY_LABELS.get(reference, reference)}",
                legendgroup="orders",
                showlegend=first,
            ),
            row=row,
            col=1,
        )
    figure.update_layout(title=title, height=300 * len(picks))
    return figure


def monitoring_chart(monitoring: pd.DataFrame):
    """The daily forecasts' WAPE per date and over the rolling window, against the band
    training measured; dates whose status is "retrain recommended" marked in red."""
    import plotly.graph_objects as go

    figure = go.Figure()
    if monitoring.empty:
        figure.update_layout(title="Forecast monitoring: no daily forecast scored yet")
        return figure
    dates = pd.to_datetime(monitoring["date"])
    figure.add_trace(go.Bar(x=dates, y=monitoring["wape"], name="WAPE of the day", opacity=0.4))
    figure.add_trace(
        go.Scatter(x=dates, y=monitoring["rolling_wape"], name="rolling WAPE", mode="lines")
    )
    figure.add_trace(
        go.Scatter(
            x=dates,
            y=monitoring["band_max_wape"],
            name="training band (retrain above)",
            mode="lines",
            line={"dash": "dash", "color": "#d62728"},
        )
    )
    flagged = monitoring["status"].eq("retrain recommended")
    if flagged.any():
        figure.add_trace(
            go.Scatter(
                x=dates[flagged],
                y=monitoring.loc[flagged, "rolling_wape"],
                name="retrain recommended",
                mode="markers",
                marker={"color": "#d62728", "size": 10},
                hovertext=monitoring.loc[flagged, "reason"],
            )
        )
    figure.update_layout(
        title="Forecast monitoring: the daily forecasts against what sold",
        xaxis_title="date",
        yaxis_title="WAPE",
        legend={"orientation": "h"},
    )
    return figure
