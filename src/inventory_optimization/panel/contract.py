"""Column names and the summary record every source adapter hands to the cleaning step.

The demand panel is a long table, one row per series and period:

- ``series_id`` (string) and the key columns it is made of (``store_id``, ``item_id``, ...),
- ``date`` (datetime64, one regular frequency), ``demand`` (float, in the dataset's unit),
- known-in-advance covariates, past-only covariates,
- flags ``is_observed`` (a raw record existed), ``is_known`` (the period's demand is known:
  a record, or a period the missing policy says sold nothing), ``is_closed`` and ``is_outlier``.

A period is one of: a known sale or known zero (``is_known``, open), unknown (neither observed
nor filled: demand NaN) or closed (``is_closed``, zero by design, never learned from or scored).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

SERIES_ID = "series_id"
DATE = "date"
DEMAND = "demand"
IS_OBSERVED = "is_observed"
IS_KNOWN = "is_known"
IS_CLOSED = "is_closed"
IS_OUTLIER = "is_outlier"
FLAGS = (IS_OBSERVED, IS_KNOWN, IS_CLOSED, IS_OUTLIER)


def known_demand(frame) -> Any:
    """Rows whose demand is known: ``is_known`` where the frame has it (the cleaned panel and
    the model input), else ``is_observed`` (a raw panel, before any missing policy ran)."""
    flag = IS_KNOWN if IS_KNOWN in frame.columns else IS_OBSERVED
    return frame[flag].astype(bool) & frame[DEMAND].notna()


@dataclass
class SourceSummary:
    """What an adapter knows about the panel it built; becomes ``panel_metadata``."""

    source: str
    frequency: str
    unit: str
    keys: list[str]
    known_covariates: list[str] = field(default_factory=list)
    past_covariates: list[str] = field(default_factory=list)
    source_files: dict[str, int] = field(default_factory=dict)
    country: str | None = None
    notes: list[str] = field(default_factory=list)
    # What ingestion found in, and did to, the raw file lines before they became the panel
    # (e.g. negative_lines, duplicate_lines_dropped, partial_period_lines_dropped): counts the
    # panel itself can no longer show once lines are combined, dropped or clipped.
    input_counts: dict[str, int] = field(default_factory=dict)
    # What the adapter read from the data itself rather than from its settings (the custom
    # source: the frequency under `frequency: auto`, key cardinalities, what a missing period
    # likely means), so panel_metadata shows what later stages were given and why.
    inferred: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, record: dict) -> SourceSummary:
        return cls(**{k: v for k, v in record.items() if k in cls.__dataclass_fields__})

    @property
    def covariates(self) -> list[str]:
        return [*self.known_covariates, *self.past_covariates]
