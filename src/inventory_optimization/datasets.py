"""Kedro datasets of the project: raw source files as users download them, the Optuna storage
and the forecaster bundle.

``RawTableDataset`` reads a CSV (plain or gzipped) or Parquet file. A file may be named as
downloaded (``train.csv``) or compressed (``train.csv.gz``): whichever exists is read. A
``filepath`` with a glob (``weather/weather_*.csv``) reads every match into one table with a
``partition`` column holding each file's stem. Raw data is never written by the project.

A CSV that is not UTF-8 (or not the ``encoding`` set) or that is separated by ``;``, a tab or
``|`` is refused with a ``DatasetError`` naming the file, where it failed and the
``load_args`` to add to its catalog entry.
"""

from __future__ import annotations

import gzip
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from kedro.io import AbstractDataset, DatasetError
from kedro.io.core import VersionNotFoundError
from kedro_datasets.pickle import PickleDataset

# Where a user changes load_args; the dataset does not know its catalog entry's name.
CATALOG_HINT = "to its catalog entry (for --env custom: custom_sales in conf/custom/catalog.yml)"
SEPARATORS = {";": ";", "\t": "\\t", "|": "|"}  # separator: how it is written in YAML


def _raw_bytes(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()


def _suggest_encoding(data: bytes) -> str:
    """cp1252 when the bytes use its printable range 0x80-0x9f (curly quotes, euro), and
    decode with it; latin-1 (which decodes any byte) otherwise."""
    if any(0x80 <= byte <= 0x9F for byte in data):
        try:
            data.decode("cp1252")
        except UnicodeDecodeError:
            return "latin-1"
        return "cp1252"
    return "latin-1"


def _encoding_message(path: Path, encoding: str, error: UnicodeDecodeError) -> str:
    data = _raw_bytes(path)
    try:
        data.decode(encoding)
        start, end = error.start, error.end  # the reader's own chunk; the best we know
    except UnicodeDecodeError as located:
        start, end = located.start, located.end
    newline = b"\n" if b"\n" in data else b"\r"
    line = data.count(newline, 0, start) + 1
    suggestion = _suggest_encoding(data)
    line_start = data.rfind(newline, 0, start) + 1
    line_end = data.find(newline, start)
    text = data[line_start : line_end if line_end >= 0 else None].decode(suggestion, "replace")
    shown = " ".join(f"0x{byte:02x}" for byte in data[start:end])
    return (
        f"{path} is not {encoding}: byte {shown} at position {start} "
        f"(line {line}) does not decode; as {suggestion} line {line} reads {text.strip()!r}. "
        f"Add load_args: {{encoding: {suggestion}}} {CATALOG_HINT}."
    )


def _separator_in(header: str, used: str) -> str | None:
    """The separator a header line seems to use when it is not ``used``."""
    counts = {sep: header.count(sep) for sep in SEPARATORS if sep != used}
    best = max(counts, key=counts.get)
    return best if counts[best] and used not in header else None


def _separator_message(path: Path, header: str, sep: str) -> str:
    return (
        f"{path} looks {sep!r}-separated (its header is {header[:80]!r}) and was not split "
        f'into columns; add load_args: {{sep: "{SEPARATORS[sep]}"}} {CATALOG_HINT}.'
    )


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
        encoding = self._load_args.get("encoding") or "utf-8"
        used = self._load_args.get("sep", self._load_args.get("delimiter", ","))
        try:
            frame = pd.read_csv(path, **self._load_args)
        except UnicodeDecodeError as error:
            raise DatasetError(_encoding_message(path, encoding, error)) from error
        except pd.errors.ParserError as error:
            header = _raw_bytes(path).split(b"\n", 1)[0].decode(encoding, "replace")
            sep = _separator_in(header, used)
            if sep is None:
                raise
            raise DatasetError(_separator_message(path, header, sep)) from error
        if len(frame.columns) == 1:
            sep = _separator_in(str(frame.columns[0]), used)
            if sep is not None:
                raise DatasetError(_separator_message(path, str(frame.columns[0]), sep))
        return frame

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


class ForecasterBundleDataset(PickleDataset):
    """The versioned forecaster bundle (``models.bundle.ForecasterBundle``), pickled.

    Loading says what to do instead of failing with a file error: no bundle saved yet (run
    the ``training`` pipeline first), or a file that is not a readable bundle (retrain, or
    load an earlier version)."""

    def load(self) -> Any:
        from .models.bundle import ForecasterBundle

        try:
            bundle = super().load()
        except VersionNotFoundError as error:
            raise DatasetError(
                f"No forecaster bundle has been saved at {self._filepath} yet: run `kedro run "
                f"--pipelines training` (with this --env) first; it trains the models and "
                f"saves the bundle (the daily run forecasts with the registered champion)."
            ) from error
        except Exception as error:  # noqa: BLE001 - any unpickling failure means the same
            cause = error.__cause__ or error  # the unpickling error, not Kedro's wrapper
            raise DatasetError(
                f"The forecaster bundle {self._get_load_path()} cannot be read "
                f"({type(cause).__name__}: {cause}): run `kedro run --pipelines training` "
                f"again, or load an earlier version with `--load-versions "
                f"forecaster_bundle:<version>`."
            ) from error
        if not isinstance(bundle, ForecasterBundle):
            raise DatasetError(
                f"{self._get_load_path()} holds a {type(bundle).__name__}, not a forecaster "
                f"bundle: run `kedro run --pipelines training` again."
            )
        return bundle


class _RegistryDataset(AbstractDataset):
    """A view of the dataset's registered forecaster in the project's MLflow store."""

    def __init__(
        self,
        dataset: str,
        tracking_uri: str = "sqlite:///mlruns.db",
        artifact_root: str = "mlartifacts",
        metadata: dict[str, Any] | None = None,
    ) -> None:
        from .registry import ForecasterRegistry

        self._registry = ForecasterRegistry(dataset, tracking_uri, artifact_root)
        self.metadata = metadata

    def _describe(self) -> dict[str, Any]:
        return {"model": self._registry.name, "tracking_uri": self._registry.tracking_uri}


class ChampionBundleDataset(_RegistryDataset):
    """Loads the champion's forecaster bundle. ``if_missing``: ``error`` (the daily run: it
    says to run training first) or ``none`` (training, comparing against the champion)."""

    def __init__(self, dataset: str, if_missing: str = "error", **kwargs: Any) -> None:
        super().__init__(dataset, **kwargs)
        if if_missing not in ("error", "none"):
            raise DatasetError(f"if_missing is {if_missing!r}; expected 'error' or 'none'")
        self._if_missing = if_missing

    def load(self) -> Any:
        from .registry import RegistryError

        if self._if_missing == "none" and self._registry.champion_version() is None:
            return None
        try:
            return self._registry.load()
        except RegistryError as error:
            raise DatasetError(str(error)) from error

    def save(self, data: Any) -> None:
        raise DatasetError("The champion is set by registering a training run, not saved.")

    def _exists(self) -> bool:
        return self._registry.champion_version() is not None


class ForecasterRegistrationDataset(_RegistryDataset):
    """Saving a ``registry.Registration`` tracks the training run in MLflow and registers its
    bundle (champion or challenger, as decided); loading lists the registered versions."""

    def load(self) -> pd.DataFrame:
        return self._registry.versions()

    def save(self, data: Any) -> None:
        self._registry.register(data)

    def registered_run(self, tags: Mapping[str, str] | None = None) -> dict[str, str] | None:
        """The MLflow run and version the latest save registered (the run manifest points to
        it), with ``tags`` set on that run (the Kedro run id: MLflow points back)."""
        return self._registry.newest(tags)

    def _exists(self) -> bool:
        return not self._registry.versions().empty


class ForecastLogDataset(AbstractDataset[pd.DataFrame, pd.DataFrame]):
    """Every forecast the daily run issued: one Parquet file per origin in ``folder``
    (``origin=YYYY-MM-DD.parquet``). Saving a forecast writes its origin's file, so a rerun of
    the same day replaces it instead of counting it twice; loading returns all of them (an
    empty table before the first)."""

    def __init__(self, folder: str, metadata: dict[str, Any] | None = None) -> None:
        self._folder = Path(folder)
        self.metadata = metadata

    def _files(self) -> list[Path]:
        return sorted(self._folder.glob("origin=*.parquet"))

    def load(self) -> pd.DataFrame:
        files = self._files()
        if not files:
            return pd.DataFrame()
        return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)

    def save(self, data: pd.DataFrame) -> None:
        origins = pd.to_datetime(data["origin"]).unique()
        if len(origins) != 1:
            raise DatasetError(
                f"a forecast log entry holds one origin; this one has {len(origins)}"
            )
        self._folder.mkdir(parents=True, exist_ok=True)
        target = self._folder / f"origin={pd.Timestamp(origins[0]).date()}.parquet"
        partial = target.with_suffix(".parquet.tmp")
        data.to_parquet(partial, index=False)
        partial.replace(target)  # a run killed while writing leaves no half file

    def _exists(self) -> bool:
        return bool(self._files())

    def _describe(self) -> dict[str, Any]:
        return {"folder": str(self._folder)}
