"""The one list of data sources the project can ingest.

Each :class:`Source` declares its raw inputs (the catalog entries of its files, by the adapter's
argument names), the adapter function that turns them into a raw demand panel, and which
``data_source`` parameters the adapter reads. The data engineering pipeline builds its single
ingestion node from the environment's source, so adding a source is one adapter module and one
entry below (plus the raw files in its environment's catalog).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..panel.contract import SourceSummary
from .custom import build_custom_panel
from .recruit import build_recruit_panel
from .rossmann import build_rossmann_panel
from .synthetic import build_synthetic_panel, generate_demand_data
from .walmart import build_walmart_panel

Built = tuple[pd.DataFrame, pd.DataFrame, SourceSummary]
REQUIRED = object()  # a setting the environment's data_source must give


@dataclass(frozen=True)
class Source:
    """One dataset family: its raw tables, its adapter and the parameters the adapter reads."""

    kind: str
    description: str
    build: Callable[..., Built]
    # adapter argument -> catalog entry holding that raw table
    raw_inputs: Mapping[str, str]
    # data_source key -> default (REQUIRED: no default) passed to the adapter by name
    settings: Mapping[str, Any] = field(default_factory=lambda: {"frequency": REQUIRED})
    # the adapter reads the whole data_source mapping (a user's column mapping) as `mapping`
    takes_mapping: bool = False
    # the built-in data is written by a generator node: parameters in, a dict of tables out,
    # keyed by the adapter's argument names plus `generated_extras` (catalog entries)
    generator: Callable[[Mapping], dict[str, pd.DataFrame]] | None = None
    generator_parameters: str = ""
    generated_extras: tuple[str, ...] = ()

    def build_panel(self, tables: Mapping[str, pd.DataFrame], data_source: Mapping) -> Built:
        """Call the adapter with the loaded raw tables and the settings it reads."""
        missing = [name for name in self.raw_inputs if name not in tables]
        if missing:
            raise ValueError(
                f"data source '{self.kind}' needs the raw tables {list(self.raw_inputs)}; "
                f"missing {missing}."
            )
        arguments: dict[str, Any] = {name: tables[name] for name in self.raw_inputs}
        if self.takes_mapping:
            arguments["mapping"] = data_source
        for key, default in self.settings.items():
            if key in data_source:
                arguments[key] = data_source[key]
            elif default is REQUIRED:
                raise ValueError(
                    f"data_source.{key} is required for the '{self.kind}' source "
                    f"(set it in conf/<env>/parameters_data_engineering.yml)."
                )
            else:
                arguments[key] = default
        return self.build(**arguments)


SOURCES: dict[str, Source] = {
    source.kind: source
    for source in (
        Source(
            kind="synthetic",
            description="built-in seeded point-of-sale data: stores x items x day",
            build=build_synthetic_panel,
            raw_inputs={
                "sales": "synthetic_sales",
                "items": "synthetic_items",
                "stores": "synthetic_stores",
                "weather": "synthetic_weather",
            },
            settings={"frequency": REQUIRED, "country": "PE"},
            generator=generate_demand_data,
            generator_parameters="synthetic_data",
            generated_extras=("stock_positions", "true_demand"),
        ),
        Source(
            kind="rossmann",
            description="Rossmann Store Sales (Kaggle): drugstores x day, sales in EUR",
            build=build_rossmann_panel,
            raw_inputs={
                "train": "rossmann_train",
                "stores": "rossmann_store",
                "store_states": "rossmann_store_states",
                "weather": "rossmann_weather",
            },
        ),
        Source(
            kind="walmart",
            description="Walmart Store Sales (Kaggle): store x department x week, USD",
            build=build_walmart_panel,
            raw_inputs={
                "train": "walmart_train",
                "features": "walmart_features",
                "stores": "walmart_stores",
            },
        ),
        Source(
            kind="recruit",
            description="Recruit Restaurant Visitors (Kaggle): restaurants x day, covers",
            build=build_recruit_panel,
            raw_inputs={
                "visits": "recruit_air_visit_data",
                "store_info": "recruit_air_store_info",
                "date_info": "recruit_date_info",
            },
        ),
        Source(
            kind="custom",
            description="your own long export, mapped to the panel by data_source parameters",
            build=build_custom_panel,
            raw_inputs={"sales": "custom_sales"},
            settings={},
            takes_mapping=True,
        ),
    )
}


def source_for(kind: str) -> Source:
    """The registered source of a ``data_source.kind``, or an error listing the known ones."""
    try:
        return SOURCES[kind]
    except KeyError:
        raise ValueError(
            f"data_source.kind '{kind}' is not a registered source; expected one of "
            f"{sorted(SOURCES)} (sources/registry.py lists them)."
        ) from None
