"""The consumer of one project environment: its panel's contract, the landing folder and the
broker settings from Kedro config (parameters ``streaming``, credentials ``kafka``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ..panel.contract import SourceSummary
from .consumer import BatchLimits, SalesConsumer
from .events import EventContract


def broker_settings(streaming: dict[str, Any], credentials: dict[str, Any], bootstrap=None):
    """librdkafka settings: the parameters' broker block, the credentials over it, and a
    ``--bootstrap`` over both."""
    settings = {**streaming.get("broker", {}), **(credentials or {})}
    if bootstrap:
        settings["bootstrap.servers"] = bootstrap
    return {key: str(value) for key, value in settings.items() if value is not None}


def _credentials(context: Any) -> dict[str, Any]:
    try:
        return context.config_loader["credentials"].get("kafka", {}) or {}
    except Exception:  # noqa: BLE001 - no credentials file: a local broker
        return {}


def project_broker(project: Path, env: str | None, bootstrap: str | None) -> dict[str, str]:
    """The broker settings of a project environment (what ``stream replay`` publishes to)."""
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(project)
    with KedroSession.create(project_path=project, env=env) as session:
        context = session.load_context()
        return broker_settings(context.params["streaming"], _credentials(context), bootstrap)


def project_consumer(
    project: Path, env: str | None, bootstrap: str | None, topic: str | None, group: str | None
) -> SalesConsumer:
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(project)
    with KedroSession.create(project_path=project, env=env) as session:
        context = session.load_context()
        parameters = context.params
        streaming = parameters["streaming"]
        credentials = _credentials(context)
        catalog = context.catalog
        raw_panel = catalog.load("raw_panel")
        summary = SourceSummary.from_dict(catalog.load("source_summary"))
        landing = Path(catalog.get("sales_landing")._normalized_path)  # noqa: SLF001
    contract = EventContract.for_panel(
        raw_panel,
        summary,
        accept_new_series=bool(parameters["landing"].get("accept_new_series", False)),
        key_columns=streaming.get("key_columns"),
        timezone=streaming.get("timezone", "UTC"),
        allow_negative=parameters["cleaning"]["negative_policy"] == "keep",
        max_future=pd.Timedelta(minutes=float(streaming.get("max_future_minutes", 10))),
    )
    batch = streaming.get("batch", {})
    return SalesConsumer(
        broker_settings(streaming, credentials, bootstrap),
        topic or streaming["topic"],
        group or streaming["group"],
        streaming["dead_letter_topic"],
        landing / streaming.get("folder", "stream"),
        contract,
        BatchLimits(
            max_events=int(batch.get("max_events", 50_000)),
            max_seconds=float(batch.get("max_seconds", 1.0)),
        ),
        consumer_options={k: str(v) for k, v in (streaming.get("consumer") or {}).items()},
    )
