"""A run replaces what a user had only when it succeeds.

``RunJournalHooks`` keeps an undo journal per environment under ``data/.journal/<env>/``: before
a node's output overwrites a file, the old file is moved into the journal; an output written
where nothing was (a new version folder of a versioned dataset, a first run's file) is noted.
When the run succeeds the journal is dropped. When it fails, the journal is played back: new
files are removed and the earlier ones restored, so a crash never leaves new models beside old
forecasts. A run killed outright (SIGKILL, power loss) leaves its journal behind, and the next
run of the environment plays it back before it starts. SIGTERM and Ctrl-C become an ordinary
run failure (``RunInterrupted``), so the run manifest records ``status: failed`` and the journal
is played back as for any error.

Files written outside the catalog's node outputs are not journaled: the Optuna store (a study
resumes by design) and the run manifest (written for failed runs too).
"""

from __future__ import annotations

import json
import logging
import shutil
import signal
import threading
from pathlib import Path
from typing import Any

from kedro.framework.hooks import hook_impl

logger = logging.getLogger(__name__)
JOURNAL_FOLDER = Path("data") / ".journal"  # inside the project folder
ENTRIES = "entries.jsonl"


def _inside_logging(frame) -> bool:
    """Whether a signal interrupted the logging package (a handler writing a record)."""
    while frame is not None:
        if frame.f_globals.get("__name__", "").startswith("logging"):
            return True
        frame = frame.f_back
    return False


class RunInterrupted(Exception):  # noqa: N818 - it names what happened to the run
    """SIGTERM or Ctrl-C during a run: handled like any error of the run."""


def _output_path(dataset: Any, run_id: str | None) -> Path | None:
    """The path a dataset's save writes: its file, or its new version folder if versioned."""
    described = dataset._describe() if hasattr(dataset, "_describe") else {}
    filepath = described.get("filepath") or described.get("path")
    if not filepath or "://" in str(filepath) and not str(filepath).startswith("file://"):
        return None
    path = Path(str(filepath).removeprefix("file://"))
    version = described.get("version")
    if version is not None and run_id:
        save = getattr(version, "save", None) or run_id
        return path / str(save)
    return path


class Journal:
    """The undo log of one environment's current run (plain files, survives a crash)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._entries = folder / ENTRIES
        self._seen: set[str] = set()

    def exists(self) -> bool:
        return self._entries.is_file()

    def open(self, run_id: str | None) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "run_id").write_text(str(run_id))
        self._entries.write_text("")
        self._seen = set()

    def _append(self, entry: dict[str, str]) -> None:
        with self._entries.open("a") as log:
            log.write(json.dumps(entry) + "\n")
            log.flush()

    def before_write(self, path: Path) -> None:
        """Keep what ``path`` holds now (or note that it held nothing) before it is written."""
        key = str(path.resolve())
        if key in self._seen:
            return
        self._seen.add(key)
        if path.exists():
            backup = self.folder / "backup" / str(len(self._seen))
            backup.parent.mkdir(parents=True, exist_ok=True)
            path.rename(backup)
            self._append({"path": key, "backup": str(backup.resolve())})
        else:
            self._append({"path": key})

    def play_back(self) -> int:
        """Undo the journaled writes, newest first; returns how many outputs were undone."""
        lines = self._entries.read_text().splitlines() if self.exists() else []
        entries = [json.loads(line) for line in lines if line.strip()]
        for entry in reversed(entries):
            path = Path(entry["path"])
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
            if "backup" in entry and Path(entry["backup"]).exists():
                Path(entry["backup"]).rename(path)
        self.close()
        return len(entries)

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


class RunJournalHooks:
    def __init__(self) -> None:
        self._catalog = None
        self._journal: Journal | None = None
        self._run_id: str | None = None
        self._handlers: dict[int, Any] = {}
        self._interrupted: str | None = None

    @hook_impl
    def after_catalog_created(self, catalog) -> None:
        self._catalog = catalog

    # After the run lock (tryfirst elsewhere) is held: playing an old journal back touches files.
    @hook_impl(trylast=True)
    def before_pipeline_run(self, run_params: dict[str, Any]) -> None:
        self._run_id = run_params.get("run_id") or run_params.get("session_id")
        env = run_params.get("env") or "local"
        journal = Journal(Path(run_params.get("project_path") or ".") / JOURNAL_FOLDER / env)
        if journal.exists():
            undone = journal.play_back()
            logger.warning(
                "An earlier run of environment '%s' stopped without finishing: restored the "
                "outputs it had replaced (%d files) before this run starts.",
                env,
                undone,
            )
        journal.open(self._run_id)
        self._journal = journal
        self._trap_interrupts()

    @hook_impl
    def before_dataset_saved(self, dataset_name: str) -> None:
        if self._journal is None or self._catalog is None:
            return
        try:
            dataset = self._catalog[dataset_name]
        except Exception:  # noqa: BLE001 - a dataset the catalog cannot resolve is not a file
            return
        path = _output_path(dataset, self._run_id)
        if path is not None:
            self._journal.before_write(path)

    @hook_impl(tryfirst=True)
    def after_pipeline_run(self) -> None:
        self._release_interrupts()
        if self._journal is not None:
            self._journal.close()
            self._journal = None

    @hook_impl(tryfirst=True)
    def on_pipeline_error(self, error: Exception) -> None:
        self._release_interrupts()
        if self._journal is None:
            return
        undone = self._journal.play_back()
        self._journal = None
        if undone:
            logger.error(
                "The run failed (%s): its %d outputs were removed and the earlier ones "
                "restored, so the latest outputs are still those of the last successful run.",
                type(error).__name__,
                undone,
            )

    @hook_impl
    def before_node_run(self) -> None:
        self._stop_if_interrupted()

    @hook_impl
    def after_node_run(self) -> None:
        self._stop_if_interrupted()

    def _stop_if_interrupted(self) -> None:
        # Code inside a node may catch the exception the signal raised (a tuning loop that
        # survives a failing trial): the run still stops at the next node boundary.
        if self._interrupted:
            raise RunInterrupted(f"run stopped by {self._interrupted}")

    def _trap_interrupts(self) -> None:
        self._interrupted = None
        if threading.current_thread() is not threading.main_thread():
            return

        def interrupted(signum, frame):
            self._interrupted = signal.Signals(signum).name
            # Raised inside a log handler's write, the exception would be caught by logging
            # and printed as a "Logging error" traceback: stop at the next node instead.
            if not _inside_logging(frame):
                raise RunInterrupted(f"run stopped by {self._interrupted}")

        for signum in (signal.SIGTERM, signal.SIGINT):
            self._handlers[signum] = signal.signal(signum, interrupted)

    def _release_interrupts(self) -> None:
        for signum, handler in self._handlers.items():
            signal.signal(signum, handler)
        self._handlers = {}
