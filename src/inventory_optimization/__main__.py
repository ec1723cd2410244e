"""The project's command line: ``inventory-optimization COMMAND`` (or ``python -m
inventory_optimization``).

``run`` is Kedro's own ``kedro run`` (every option of it), and also what the bare command does,
as in earlier releases. ``sources`` lists the data sources an environment can name in
``data_source.kind``. ``inspect FILE`` reads a user's export and prints the ``data_source``
mapping it infers (``panel.inspection``), ready to paste into ``conf/custom``. ``registry
list | promote`` shows the registered forecaster versions of an environment and moves its
champion alias. ``serve`` starts the forecasting and ordering service (``service``, uvicorn).
New wings (the stream consumer) add their commands here, as thin wrappers over plain modules.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

PACKAGE_NAME = Path(__file__).parent.name


def _kedro_run() -> click.Command:
    # Imported here: importing kedro.framework.project configures (and logs) Kedro's logging,
    # which would print into the output of `sources` and `inspect`.
    from kedro.framework.cli.utils import find_run_command
    from kedro.framework.project import configure_project

    configure_project(PACKAGE_NAME)
    return find_run_command(PACKAGE_NAME)


class _ProjectCLI(click.Group):
    """Resolves ``run`` lazily, so ``--help`` and ``sources`` do not load Kedro's project."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), "run"})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name == "run":
            return _kedro_run()
        return super().get_command(ctx, name)


@click.group(cls=_ProjectCLI, invoke_without_command=True)
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Demand forecasting and inventory optimization (Kedro project)."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(_kedro_run())


@cli.command("sources")
def list_sources() -> None:
    """List the registered data sources and the catalog entries of their raw tables."""
    from .sources.registry import SOURCES

    for source in SOURCES.values():
        click.echo(f"{source.kind}: {source.description}")
        for argument, entry in source.raw_inputs.items():
            click.echo(f"    {argument:<12} <- catalog entry '{entry}'")


@cli.command("inspect")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--sep", help='Column separator of a CSV, e.g. ";" or "\\t" (default ",").')
@click.option("--encoding", help="Text encoding of a CSV, e.g. latin-1 (default utf-8).")
def inspect_file(file: Path, sep: str | None, encoding: str | None) -> None:
    """Print the data_source mapping inferred from FILE (CSV, gzipped CSV or Parquet)."""
    import pandas as pd
    from kedro.io import DatasetError

    from .datasets import RawTableDataset
    from .panel.inspection import inspect_table

    load_args = {"sep": sep.replace("\\t", "\t") if sep else None, "encoding": encoding}
    load_args = {key: value for key, value in load_args.items() if value}
    dataset = RawTableDataset(str(file), load_args=load_args)
    if not dataset.exists():
        raise click.ClickException(f"{file} not found (nor its .gz or plain form).")
    try:
        table = dataset.load()
    except (DatasetError, pd.errors.EmptyDataError, pd.errors.ParserError) as error:
        hint = " For inspect, pass the same as --sep or --encoding."
        raise click.ClickException(" ".join(str(error).split()) + hint) from None
    click.echo(inspect_table(table).to_yaml(str(file), load_args), nl=False)


def _registry(env: str | None):
    """The registered forecaster of ``env``'s dataset, in the store its globals name."""
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    from .registry import ForecasterRegistry

    project = Path.cwd()
    bootstrap_project(project)
    with KedroSession.create(project_path=project, env=env) as session:
        settings = session.load_context().config_loader["globals"]
    return ForecasterRegistry(
        settings["dataset"],
        f"sqlite:///{project / settings['mlflow_store']}",
        str(project / settings["mlflow_artifact_root"]),
    )


@cli.group("registry")
def registry() -> None:
    """The registered demand forecaster of an environment (MLflow, in the project folder)."""


@registry.command("list")
@click.option("--env", "-e", default=None, help="Kedro environment (default: local/base).")
def list_versions(env: str | None) -> None:
    """List the registered versions, their aliases, scores and why each was (not) promoted."""
    registered = _registry(env)
    table = registered.versions()
    if table.empty:
        click.echo(f"{registered.name}: no version registered yet (run --pipelines training).")
        return
    click.echo(f"{registered.name} ({registered.tracking_uri}):")
    click.echo(table.drop(columns="run_id").to_string(index=False))


@registry.command("promote")
@click.option("--env", "-e", default=None, help="Kedro environment (default: local/base).")
@click.option("--version", "version", required=True, help="The version to make champion.")
def promote_version(env: str | None, version: str) -> None:
    """Make VERSION the champion the daily run forecasts with (e.g. roll back)."""
    from .registry import RegistryError

    registered = _registry(env)
    try:
        registered.promote(version)
    except RegistryError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{registered.name}: version {version} is now the champion.")


@cli.command("serve")
@click.option("--env", "-e", default=None, help="Kedro environment (default: local/base).")
@click.option("--host", default="127.0.0.1", show_default=True, help="0.0.0.0 in a container.")
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--watch-seconds",
    default=30.0,
    show_default=True,
    help="How often to look for a newer daily plan (and reload); 0: only POST /reload.",
)
@click.option(
    "--access-log/--no-access-log",
    default=True,
    show_default=True,
    help="One log line per request (GET /metrics counts them either way).",
)
def serve(env: str | None, host: str, port: int, watch_seconds: float, access_log: bool) -> None:
    """Serve forecasts, today's plan and what-ifs of the project in the current folder.

    \b
    Example:
      INVENTORY_API_KEY=secret inventory-optimization serve --env rossmann --port 8000
      curl localhost:8000/ready
    """
    import logging

    import uvicorn

    from .service import ServiceSettings, create_app

    # The plan's INFO lines, once per what-if, would drown the access log (and cost time).
    for name in (
        "inventory_optimization.pipelines.replenishment",
        "inventory_optimization.inventory",
    ):
        logging.getLogger(name).setLevel(logging.WARNING)
    settings = ServiceSettings.from_environment(Path.cwd(), env, watch_seconds=watch_seconds)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info", access_log=access_log)


@cli.group("stream")
def stream() -> None:
    """Sale events from Kafka into the landing folder (README, "Streaming sales from Kafka")."""


@stream.command("consume")
@click.option("--env", "-e", default=None, help="Kedro environment (default: local/base).")
@click.option("--bootstrap", help="host:port of the brokers (default: parameters' streaming).")
@click.option("--topic", help="Topic of the sale events (default: streaming.topic).")
@click.option("--group", help="Consumer group (default: streaming.group).")
@click.option("--metrics-port", type=int, help="Serve Prometheus metrics on this port.")
def stream_consume(
    env: str | None, bootstrap: str | None, topic: str | None, group: str | None, metrics_port
) -> None:
    """Consume sale events into the landing folder until SIGTERM or Ctrl-C (offsets are
    committed after each batch's file is on disk).

    \b
    Example:
      inventory-optimization stream consume --env rossmann --bootstrap kafka:9092 \\
        --topic sales --group inventory
    """
    import logging

    from .streaming.project import project_consumer

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    consumer = project_consumer(Path.cwd(), env, bootstrap, topic, group)
    if metrics_port:
        from prometheus_client import start_http_server

        start_http_server(metrics_port, registry=consumer.metrics.registry)
    consumer.run()


@stream.command("replay")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--env", "-e", default=None, help="Kedro environment (broker settings).")
@click.option("--bootstrap", help="host:port of the brokers (default: parameters' streaming).")
@click.option("--topic", default="sales", show_default=True)
@click.option("--rate", type=float, help="Events per second (default: as fast as possible).")
@click.option("--timezone", default="UTC", show_default=True, help="Of timestamps without one.")
@click.option("--dayfirst", is_flag=True, help="Dates are day-first (3/8/2019 is 3 August).")
@click.option("--store", help="store_id of every event, for a file without a store column.")
def stream_replay(
    file: Path, env, bootstrap, topic: str, rate, timezone: str, dayfirst: bool, store
) -> None:
    """Publish a sales table (CSV or Parquet: a timestamp or date, a quantity, store_id and
    item_id columns) as sale events, one per line."""
    from .streaming.project import project_broker
    from .streaming.replay import events_from_table, publish, read_table

    if bootstrap and not env:  # no project needed
        broker = {"bootstrap.servers": bootstrap}
    else:
        broker = project_broker(Path.cwd(), env, bootstrap)
    payloads = events_from_table(
        read_table(file), file.stem, timezone=timezone, dayfirst=dayfirst, store=store
    )
    click.echo(f"published {publish(payloads, broker, topic, rate)} events to {topic}")


def main(*args, **kwargs) -> Any:
    kwargs["standalone_mode"] = not hasattr(sys, "ps1")
    return cli(*args, **kwargs)


if __name__ == "__main__":
    main()
