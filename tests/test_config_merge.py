"""Parameters merge key by key (issue 13): an environment, and `kedro run --params a.b.c=v`,
override single nested keys and keep every other key of base; environments hold only what
differs from conf/base. The catalog stays destructive: an env's dataset entry replaces base's."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from kedro.framework.hooks.manager import _create_hook_manager
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
from omegaconf import OmegaConf

from tests.conftest import PROJECT_ROOT

CONF = PROJECT_ROOT / "conf"
ENVS = sorted(p.name for p in CONF.iterdir() if p.is_dir() and p.name not in ("base", "local"))


@pytest.fixture(scope="module")
def settings():
    bootstrap_project(PROJECT_ROOT)
    from kedro.framework.project import settings

    return settings


def _loader(settings, env: str | None, runtime_params: dict | None = None, conf=None):
    """The config loader as KedroSession builds it."""
    return settings.CONFIG_LOADER_CLASS(
        conf_source=str(conf or PROJECT_ROOT / settings.CONF_SOURCE),
        env=env,
        runtime_params=runtime_params or {},
        **settings.CONFIG_LOADER_ARGS,
    )


def _cli_params(*items: str) -> dict[str, Any]:
    """What `kedro run --params k=v,...` hands to the session (kedro.framework.cli.utils)."""
    return OmegaConf.to_container(OmegaConf.from_dotlist(list(items)))


def _leaves(tree: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted path -> value; lists are leaves (a soft merge replaces them whole)."""
    if not isinstance(tree, dict) or not tree:
        return {prefix: tree}
    out = {}
    for key, value in tree.items():
        out |= _leaves(value, f"{prefix}.{key}" if prefix else str(key))
    return out


def _raw(folder: str) -> dict[str, dict[str, Any]]:
    """Unresolved contents of each parameters file of a conf folder."""
    return {
        f"{folder}/{path.name}": OmegaConf.to_container(OmegaConf.load(path), resolve=False)
        for path in sorted((CONF / folder).glob("parameters*.yml"))
    }


def test_parameters_merge_softly_and_the_catalog_destructively(settings):
    strategy = settings.CONFIG_LOADER_ARGS["merge_strategy"]
    assert strategy["parameters"] == "soft"
    assert strategy.get("catalog", "destructive") == "destructive"


@pytest.mark.parametrize("env", [None, *ENVS])
def test_runtime_override_of_one_nested_key_keeps_every_other_key(settings, env):
    plain = _loader(settings, env)["parameters"]
    overridden = _loader(settings, env, _cli_params("features.origins.daily.count=5"))["parameters"]
    expected = copy.deepcopy(plain)
    expected["features"]["origins"]["daily"]["count"] = 5
    assert overridden == expected


def test_custom_env_keeps_base_features_under_a_runtime_override(settings):
    """The issue's case: conf/custom has no features block; base's is kept, one key changed."""
    base = _loader(settings, "base")["parameters"]["features"]  # base alone: base + empty env
    features = _loader(settings, "custom", _cli_params("features.origins.daily.count=5"))[
        "parameters"
    ]["features"]
    assert features["origins"]["daily"] == {"step": base["origins"]["daily"]["step"], "count": 5}
    assert {k: v for k, v in features.items() if k != "origins"} == {
        k: v for k, v in base.items() if k != "origins"
    }
    assert features["origins"]["weekly"] == base["origins"]["weekly"]


def test_run_context_sees_the_merged_override(settings):
    """Through KedroSession, as `kedro run --env custom --params ...` builds the context."""
    with KedroSession.create(
        project_path=PROJECT_ROOT,
        env="custom",
        runtime_params=_cli_params("features.origins.daily.count=5", "protocol.horizon=14"),
    ) as session:
        session._hook_manager = _create_hook_manager()  # no project hooks
        params = session.load_context().params
    assert params["features"]["origins"]["daily"]["count"] == 5
    assert params["features"]["daily"]["lags"] == [1, 2, 3, 7, 14, 28]
    assert params["protocol"] == {"origin": "auto", "horizon": 14, "metric": "auto"}


def test_env_override_of_one_nested_key_keeps_base_siblings(settings):
    base = _loader(settings, "base")["parameters"]
    rossmann = _loader(settings, "rossmann")["parameters"]
    assert rossmann["protocol"]["horizon"] == 42
    assert rossmann["cross_validation"] == {**base["cross_validation"], "step": 42}
    assert rossmann["features"]["origins"] == {
        **base["features"]["origins"],
        "daily": {"step": 14, "count": 26},
    }
    assert rossmann["features"]["daily"] == base["features"]["daily"]
    assert rossmann["features"]["future_fill"] == {
        **base["features"]["future_fill"],
        "school_holiday": 0,
    }
    assert rossmann["inventory"]["defaults"] == {
        **base["inventory"]["defaults"],
        "unit_cost": 0.70,
        "price": 1.0,
        "ordering_cost": 50.0,
    }
    lstm, base_lstm = rossmann["lstm"]["model_options"], base["lstm"]["model_options"]
    assert lstm["fixed"] == {**base_lstm["fixed"], "epochs": 5, "max_rows": 60000}
    assert lstm["n_trials"] == base_lstm["n_trials"]
    # A runtime override of rossmann's horizon keeps its origin and metric.
    horizon_7 = _loader(settings, "rossmann", _cli_params("protocol.horizon=7"))["parameters"]
    assert horizon_7["protocol"] == {**rossmann["protocol"], "horizon": 7}


@pytest.mark.parametrize("env", ENVS)
def test_every_env_has_every_base_parameter(settings, env):
    base = _leaves(_loader(settings, "base")["parameters"])
    effective = _leaves(_loader(settings, env)["parameters"])
    assert set(base) - set(effective) == set()


def test_env_parameter_files_hold_only_differences_from_base():
    base = {}
    for tree in _raw("base").values():
        base |= _leaves(tree)
    copies = {}
    for env in ENVS:
        for name, tree in _raw(env).items():
            found = {
                path
                for path, value in _leaves(tree).items()
                if (path in base and base[path] == value)
                # `{}` over a base block merges as nothing: it would only look like a reset.
                or (value == {} and any(key.startswith(f"{path}.") for key in base))
            }
            if found:
                copies[name] = sorted(found)
    assert copies == {}, f"keys identical to conf/base (drop them): {copies}"


def test_an_env_catalog_entry_replaces_the_base_entry_whole(settings, tmp_path: Path):
    (tmp_path / "base").mkdir()
    (tmp_path / "local").mkdir()
    (tmp_path / "base" / "catalog.yml").write_text(
        "stock:\n  type: pandas.CSVDataset\n  filepath: a.csv\n  load_args: {sep: ';'}\n"
    )
    (tmp_path / "local" / "catalog.yml").write_text(
        "stock:\n  type: pandas.ExcelDataset\n  filepath: b.xlsx\n"
    )
    catalog = _loader(settings, None, conf=tmp_path)["catalog"]
    assert catalog["stock"] == {"type": "pandas.ExcelDataset", "filepath": "b.xlsx"}
