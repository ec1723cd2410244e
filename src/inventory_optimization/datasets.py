"""Kedro datasets of the project: raw source files as users download them, the Optuna storage
and the forecaster bundle.

``RawTableDataset`` reads a CSV (plain or gzipped) or Parquet file. A file may be named as
downloaded (``train.csv``) or compressed (``train.csv.gz``): whichever exists is read. A
``filepath`` with a glob (``weather/weather_*.csv``) reads every match into one table with a
``partition`` column holding each file's stem. Raw data is never written by the project.

``OptionalTableDataset`` is a table the user may supply or not (the current stock): a CSV
(plain or gzipped) or Parquet file beside the ``filepath`` named, whichever exists, and
``None`` when there is none. It saves CSV to ``filepath`` (the built-in data's generator).

A CSV that is not UTF-8 (or not the ``encoding`` set) or that is separated by ``;``, a tab or
``|`` is refused with a ``DatasetError`` naming the file, where it failed and the
``load_args`` to add to its catalog entry.
"""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from kedro.io import AbstractDataset, DatasetError
from kedro.io.core import VersionNotFoundError
from kedro_datasets.json import JSONDataset
from kedro_datasets.partitions import PartitionedDataset
from kedro_datasets.pickle import PickleDataset

from .lineage import PANEL_VERSION

# Where a user changes load_args; the dataset does not know its catalog entry's name.
CATALOG_HINT = "to its catalog entry (for --env custom: custom_sales in conf/custom/catalog.yml)"
# The file a table was read from, in ``DataFrame.attrs`` (validation messages name it).
SOURCE_FILE = "source_file"
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


def _encoding_message(
    path: Path, encoding: str, error: UnicodeDecodeError, hint: str = CATALOG_HINT
) -> str:
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
        f"Add load_args: {{encoding: {suggestion}}} {hint}."
    )


def _separator_in(header: str, used: str) -> str | None:
    """The separator a header line seems to use when it is not ``used``."""
    counts = {sep: header.count(sep) for sep in SEPARATORS if sep != used}
    best = max(counts, key=counts.get)
    return best if counts[best] and used not in header else None


def _separator_message(path: Path, header: str, sep: str, hint: str = CATALOG_HINT) -> str:
    return (
        f"{path} looks {sep!r}-separated (its header is {header[:80]!r}) and was not split "
        f'into columns; add load_args: {{sep: "{SEPARATORS[sep]}"}} {hint}.'
    )


class RawTableDataset(AbstractDataset[None, pd.DataFrame]):
    hint = CATALOG_HINT  # where load_args go, in the messages

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
            raise DatasetError(_encoding_message(path, encoding, error, self.hint)) from error
        except pd.errors.ParserError as error:
            header = _raw_bytes(path).split(b"\n", 1)[0].decode(encoding, "replace")
            sep = _separator_in(header, used)
            if sep is None:
                raise
            raise DatasetError(_separator_message(path, header, sep, self.hint)) from error
        if len(frame.columns) == 1:
            sep = _separator_in(str(frame.columns[0]), used)
            if sep is not None:
                raise DatasetError(_separator_message(path, str(frame.columns[0]), sep, self.hint))
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


class OptionalTableDataset(RawTableDataset):
    """A table the user may supply: ``<name>.csv``, ``<name>.csv.gz`` or ``<name>.parquet``
    beside ``filepath`` (whichever exists; two of them are refused as ambiguous), ``None``
    when there is none. The table's ``attrs`` name the file read (``source_file``). Saves CSV
    to ``filepath`` (the built-in data's generator writes its stock this way)."""

    hint = "to its catalog entry (stock_positions in conf/base/catalog.yml)"
    SUFFIXES = (".csv", ".csv.gz", ".parquet")

    def _candidates(self) -> list[Path]:
        path = Path(self._filepath)
        stem = next(
            (path.name.removesuffix(s) for s in self.SUFFIXES if path.name.endswith(s)),
            path.name,
        )
        return [path.with_name(stem + suffix) for suffix in self.SUFFIXES]

    def load(self) -> pd.DataFrame | None:
        found = [path for path in self._candidates() if path.is_file()]
        if len(found) > 1:
            raise DatasetError(
                f"Both {' and '.join(map(str, found))} exist; keep one of them (the current "
                f"one) so it is clear which table to read."
            )
        if not found:
            return None
        if found[0].stat().st_size == 0:
            raise DatasetError(
                f"{found[0]} is empty (0 bytes): expected a header line and one line per "
                "series, or no file at all (then positions are assumed, and the plan says so)."
            )
        frame = self._read(found[0])
        frame.attrs[SOURCE_FILE] = str(found[0])
        return frame

    def save(self, data: pd.DataFrame) -> None:
        path = Path(self._filepath)
        path.parent.mkdir(parents=True, exist_ok=True)
        data.to_csv(path, index=False)


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


class ModelingSetupDataset(JSONDataset):
    """A training run's ``models.setup.ModelingSetup``, kept as a readable JSON record."""

    def load(self) -> Any:
        from .models.setup import ModelingSetup

        return ModelingSetup.from_dict(super().load())

    def save(self, data: Any) -> None:
        super().save(data.to_dict())


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
    """A view of the dataset's registered forecaster in the project's MLflow store.

    ``filepath`` is the SQLite store and ``path`` the artifacts folder: under those names
    Kedro makes relative paths the project's (a notebook or a replay running elsewhere
    finds the same store). ``tracking_uri`` (another backend) and ``artifact_root`` win when
    given."""

    def __init__(  # noqa: PLR0913 - the store's two spellings
        self,
        dataset: str,
        filepath: str = "mlruns.db",
        path: str = "mlartifacts",
        tracking_uri: str | None = None,
        artifact_root: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        from .registry import ForecasterRegistry

        self._registry = ForecasterRegistry(
            dataset, tracking_uri or f"sqlite:///{filepath}", artifact_root or path
        )
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
        history = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
        # Each origin's forecast was made from the panel of its day: the log spans panel
        # versions by design, so it carries none (the lineage check would call it stale).
        history.attrs.pop(PANEL_VERSION, None)
        return history

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


# --- the landing folder of new sales (panel/landing.py) ------------------------------------


class LandingFileDataset(AbstractDataset[None, bytes]):
    """One landed file's bytes: the node hashes them and parses only files it has not
    absorbed (``panel.landing.read_landing_file``). Read-only."""

    def __init__(self, filepath: str, metadata: dict[str, Any] | None = None) -> None:
        self._filepath = str(filepath)
        self.metadata = metadata

    def load(self) -> bytes:
        return Path(self._filepath).read_bytes()

    def save(self, data: bytes) -> None:
        raise DatasetError(f"{self._filepath} is a landed file and is read-only.")

    def _exists(self) -> bool:
        return Path(self._filepath).is_file()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": self._filepath}


class LandingFolderDataset(PartitionedDataset):
    """The landing folder: every file in it, by name (its path inside the folder) -> a loader
    of its bytes. No folder, or an empty one, is no files (not an error); files whose names
    do not end in ``.csv``, ``.csv.gz`` or ``.parquet`` (a file still being written as
    ``.tmp``, a note) are left alone."""

    def __init__(self, path: str, **kwargs: Any) -> None:
        kwargs.setdefault("dataset", {"type": f"{__name__}.LandingFileDataset"})
        super().__init__(path=path, **kwargs)

    def load(self) -> dict[str, Any]:
        from .panel.landing import SUFFIXES

        if not Path(self._normalized_path).is_dir():
            return {}
        try:
            partitions = super().load()
        except DatasetError:  # "No partitions found": an empty folder
            return {}
        return {name: load for name, load in partitions.items() if name.endswith(SUFFIXES)}

    def _resolve(self) -> list[Path]:
        """The landing files now in the folder (what the run manifest fingerprints)."""
        from .panel.landing import SUFFIXES

        folder = Path(self._normalized_path)
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.rglob("*") if p.is_file() and p.name.endswith(SUFFIXES))


class LandedSalesDataset(AbstractDataset[Any, Any]):
    """The landing checkpoint (``panel.landing.LandedSales``) in a folder: ``rows.parquet``
    (every landed row so far) and ``files.csv`` (the manifest of absorbed files). Loading
    before the first save returns an empty state. A save replaces the folder whole (written
    beside it, then swapped in), and the run journal moves the old folder aside first, so a
    failed or killed run leaves the state it started from."""

    def __init__(self, folder: str, metadata: dict[str, Any] | None = None) -> None:
        self._folder = Path(folder)
        self._filepath = str(folder)  # the run journal and manifest read the path from here
        self.metadata = metadata

    def load(self) -> Any:
        from .panel.landing import MANIFEST_COLUMNS, LandedSales

        if not self._exists():
            return LandedSales()
        files = pd.read_csv(self._folder / "files.csv", dtype=str)
        events = self._folder / "events.parquet"  # absent before the first streamed event
        return LandedSales(
            rows=pd.read_parquet(self._folder / "rows.parquet"),
            files=files.reindex(columns=list(MANIFEST_COLUMNS)),
            **({"events": pd.read_parquet(events)} if events.is_file() else {}),
        )

    def save(self, data: Any) -> None:
        partial = self._folder.with_name(self._folder.name + ".tmp")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        data.rows.to_parquet(partial / "rows.parquet", index=False)
        data.files.to_csv(partial / "files.csv", index=False)
        if len(data.events):
            data.events.to_parquet(partial / "events.parquet", index=False)
        old = self._folder.with_name(self._folder.name + ".old")
        if self._folder.exists():
            self._folder.rename(old)
        partial.rename(self._folder)
        shutil.rmtree(old, ignore_errors=True)

    def _exists(self) -> bool:
        return (self._folder / "files.csv").is_file() and (self._folder / "rows.parquet").is_file()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._folder)}
