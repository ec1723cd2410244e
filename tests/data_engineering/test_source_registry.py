"""The one registry of sources: every source's raw tables exist in its environment's catalog,
its adapter takes exactly what the registry passes, and every tool that creates a Kedro context
(hooks or not) registers the environment's own ingestion node."""

from __future__ import annotations

import inspect

import pandas as pd
import pytest
import yaml
from kedro.framework.hooks.manager import _create_hook_manager
from kedro.framework.project import pipelines
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

from inventory_optimization.pipeline_registry import create_pipelines
from inventory_optimization.sources.registry import REQUIRED, SOURCES, Source, source_for
from tests.conftest import PROJECT_ROOT

ENVIRONMENT_OF = {"synthetic": "base", **{kind: kind for kind in SOURCES if kind != "synthetic"}}


def _catalog_entries(env: str) -> set[str]:
    entries: set[str] = set()
    for folder in {"base", env}:
        path = PROJECT_ROOT / "conf" / folder / "catalog.yml"
        entries |= set(yaml.safe_load(path.read_text()) or {})
    return entries


@pytest.mark.parametrize("kind", sorted(SOURCES))
def test_raw_inputs_are_catalog_entries_of_the_sources_environment(kind: str):
    source = SOURCES[kind]
    env = ENVIRONMENT_OF[kind]
    missing = set(source.raw_inputs.values()) - _catalog_entries(env)
    assert not missing, f"{kind}: raw inputs without a catalog entry in conf/{env}: {missing}"
    parameters = yaml.safe_load(
        (PROJECT_ROOT / "conf" / env / "parameters_data_engineering.yml").read_text()
    )
    assert parameters["data_source"]["kind"] == kind


@pytest.mark.parametrize("kind", sorted(SOURCES))
def test_adapter_signature_matches_what_the_registry_passes(kind: str):
    source = SOURCES[kind]
    passed = {*source.raw_inputs, *source.settings} | (
        {"mapping"} if source.takes_mapping else set()
    )
    accepted = set(inspect.signature(source.build).parameters)
    assert passed <= accepted
    required = {
        name
        for name, parameter in inspect.signature(source.build).parameters.items()
        if parameter.default is inspect.Parameter.empty
    }
    assert required <= passed


def test_unknown_kind_names_the_registered_sources():
    with pytest.raises(ValueError, match=r"'shopify' is not a registered source.*'rossmann'"):
        source_for("shopify")


def test_missing_table_and_setting_are_named():
    rossmann = source_for("rossmann")
    with pytest.raises(ValueError, match=r"needs the raw tables .*missing \['weather'\]"):
        rossmann.build_panel(
            {name: pd.DataFrame() for name in ("train", "stores", "store_states")}, {}
        )
    tables = {name: pd.DataFrame() for name in rossmann.raw_inputs}
    with pytest.raises(ValueError, match=r"data_source.frequency is required for the 'rossmann'"):
        rossmann.build_panel(tables, {"kind": "rossmann"})


def test_settings_defaults_reach_the_adapter():
    seen = {}

    def adapter(sales, frequency, country):
        seen.update(frequency=frequency, country=country, rows=len(sales))
        return sales, sales, None

    source = Source(
        kind="toy",
        description="toy",
        build=adapter,
        raw_inputs={"sales": "toy_sales"},
        settings={"frequency": REQUIRED, "country": "PE"},
    )
    source.build_panel({"sales": pd.DataFrame({"a": [1, 2]})}, {"frequency": "W-SUN"})
    assert seen == {"frequency": "W-SUN", "country": "PE", "rows": 2}


@pytest.mark.parametrize("kind", sorted(SOURCES))
def test_pipelines_of_a_source_have_one_ingestion_node(kind: str):
    source = SOURCES[kind]
    registered = create_pipelines(source)
    ingestion = [n for n in registered["__default__"].nodes if "ingestion" in n.tags]
    names = [n.name.removeprefix("data_engineering.") for n in ingestion]
    assert names.count("ingest_sales") == 1
    node = next(n for n in ingestion if n.name == "data_engineering.ingest_sales")
    assert set(node.inputs) == {*source.raw_inputs.values(), "params:data_source"}
    assert ("generate_demand_data" in names) == (source.generator is not None)
    # The old pipeline name still runs the same nodes.
    assert registered["inventory_optimization"] is registered["replenishment"]
    for name, pipeline in registered.items():
        for node in pipeline.nodes:
            assert node.name.split(".")[-1] == node.func.__name__, (name, node.name)


def _ingestion_inputs(env: str | None) -> set[str]:
    bootstrap_project(PROJECT_ROOT)
    with KedroSession.create(project_path=PROJECT_ROOT, env=env) as session:
        session._hook_manager = _create_hook_manager()  # no project hooks, as in kedro-viz
        session.load_context()
        ingest = "data_engineering.ingest_sales"
        node = next(n for n in pipelines["__default__"].nodes if n.name == ingest)
        return set(node.inputs)


def test_context_registers_the_environments_source_without_hooks():
    assert _ingestion_inputs("rossmann") == {
        *SOURCES["rossmann"].raw_inputs.values(),
        "params:data_source",
    }
    assert _ingestion_inputs("walmart") == {
        *SOURCES["walmart"].raw_inputs.values(),
        "params:data_source",
    }
    assert _ingestion_inputs(None) == {
        *SOURCES["synthetic"].raw_inputs.values(),
        "params:data_source",
    }
