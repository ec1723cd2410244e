"""Regenerate the Airflow DAGs in deploy/airflow/dags/ with kedro-airflow.

    python deploy/airflow/regenerate.py [--target-dir DIR]

run from the project folder with the project's Python (kedro-airflow is a dev dependency). For
every environment (``local``, the built-in data, and each ``conf/<env>/``) and each scheduled
composition (``training``, ``daily``) it runs what one would type::

    kedro airflow create --env ENV --pipelines training,daily --group-by namespace \\
        --jinja-file deploy/airflow/dag_template.j2 --target-dir deploy/airflow/dags

in this process (one project load instead of one per environment), with one change: a task is
one node or one model family (``modeling.xgboost``: tune, cross-validate, fit and forecast),
not the whole stage. Every node is namespaced by its stage (``replenishment.plan_replenishment``)
so that kedro-viz draws a box per stage, and kedro-airflow's ``--group-by namespace`` groups by
the top-level namespace, which would make each stage one task: :func:`task_groups` groups below
the stage instead. The DAG's schedule, retries and start date come from
``conf/base/airflow.yml``. ``tests/test_schedule.py`` regenerates into
a temporary folder and fails when a committed DAG differs.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from unittest import mock

PROJECT = Path(__file__).resolve().parents[2]
HERE = PROJECT / "deploy" / "airflow"
TEMPLATE = HERE / "dag_template.j2"
DAGS = HERE / "dags"
PIPELINES = ("training", "daily")
GROUP_BY = "namespace"  # one task per model family; see the README's "Schedule"
DEFAULT_ENV = "local"  # `kedro run` without --env: the built-in data


def environments(project: Path = PROJECT) -> list[str]:
    """``local`` and every committed environment but ``base``."""
    folders = {p.name for p in (project / "conf").iterdir() if p.is_dir()}
    return [DEFAULT_ENV, *sorted(folders - {"base", DEFAULT_ENV})]


def arguments(env: str, target_dir: Path) -> list[str]:
    """The ``kedro airflow create`` arguments for one environment."""
    return [
        "--env", env,
        "--pipelines", ",".join(PIPELINES),
        "--group-by", GROUP_BY,
        "--jinja-file", str(TEMPLATE),
        "--target-dir", str(target_dir),
    ]  # fmt: skip


def dag_file(env: str, pipeline: str) -> str:
    """The file kedro-airflow writes for ``env`` and ``pipeline``."""
    middle = "" if env == DEFAULT_ENV else f"_{env}"
    return f"inventory_optimization{middle}_{pipeline}_dag.py"


def task_groups(pipeline, group_by: str | None = GROUP_BY) -> list:
    """One group per node, or per namespace below the stage (a model family): what
    ``Pipeline.group_nodes_by("namespace")`` gives without the stage level. A group is named
    by its node's or namespace's last part (``plan_replenishment``, ``xgboost``), the task id
    the DAGs had before stages were namespaced; the template runs a namespace group by the
    namespace of its nodes."""
    from kedro.pipeline import GroupedNodes

    def key(node) -> tuple[str, bool]:
        below_stage = (node.namespace or "").split(".")[1:]
        return (below_stage[-1], True) if below_stage else (node.name.split(".")[-1], False)

    groups: dict[str, GroupedNodes] = {}
    for node in pipeline.nodes:  # topological order, as kedro-airflow's own grouping
        name, is_namespace = key(node)
        group = groups.setdefault(
            name, GroupedNodes(name, "namespace" if is_namespace else "nodes")
        )
        group.nodes.append(node.name)
        for parent in sorted(pipeline.node_dependencies[node], key=lambda n: n.name):
            parent_name = key(parent)[0]
            if parent_name != name and parent_name not in group.dependencies:
                group.dependencies.append(parent_name)
    return list(groups.values())


def regenerate(target_dir: Path = DAGS) -> list[Path]:
    """Write every DAG into ``target_dir``; return the files written."""
    from kedro.framework.startup import bootstrap_project
    from kedro.pipeline import Pipeline
    from kedro_airflow.plugin import create

    os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "1")
    target_dir = Path(target_dir).resolve()
    previous = Path.cwd()
    os.chdir(PROJECT)
    try:
        metadata = bootstrap_project(PROJECT)
        with mock.patch.object(Pipeline, "group_nodes_by", task_groups):
            for env in environments():
                create.main(arguments(env, target_dir), obj=metadata, standalone_mode=False)
    finally:
        os.chdir(previous)
    return [target_dir / dag_file(env, p) for env in environments() for p in PIPELINES]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target-dir", type=Path, default=DAGS)
    written = regenerate(parser.parse_args().target_dir)
    print(f"{len(written)} DAGs in {written[0].parent}")  # noqa: T201


if __name__ == "__main__":
    main()
