"""Kedro dataset for raw source files as users download them.

``RawTableDataset`` reads a CSV (plain or gzipped) or Parquet file. A file may be named as
downloaded (``train.csv``) or compressed (``train.csv.gz``): whichever exists is read. A
``filepath`` with a glob (``weather/weather_*.csv``) reads every match into one table with a
``partition`` column holding each file's stem. Raw data is never written by the project.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from kedro.io import AbstractDataset, DatasetError


class RawTableDataset(AbstractDataset[None, pd.DataFrame]):
    def __init__(
        self,
        filepath: str,
        load_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._filepath = str(filepath)
        self._load_args = dict(load_args or {})
        self.metadata = metadata

    @property
    def _is_glob(self) -> bool:
        return any(ch in self._filepath for ch in "*?[")

    def _candidates(self) -> list[Path]:
        path = Path(self._filepath)
        if path.suffix == ".gz":
            return [path, path.with_suffix("")]
        return [path, path.with_name(path.name + ".gz")]

    def _resolve(self) -> list[Path]:
        if self._is_glob:
            # Every match of the pattern, plain or gzipped; a file present in both forms is
            # read once, in the form the pattern names first.
            found: dict[str, Path] = {}
            for pattern in self._candidates():
                for path in sorted(pattern.parent.glob(pattern.name)):
                    found.setdefault(path.name.removesuffix(".gz"), path)
            return [found[name] for name in sorted(found)]
        return [path for path in self._candidates() if path.is_file()][:1]

    def _read(self, path: Path) -> pd.DataFrame:
        if path.name.endswith(".parquet"):
            return pd.read_parquet(path, **self._load_args)
        return pd.read_csv(path, **self._load_args)

    def load(self) -> pd.DataFrame:
        paths = self._resolve()
        if not paths:
            tried = ", ".join(str(p) for p in self._candidates())
            raise DatasetError(
                f"Raw file not found: tried {tried}. Download the dataset (see README, "
                f"'Real datasets') and place it there, or point raw_dir at its folder with "
                f"--params raw_dir=<folder>."
            )
        if not self._is_glob:
            return self._read(paths[0])
        frames = [self._read(path).assign(partition=path.name.split(".")[0]) for path in paths]
        return pd.concat(frames, ignore_index=True)

    def save(self, data: pd.DataFrame) -> None:
        raise DatasetError(f"{self._filepath} is raw source data and is read-only.")

    def _exists(self) -> bool:
        return bool(self._resolve())

    def _describe(self) -> dict[str, Any]:
        return {"filepath": self._filepath, "load_args": self._load_args}


class OptunaStorageDataset(AbstractDataset[None, Any]):
    """An Optuna SQLite storage at ``filepath``, handed to nodes by the catalog so that tuning
    nodes open no files themselves. A rerun with the same study name resumes the study;
    ``optuna-dashboard sqlite:///<filepath>`` shows it."""

    def __init__(self, filepath: str, metadata: dict[str, Any] | None = None) -> None:
        self._filepath = str(filepath)
        self.metadata = metadata

    def load(self) -> Any:
        import optuna

        Path(self._filepath).parent.mkdir(parents=True, exist_ok=True)
        return optuna.storages.RDBStorage(f"sqlite:///{Path(self._filepath).resolve()}")

    def save(self, data: Any) -> None:
        raise DatasetError("Optuna writes its storage itself; it is not saved by Kedro.")

    def _exists(self) -> bool:
        return Path(self._filepath).is_file()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": self._filepath}
