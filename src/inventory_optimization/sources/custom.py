"""Bring your own data: a long CSV/Parquet export mapped to the panel by parameters."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ..panel.contract import DATE, DEMAND, SERIES_ID, SourceSummary
from ..panel.periods import Frequency, is_holiday
from ..panel.validation import (
    DataValidationError,
    require_columns,
    require_rows,
    to_dates,
    to_numeric,
)
from .common import assemble_panel, order_columns

AGGREGATIONS = ("sum", "mean", "error")


def build_custom_panel(
    sales: pd.DataFrame, mapping: Mapping
) -> tuple[pd.DataFrame, pd.DataFrame, SourceSummary]:
    """Map a user's export to the panel using ``mapping`` (the ``data_source`` parameters).

    Rows sharing a series and period (e.g. order lines of one day) are combined by
    ``aggregate``: the target is summed (``sum``) or averaged (``mean``), covariates are
    averaged; ``error`` refuses duplicates.
    """
    dataset = "custom sales"
    frequency = mapping.get("frequency", "D")
    keys: dict = dict(mapping["key_columns"])
    known: dict = dict(mapping.get("known_covariates") or {})
    past: dict = dict(mapping.get("past_covariates") or {})
    attributes_map: dict = dict(mapping.get("attribute_columns") or {})
    date_column, target = mapping["date_column"], mapping["target_column"]
    aggregate = mapping.get("aggregate", "sum")
    if aggregate not in AGGREGATIONS:
        raise DataValidationError(
            f"{dataset}: aggregate '{aggregate}' is not one of {AGGREGATIONS}."
        )

    require_rows(sales, dataset)
    raw_columns = [
        date_column,
        target,
        *keys.values(),
        *known.values(),
        *past.values(),
        *attributes_map.values(),
    ]
    require_columns(sales, list(dict.fromkeys(raw_columns)), dataset)

    dates = to_dates(
        sales,
        date_column,
        dataset,
        date_format=mapping.get("date_format"),
        dayfirst=bool(mapping.get("dayfirst", False)),
    )
    frame = pd.DataFrame({name: sales[raw].astype(str).str.strip() for name, raw in keys.items()})
    frame[SERIES_ID] = (
        frame[list(keys)].agg("|".join, axis=1) if len(keys) > 1 else frame[next(iter(keys))]
    )
    frame[DATE] = Frequency(frequency).period_end(dates)
    frame[DEMAND] = to_numeric(sales, target, dataset)
    for name, raw in {**known, **past}.items():
        frame[name] = to_numeric(sales, raw, dataset, allow_missing=True)

    group_keys = [SERIES_ID, *keys, DATE]
    if aggregate == "error":
        facts = frame
    else:
        covariates = [*known, *past]
        facts = frame.groupby(group_keys, sort=False, as_index=False).agg(
            {DEMAND: aggregate, **dict.fromkeys(covariates, "mean")}
        )

    country = mapping.get("country")
    summary = SourceSummary(
        source="custom",
        frequency=frequency,
        unit=mapping.get("unit", "units"),
        keys=list(keys),
        known_covariates=[*known, *(["is_holiday"] if country else [])],
        past_covariates=list(past),
        source_files={"sales": len(sales)},
        country=country,
        notes=[f"rows sharing a series and period combined by '{aggregate}'"],
    )
    panel = assemble_panel(facts, summary, dataset)
    if country:
        panel["is_holiday"] = is_holiday(panel[DATE], country)

    attributes = frame[[SERIES_ID, *keys]].drop_duplicates(SERIES_ID)
    if attributes_map:
        static = sales.assign(**{SERIES_ID: frame[SERIES_ID]}).drop_duplicates(SERIES_ID)
        static = static.set_index(SERIES_ID)[list(attributes_map.values())]
        static.columns = list(attributes_map)
        attributes = attributes.merge(static, left_on=SERIES_ID, right_index=True, how="left")
    return order_columns(panel, summary), attributes.reset_index(drop=True), summary
