"""One run per environment at a time: an exclusive lock on the environment's dataset folder.

Two runs of one environment write the same files (``data/<layer>/<dataset>/``) and the same
Optuna studies; run side by side they mix their outputs and both report success. So a
``kedro run`` takes ``data/.locks/<dataset>.lock`` before any node runs and gives it back when
the run ends, successful or not. A second run of the same dataset meanwhile stops at once with
one sentence naming the holder (environment, pid, start time, command) and writes nothing but
its own run manifest (``status: failed``).

The lock is ``fcntl.flock`` on the open file: the operating system drops it when the holding
process dies, even by SIGKILL, so a crash never leaves a lock that blocks the next run. The file
keeps the holder's pid, host, start time, command and session id while it is held and is emptied
on release; a file that still names a holder while nobody holds the lock was left by a process
that died, and the next run takes it over with a log line. POSIX only (``fcntl``); on a
network file system flock may not be shared between hosts.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shlex
import socket
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from kedro.framework.hooks import hook_impl

logger = logging.getLogger(__name__)

LOCK_DIR = Path("data") / ".locks"


class RunLocked(RuntimeError):
    """Another run of the environment holds its lock."""


def lock_path(project_path: Path | str, dataset: str) -> Path:
    return Path(project_path) / LOCK_DIR / f"{dataset}.lock"


def holder_record(env: str | None, dataset: str, session_id: str | None) -> dict[str, Any]:
    """What a lock file says about the run holding it."""
    argv = [Path(sys.argv[0]).name, *sys.argv[1:]] if sys.argv and sys.argv[0] else ["python"]
    return {
        "env": env,
        "dataset": dataset,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": shlex.join(argv),
        "session_id": session_id,
    }


def read_holder(path: Path, attempts: int = 5) -> dict[str, Any] | None:
    """The holder a lock file names (None if empty or unreadable). A holder that has just taken
    the lock may not have written its record yet, hence a few short retries."""
    for attempt in range(attempts):
        try:
            record = _parse(path.read_text())
        except OSError:
            return None
        if record is not None:
            return record
        if attempt < attempts - 1:
            time.sleep(0.05)
    return None


def _parse(text: str) -> dict[str, Any] | None:
    try:
        record = json.loads(text) if text.strip() else None
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def pid_running(pid: Any, host: Any = None) -> bool | None:
    """Whether the process runs (None when it cannot tell: another host, no pid)."""
    if not isinstance(pid, int) or (host and host != socket.gethostname()):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _who(holder: Mapping[str, Any] | None) -> str:
    """``pid N, started T, `command``` of a holder (its host too when it is another one)."""
    if not holder:
        return "holder unknown"
    pid = f"pid {holder.get('pid', '?')}"
    if holder.get("host") and holder["host"] != socket.gethostname():
        pid += f" on host {holder['host']}"
    return f"{pid}, started {holder.get('started_at', '?')}, `{holder.get('command', '?')}`"


def refusal_message(env: str | None, path: Path, holder: Mapping[str, Any] | None) -> str:
    env = (holder or {}).get("env") or env
    return (
        f"Another run of environment '{env}' is in progress ({_who(holder)}); "
        f"wait for it or stop it. Lock: {path}."
    )


@dataclass
class RunLock:
    """A held lock; ``release`` empties the file and unlocks it."""

    path: Path
    handle: IO[str]

    def release(self) -> None:
        if self.handle.closed:
            return
        try:
            self.handle.seek(0)
            self.handle.truncate()
            self.handle.flush()
        finally:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()


def acquire(path: Path, holder: Mapping[str, Any]) -> RunLock:
    """Take the lock at ``path`` for ``holder`` (``holder_record``) or raise ``RunLocked``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+")  # not "w": the holder's record must survive a refused attempt
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise RunLocked(refusal_message(holder.get("env"), path, read_holder(path))) from None
    handle.seek(0)
    left = handle.read()
    if left.strip():  # emptied on release: the holder it names died holding the lock
        previous = _parse(left) or {}
        running = pid_running(previous.get("pid"), previous.get("host"))
        logger.warning(
            "Took over the lock of environment '%s' left by %s, which %s: %s",
            previous.get("env") or holder.get("env"),
            _who(previous),
            "is no longer running" if running is False else "no longer holds it",
            path,
        )
    handle.seek(0)
    handle.truncate()
    handle.write(json.dumps(dict(holder), indent=2) + "\n")
    handle.flush()
    os.fsync(handle.fileno())
    return RunLock(path, handle)


class RunLockHooks:
    """Hold the environment's run lock from ``before_pipeline_run`` to the end of the run.

    ``before_pipeline_run`` is a wrapper: the lock is taken before any other hook or node runs.
    When another run holds it, no other hook's ``before_pipeline_run`` runs (they would touch
    the holder's files: the run journal would play back the holder's open journal); only the
    run manifest hears of the run, its start and then ``on_pipeline_error`` with the refusal
    (Kedro calls no error hook for an error raised before the runner starts), so it writes the
    manifest with ``status: failed``; then the refusal is raised. The lock is given back after
    every other hook's ``after_pipeline_run`` / ``on_pipeline_error`` (the manifest is written
    under it).
    """

    def __init__(self) -> None:
        self._project_path: Path | None = None
        self._env: str | None = None
        self._dataset: str | None = None
        self._hook_manager: Any = None
        self._held: RunLock | None = None

    @hook_impl
    def after_context_created(self, context) -> None:
        from kedro.framework.project import settings

        self._project_path = Path(context.project_path)
        self._env = context.env or settings.CONFIG_LOADER_ARGS.get("default_run_env")
        try:
            self._dataset = context.config_loader["globals"].get("dataset")
        except Exception:  # noqa: BLE001 - an environment without globals
            self._dataset = None
        self._hook_manager = getattr(context, "_hook_manager", None)

    @hook_impl(wrapper=True)
    def before_pipeline_run(self, run_params, pipeline, catalog):
        if self._project_path is not None:
            dataset = self._dataset or self._env or "default"
            holder = holder_record(self._env, dataset, run_params.get("run_id"))
            try:
                self._held = acquire(lock_path(self._project_path, dataset), holder)
            except RunLocked as refusal:
                logger.error("%s", refusal)  # one line in the log, before Kedro's traceback
                self._record_refusal(refusal, run_params, pipeline, catalog)
                raise
        try:
            return (yield)
        except BaseException:  # another hook's before_pipeline_run failed: no run
            self._release()
            raise

    @hook_impl(wrapper=True)
    def after_pipeline_run(self, run_params, run_result, pipeline, catalog):
        try:
            return (yield)
        finally:
            self._release()

    @hook_impl(wrapper=True)
    def on_pipeline_error(self, error, run_params, pipeline, catalog):
        try:
            return (yield)
        finally:
            self._release()

    def _record_refusal(self, refusal, run_params, pipeline, catalog) -> None:
        """The run manifest's start and error hooks, and no other hook's, for a refused run."""
        from .run_manifest import RunManifestHooks

        if self._hook_manager is None:
            return
        others = [
            plugin
            for plugin in self._hook_manager.get_plugins()
            if not isinstance(plugin, RunManifestHooks)
        ]
        try:
            started = self._hook_manager.subset_hook_caller("before_pipeline_run", others)
            started(run_params=run_params, pipeline=pipeline, catalog=catalog)
            failed = self._hook_manager.subset_hook_caller("on_pipeline_error", others)
            failed(error=refusal, run_params=run_params, pipeline=pipeline, catalog=catalog)
        except Exception:  # noqa: BLE001 - the refusal itself must reach the user
            logger.warning("The refused run's manifest could not be written", exc_info=True)

    def _release(self) -> None:
        held, self._held = self._held, None
        if held is not None:
            with contextlib.suppress(OSError):
                held.release()
