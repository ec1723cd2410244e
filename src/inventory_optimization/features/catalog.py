"""The feature catalog: one documented record per feature column, added by the family that
builds the column at the moment it builds it."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

KNOWN = "known_in_advance"
PAST = "past_only"
STATIC = "static"


@dataclass(frozen=True)
class FeatureSpec:
    name: str
    family: str
    description: str
    sources: tuple[str, ...]
    window: str
    availability: str  # known_in_advance | past_only | static
    frequency: str


class FeatureCatalog:
    """Collects specs while features are built, so the catalog always matches the columns."""

    def __init__(self, frequency: str) -> None:
        self.frequency = frequency
        self._specs: dict[str, FeatureSpec] = {}

    def add(
        self,
        name: str,
        family: str,
        description: str,
        sources: tuple[str, ...] | list[str] = ("demand",),
        window: str = "",
        availability: str = PAST,
    ) -> str:
        self._specs[name] = FeatureSpec(
            name, family, description, tuple(sources), window, availability, self.frequency
        )
        return name

    def window_of(self, name: str) -> str:
        return self._specs[name].window

    def names(self) -> list[str]:
        return list(self._specs)

    def to_frame(self) -> pd.DataFrame:
        records = [asdict(spec) for spec in self._specs.values()]
        frame = pd.DataFrame.from_records(
            records, columns=[f for f in FeatureSpec.__dataclass_fields__]
        )
        frame["sources"] = frame["sources"].map(", ".join)
        return frame


class FamilyColumns:
    """The columns one feature family builds (float32), each recorded in the catalog as it is
    added, so a family's columns and its catalog rows are the same list."""

    def __init__(self, catalog: FeatureCatalog) -> None:
        self.catalog = catalog
        self.columns: dict[str, np.ndarray] = {}

    def put(self, name: str, values: np.ndarray, family: str, description: str, **spec) -> None:
        self.columns[self.catalog.add(name, family, description, **spec)] = np.asarray(
            values, dtype="float32"
        )
