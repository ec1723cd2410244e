"""The schedules a user sets up (README "Schedule"): the committed Airflow DAGs are what
kedro-airflow generates today, run exactly the nodes of their pipeline in an order that follows
its data; every output they pass between tasks is a file; the crontab's lines are well formed
and name pipelines and environments that exist.

Airflow is not a dependency: a DAG file is executed against a stand-in ``airflow.sdk`` that
records its DAG, tasks, edges and the nodes each task runs. Where Airflow is installed, its own
DagBag loads the files too.
"""

from __future__ import annotations

import os
import re
import runpy
import shlex
import subprocess
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import pytest
import yaml
from kedro.config import OmegaConfigLoader
from kedro.io import DataCatalog, MemoryDataset

from inventory_optimization.pipeline_registry import COMPOSITIONS, create_pipelines
from inventory_optimization.settings import CONFIG_LOADER_ARGS
from inventory_optimization.sources.registry import source_for
from tests.conftest import PROJECT_ROOT

AIRFLOW = PROJECT_ROOT / "deploy" / "airflow"
DAGS = AIRFLOW / "dags"
CRONTAB = PROJECT_ROOT / "deploy" / "cron" / "inventory-optimization.crontab"
sys.path.insert(0, str(AIRFLOW))
import regenerate  # noqa: E402 - deploy/airflow/regenerate.py, not a package

SCHEDULED = regenerate.PIPELINES
ENVIRONMENTS = regenerate.environments()


@dataclass
class Task:
    task_id: str
    run: Callable[[], None]
    upstream: set[str] = field(default_factory=set)

    def __rshift__(self, other: Task) -> Task:
        other.upstream.add(self.task_id)
        return other


@dataclass
class Dag:
    kwargs: dict
    tasks: dict[str, Task] = field(default_factory=dict)
    module: dict = field(default_factory=dict)

    def nodes_of(self, task_id: str, pipeline) -> set[str]:
        """The nodes a task runs: its ``_run_kedro_node`` call, resolved on ``pipeline``."""
        calls = []
        with mock.patch.dict(self.module, {"_run_kedro_node": lambda **kw: calls.append(kw)}):
            self.tasks[task_id].run()
        (call,) = calls
        if call.get("namespaces") is not None:
            names = set(call["namespaces"])
            return {n.name for n in pipeline.only_nodes_with_namespaces(sorted(names)).nodes}
        return set(call["node_names"])


def load_dag(path: Path) -> Dag:
    """Execute a DAG file against a stand-in ``airflow.sdk``; return the one DAG it defines."""
    dags: list[Dag] = []
    building: list[Dag] = []

    def dag(**kwargs):
        def decorate(function):
            def build():
                building.append(Dag(kwargs))
                function()
                dags.append(building.pop())

            return build

        return decorate

    def task(task_id):
        def decorate(function):
            def create():
                created = Task(task_id, function)
                building[-1].tasks[task_id] = created
                return created

            return create

        return decorate

    sdk = types.ModuleType("airflow.sdk")
    sdk.dag, sdk.task = dag, task
    airflow = types.ModuleType("airflow")
    airflow.sdk = sdk
    with mock.patch.dict(sys.modules, {"airflow": airflow, "airflow.sdk": sdk}):
        runpy.run_path(str(path))
    (defined,) = dags
    # run_path returns a copy of the module's globals; the task functions look up _run_kedro_node in the namespace they were defined in
    defined.module = next(iter(defined.tasks.values())).run.__globals__
    return defined


def environment(env: str) -> tuple[dict, DataCatalog]:
    """An environment's registered pipelines and its catalog, as Kedro merges its config."""
    loader = OmegaConfigLoader(str(PROJECT_ROOT / "conf"), env=env, **CONFIG_LOADER_ARGS)
    kind = loader["parameters"]["data_source"]["kind"]
    return create_pipelines(source_for(kind)), DataCatalog.from_config(loader["catalog"])


@pytest.fixture(scope="module")
def registered() -> dict[str, tuple[dict, DataCatalog]]:
    return {env: environment(env) for env in ENVIRONMENTS}


def test_the_committed_dags_are_what_kedro_airflow_generates(tmp_path):
    result = subprocess.run(
        [sys.executable, str(AIRFLOW / "regenerate.py"), "--target-dir", str(tmp_path)],
        cwd=PROJECT_ROOT,
        env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    expected = sorted(p.name for p in tmp_path.glob("*.py"))
    assert expected == sorted(regenerate.dag_file(e, p) for e in ENVIRONMENTS for p in SCHEDULED)
    assert sorted(p.name for p in DAGS.glob("*.py")) == expected
    stale = [n for n in expected if (DAGS / n).read_text() != (tmp_path / n).read_text()]
    assert not stale, f"out of date, run `python deploy/airflow/regenerate.py`: {stale}"


@pytest.mark.parametrize("env", ENVIRONMENTS)
@pytest.mark.parametrize("name", SCHEDULED)
def test_each_dag_runs_exactly_its_pipelines_nodes_in_the_order_of_their_data(
    env, name, registered
):
    pipelines, _ = registered[env]
    pipeline = pipelines[name]
    dag = load_dag(DAGS / regenerate.dag_file(env, name))
    suffix = "" if env == regenerate.DEFAULT_ENV else f"_{env}"
    assert dag.kwargs["dag_id"] == f"inventory_optimization{suffix}_{name}"
    assert dag.kwargs["max_active_tasks"] == 1  # each task takes the environment's run lock

    task_of: dict[str, str] = {}
    for task_id in dag.tasks:
        for node in dag.nodes_of(task_id, pipeline):
            assert node not in task_of, f"{node} runs in {task_of[node]} and {task_id}"
            task_of[node] = task_id
    assert set(task_of) == {n.name for n in pipeline.nodes}

    def upstream_of(task_id: str) -> set[str]:
        seen, todo = set(), [task_id]
        while todo:
            for parent in dag.tasks[todo.pop()].upstream - seen:
                seen.add(parent)
                todo.append(parent)
        return seen

    producer = {output: n.name for n in pipeline.nodes for output in n.outputs}
    needed = set()  # the task edges the data asks for
    for node in pipeline.nodes:
        for dataset in node.inputs:
            if dataset in producer and task_of[producer[dataset]] != task_of[node.name]:
                parent, child = task_of[producer[dataset]], task_of[node.name]
                assert parent in upstream_of(child), f"{dataset}: {parent} must run before {child}"
                needed.add((parent, child))
    edges = {(parent, t.task_id) for t in dag.tasks.values() for parent in t.upstream}
    assert edges <= needed, f"edges no data asks for: {sorted(edges - needed)}"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_what_one_task_passes_to_the_next_is_a_catalog_file(env, registered):
    """Each Airflow task is its own Kedro session: an output kept in memory would be gone."""
    pipelines, catalog = registered[env]
    for name in SCHEDULED:
        outputs = pipelines[name].all_outputs()
        in_memory = sorted(
            o for o in outputs if o not in catalog or isinstance(catalog.get(o), MemoryDataset)
        )
        assert not in_memory, f"{env} {name}: outputs with no file in the catalog: {in_memory}"


def test_the_dags_load_in_airflow():
    pytest.importorskip("airflow", reason="Airflow is not a dependency of the project")
    from airflow.models import DagBag

    bag = DagBag(dag_folder=str(DAGS), include_examples=False)
    assert not bag.import_errors
    assert set(bag.dag_ids) == {
        load_dag(DAGS / regenerate.dag_file(e, p)).kwargs["dag_id"]
        for e in ENVIRONMENTS
        for p in SCHEDULED
    }


# --- cron -----------------------------------------------------------------------------------
FIELD_RANGES = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]  # minute hour dom month dow


def cron_field_ok(text: str, low: int, high: int) -> bool:
    """One field of a cron expression: *, N, N-M, a list of them, each with an optional /S."""
    for part in text.split(","):
        match = re.fullmatch(r"(\*|(\d+)(?:-(\d+))?)(?:/(\d+))?", part)
        if not match:
            return False
        bounds = [int(v) for v in match.group(2, 3) if v is not None]
        if any(not low <= v <= high for v in bounds) or bounds != sorted(bounds):
            return False
        if match.group(4) is not None and int(match.group(4)) == 0:
            return False
    return True


def cron_expression_ok(expression: str) -> bool:
    fields = expression.split()
    return len(fields) == 5 and all(
        cron_field_ok(f, *bounds) for f, bounds in zip(fields, FIELD_RANGES, strict=True)
    )


def crontab_entries() -> list[tuple[str, list[str]]]:
    """(the five time fields, the command's words) of each job line."""
    entries = []
    for line in CRONTAB.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if re.fullmatch(r"[A-Z_]+=\S*", line.strip()):  # an environment variable for the jobs
            continue
        fields = line.split(None, 5)
        assert len(fields) == 6, f"not five time fields and a command: {line!r}"
        expression = " ".join(fields[:5])
        assert cron_expression_ok(expression), f"bad time fields: {line!r}"
        entries.append((expression, shlex.split(fields[5])))
    return entries


def option(words: list[str], name: str) -> str | None:
    return words[words.index(name) + 1] if name in words else None


def test_the_crontab_runs_training_weekly_and_daily_every_day_for_every_environment():
    jobs = {}
    for expression, words in crontab_entries():
        assert words[:2] == ["cd", "$PROJECT"], words  # relative paths below are the project's
        kedro = words.index(".venv/bin/kedro")
        assert "KEDRO_DISABLE_TELEMETRY=1" in words[:kedro]
        assert words[kedro + 1] == "run"
        assert words[-3] == ">>" and words[-1] == "2>&1", "log to a file"
        env = option(words, "--env") or regenerate.DEFAULT_ENV
        pipeline = option(words, "--pipelines")
        assert env in ENVIRONMENTS, f"no conf/{env}"
        assert pipeline in COMPOSITIONS, f"not a registered composition: {pipeline}"
        assert words[-2] == f"logs/{env}-{pipeline}.log"
        # the lines of one environment wait for each other on their own lock file
        assert words[words.index("flock") : words.index("flock") + 3] == [
            "flock", "-w", "21600"
        ]  # fmt: skip
        assert words[words.index("flock") + 3] == f"data/.locks/cron-{env}"
        assert (env, pipeline) not in jobs, f"two lines for {env} {pipeline}"
        jobs[env, pipeline] = expression.split()
    assert set(jobs) == {(e, p) for e in ENVIRONMENTS for p in SCHEDULED}
    for env in ENVIRONMENTS:
        assert jobs[env, "training"][2:] == ["*", "*", "0"]  # weekly, on Sundays
        assert jobs[env, "daily"][2:] == ["*", "*", "*"]  # every day


def test_the_airflow_schedules_are_cron_expressions():
    config = yaml.safe_load((PROJECT_ROOT / "conf" / "base" / "airflow.yml").read_text())
    assert set(config) == {"default", *SCHEDULED}
    for name in SCHEDULED:
        assert cron_expression_ok(config[name]["schedule"]), config[name]


@pytest.mark.parametrize(
    ("expression", "ok"),
    [("0 5 * * *", True), ("*/15 1-3 1,15 * 0", True), ("60 5 * * *", False),
     ("5 * * *", False), ("0 5 * * mon-x", False), ("0 9-3 * * *", False), ("*/0 * * * *", False)],
)  # fmt: skip
def test_the_cron_check_itself(expression, ok):
    assert cron_expression_ok(expression) is ok
