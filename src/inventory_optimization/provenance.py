"""Where a result came from: data fingerprints, library versions, the git commit."""

from __future__ import annotations

import hashlib
import subprocess
from importlib import metadata
from pathlib import Path

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


def data_fingerprint(panel: pd.DataFrame) -> dict:
    """Rows, date range and a hash of the keys and target: equal data, equal fingerprint."""
    content = pd.util.hash_pandas_object(
        panel[["series_id", "date", "demand"]], index=False
    ).to_numpy()
    return {
        "rows": int(len(panel)),
        "series": int(panel["series_id"].nunique()),
        "first_date": str(pd.Timestamp(panel["date"].min()).date()),
        "last_date": str(pd.Timestamp(panel["date"].max()).date()),
        "sha1": hashlib.sha1(content.tobytes()).hexdigest(),
    }


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
