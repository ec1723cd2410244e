"""Where a result came from: data fingerprints, library versions, the git commit."""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

LIBRARIES = (
    "kedro",
    "kedro-datasets",
    "pandas",
    "numpy",
    "scikit-learn",
    "xgboost-cpu",
    "xgboost",
    "lightgbm",
    "statsmodels",
    "optuna",
    "tensorflow-cpu",
    "keras",
    "scipy",
)
PANEL_COLUMNS = ("series_id", "date", "demand")


def data_fingerprint(panel: pd.DataFrame) -> dict:
    """Rows, date range and a hash of the keys and target: equal data, equal fingerprint."""
    content = pd.util.hash_pandas_object(panel[list(PANEL_COLUMNS)], index=False).to_numpy()
    return {
        "rows": int(len(panel)),
        "series": int(panel["series_id"].nunique()),
        "first_date": str(pd.Timestamp(panel["date"].min()).date()),
        "last_date": str(pd.Timestamp(panel["date"].max()).date()),
        "sha1": hashlib.sha1(content.tobytes()).hexdigest(),
    }


def file_fingerprint(paths: Iterable[Path]) -> dict[str, Any] | None:
    """sha1 over the bytes of the files (a folder: every file in it, in path order)."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(p for p in sorted(path.rglob("*")) if p.is_file())
        elif path.is_file():
            files.append(path)
    if not files:
        return None
    digest = hashlib.sha1()
    size = 0
    for path in files:
        digest.update(path.name.encode())
        with path.open("rb") as handle:
            for chunk in iter(lambda handle=handle: handle.read(1 << 20), b""):
                digest.update(chunk)
                size += len(chunk)
    return {"sha1": digest.hexdigest(), "bytes": size, "files": len(files)}


def frame_fingerprint(data: Any) -> dict[str, Any]:
    """Shape of a loaded table, plus ``data_fingerprint`` for a demand panel; a registered
    forecaster bundle's registry version."""
    if not isinstance(data, pd.DataFrame):
        out = {"python_type": type(data).__name__}
        if getattr(data, "registered_version", None):
            out["registered_version"] = str(data.registered_version)
        return out
    out: dict[str, Any] = {"rows": len(data), "columns": data.shape[1]}
    if all(column in data.columns for column in PANEL_COLUMNS) and len(data):
        out["panel"] = data_fingerprint(data)
    return out


def library_versions() -> dict[str, str]:
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _git(path: Path | None, *args: str) -> str | None:
    """Output of a git command in the checkout, or None outside one (e.g. in the container)."""
    try:
        result = subprocess.run(
            ["git", *args],
            cwd=path or Path.cwd(),
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout if result.returncode == 0 else None


def git_commit(path: Path | None = None) -> str:
    """The checkout's commit, or 'unknown' outside a git checkout."""
    output = _git(path, "rev-parse", "HEAD")
    return output.strip() if output is not None else "unknown"


def git_dirty(path: Path | None = None) -> bool | None:
    """Whether tracked files differ from the commit (None outside a git checkout)."""
    output = _git(path, "status", "--porcelain", "--untracked-files=no")
    return bool(output.strip()) if output is not None else None
