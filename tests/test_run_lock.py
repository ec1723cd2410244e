"""One run per environment: a second `kedro run` of the same environment is refused while the
first holds the lock, writes nothing but its failed run manifest, and a lock left by a killed
process is taken over by the next run."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from kedro.framework.hooks import hook_impl
from kedro.framework.hooks.manager import _create_hook_manager

from inventory_optimization.run_lock import (
    RunLocked,
    RunLockHooks,
    acquire,
    holder_record,
    lock_path,
    read_holder,
    refusal_message,
)
from inventory_optimization.run_manifest import RunManifestHooks
from tests.conftest import PROJECT_ROOT

KEDRO = Path(sys.executable).with_name("kedro")
MANIFESTS = Path("data") / "08_reporting" / "synthetic" / "run_manifest.json"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The project's code and configuration in a folder of its own, with an empty data/."""
    root = tmp_path / "project"
    root.mkdir()
    shutil.copy(PROJECT_ROOT / "pyproject.toml", root)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for folder in ("conf", "src"):
        shutil.copytree(PROJECT_ROOT / folder, root / folder, ignore=ignore)
    (root / "data").mkdir()
    return root


def _kedro(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1", "PYTHONPATH": str(root / "src")}
    return subprocess.run(
        [str(KEDRO), *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _files(root: Path) -> dict[str, int]:
    """Every file under data/ with its mtime, the lock and the run manifests aside."""
    data = root / "data"
    return {
        path.relative_to(root).as_posix(): path.stat().st_mtime_ns
        for path in data.rglob("*")
        if path.is_file() and ".locks" not in path.parts and "run_manifest.json" not in path.parts
    }


def _manifests(root: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((root / MANIFESTS).glob("*/*.json"))]


def test_a_second_run_is_refused_while_another_run_holds_the_lock(project):
    panel = project / "data" / "03_primary" / "synthetic" / "demand_panel.parquet"
    panel.parent.mkdir(parents=True)
    pd.DataFrame(
        {"series_id": ["a"], "date": [pd.Timestamp("2024-01-01")], "demand": [1.0]}
    ).to_parquet(panel)
    before = _files(project)
    path = lock_path(project, "synthetic")
    holder = holder_record("local", "synthetic", "2024-01-01T00.00.00.000Z")
    held = acquire(path, holder)  # the first run, still going
    try:
        result = _kedro(project, "run", "--pipelines", "data_engineering")
    finally:
        held.release()

    assert result.returncode != 0
    sentence = refusal_message("local", path, holder)
    assert sentence == (
        f"Another run of environment 'local' is in progress (pid {os.getpid()}, started "
        f"{holder['started_at']}, `{holder['command']}`); wait for it or stop it. Lock: {path}."
    )
    lines = result.stdout.splitlines()
    assert [
        line
        for line in lines
        if line.endswith(f"ERROR inventory_optimization.run_lock: {sentence}")
    ]
    # Nothing was written: not the generated raw files, not the panel (same mtime).
    assert _files(project) == before
    assert panel.stat().st_mtime_ns == before["data/03_primary/synthetic/demand_panel.parquet"]
    # ... except the refused run's own manifest, which says why it failed.
    (manifest,) = _manifests(project)
    assert manifest["status"] == "failed"
    assert manifest["error"] == {"type": "RunLocked", "message": sentence}
    assert manifest["pipelines"]["requested"] == ["data_engineering"]
    assert {node["status"] for node in manifest["nodes"]} == {"not_run"}
    assert manifest["command"] == "kedro run --pipelines data_engineering"


def test_a_lock_left_by_a_killed_process_is_taken_over(project):
    path = lock_path(project, "synthetic")
    holder = textwrap.dedent(
        f"""
        import time
        from pathlib import Path
        from inventory_optimization.run_lock import acquire, holder_record
        acquire(Path({str(path)!r}), holder_record("local", "synthetic", "S-killed"))
        print("held", flush=True)
        time.sleep(600)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(project / "src")}
    process = subprocess.Popen(
        [sys.executable, "-c", holder], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert process.stdout.readline().strip() == "held"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    left = read_holder(path)
    assert left["pid"] == process.pid and left["session_id"] == "S-killed"

    result = _kedro(project, "run", "--pipelines", "data_engineering")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (
        f"Took over the lock of environment 'local' left by pid {process.pid}, started "
        f"{left['started_at']}, `{left['command']}`, which is no longer running: {path}"
    ) in result.stdout
    assert (project / "data" / "03_primary" / "synthetic" / "demand_panel.parquet").is_file()
    assert path.read_text() == ""  # released at the end of the run
    assert [m["status"] for m in _manifests(project)] == ["success"]


# --- the hook and the helpers in one process -----------------------------------------------------


class Recorder:
    """A project hook: what it was called with, in order."""

    def __init__(self, lock: Path) -> None:
        self.lock = lock
        self.calls: list[tuple[str, object]] = []

    @hook_impl
    def before_pipeline_run(self, run_params) -> None:
        self.calls.append(("before_pipeline_run", read_holder(self.lock)))

    @hook_impl
    def after_pipeline_run(self, run_params) -> None:
        self.calls.append(("after_pipeline_run", read_holder(self.lock)))

    @hook_impl
    def on_pipeline_error(self, error) -> None:
        self.calls.append(("on_pipeline_error", error))


class ManifestRecorder(Recorder, RunManifestHooks):
    """The run manifest's hooks, recording instead of writing."""

    def __init__(self, lock: Path) -> None:
        Recorder.__init__(self, lock)
        RunManifestHooks.__init__(self)


def _session(tmp_path: Path, dataset: str = "toy"):
    """A hook manager with the lock hook, the run manifest's and another project hook, as a
    KedroSession sets them up."""
    manager = _create_hook_manager()
    lock = lock_path(tmp_path, dataset)
    hooks, manifest, other = RunLockHooks(), ManifestRecorder(lock), Recorder(lock)
    for plugin in (hooks, manifest, other):
        manager.register(plugin)
    context = SimpleNamespace(
        project_path=tmp_path,
        env="local",
        config_loader={"globals": {"dataset": dataset}},
        _hook_manager=manager,
    )
    manager.hook.after_context_created(context=context)
    return manager, manifest, other


def _params(run_id: str = "R1") -> dict:
    return {"run_params": {"run_id": run_id}, "pipeline": None, "catalog": None}


def test_the_hook_holds_the_lock_from_start_to_end_of_the_run(tmp_path):
    manager, manifest, other = _session(tmp_path)
    path = lock_path(tmp_path, "toy")
    manager.hook.before_pipeline_run(**_params())
    # The lock is taken before any other hook's before_pipeline_run, and names this run.
    holder = other.calls[0][1]
    assert manifest.calls[0][1] == holder
    assert holder["pid"] == os.getpid() and holder["session_id"] == "R1"
    assert holder["env"] == "local" and holder["dataset"] == "toy"
    assert holder["host"] == socket.gethostname()
    with pytest.raises(RunLocked, match="Another run of environment 'local' is in progress"):
        acquire(path, holder_record("local", "toy", "R2"))
    manager.hook.after_pipeline_run(run_result={}, **_params())
    # ... and given back only after the other hooks' after_pipeline_run (the manifest).
    assert manifest.calls[1] == other.calls[1] == ("after_pipeline_run", holder)
    assert path.read_text() == ""
    acquire(path, holder_record("local", "toy", "R3")).release()

    manager.hook.before_pipeline_run(**_params("R4"))
    manager.hook.on_pipeline_error(error=RuntimeError("boom"), **_params("R4"))
    assert path.read_text() == ""  # a failed run releases it too
    acquire(path, holder_record("local", "toy", "R5")).release()


def test_a_refused_run_is_reported_to_the_run_manifest_and_no_other_hook(tmp_path):
    manager, manifest, other = _session(tmp_path)
    path = lock_path(tmp_path, "toy")
    first = holder_record("local", "toy", "FIRST")
    held = acquire(path, first)
    try:
        with pytest.raises(RunLocked) as refused:
            manager.hook.before_pipeline_run(**_params("SECOND"))
        assert str(refused.value) == refusal_message("local", path, first)
        # The manifest records the run's start and its refusal (status failed) ...
        assert [name for name, _ in manifest.calls] == ["before_pipeline_run", "on_pipeline_error"]
        assert manifest.calls[1][1] is refused.value
        # ... no other hook hears of it (a journal or a clean-up would touch the holder's files).
        assert other.calls == []
        assert read_holder(path) == first  # the holder's record is untouched
    finally:
        held.release()


def test_each_dataset_has_its_own_lock(tmp_path):
    first = acquire(lock_path(tmp_path, "rossmann"), holder_record("rossmann", "rossmann", "A"))
    second = acquire(lock_path(tmp_path, "walmart"), holder_record("walmart", "walmart", "B"))
    assert lock_path(tmp_path, "walmart") == tmp_path / "data" / ".locks" / "walmart.lock"
    first.release()
    second.release()


def test_the_refusal_names_a_holder_on_another_host_and_an_unknown_one(tmp_path):
    path = tmp_path / "x.lock"
    remote = {"env": "walmart", "pid": 7, "host": "elsewhere", "started_at": "T", "command": "c"}
    assert refusal_message("local", path, remote) == (
        "Another run of environment 'walmart' is in progress (pid 7 on host elsewhere, "
        f"started T, `c`); wait for it or stop it. Lock: {path}."
    )
    assert refusal_message("local", path, None) == (
        "Another run of environment 'local' is in progress (holder unknown); "
        f"wait for it or stop it. Lock: {path}."
    )
