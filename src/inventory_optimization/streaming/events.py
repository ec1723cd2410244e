"""The sale event contract and a batch of events checked against it (no Kafka here).

An event is a JSON object::

    {"event_id": "pos-17-000123", "store_id": "S01", "item_id": "I001",
     "ts": "2024-12-30T18:42:05+01:00", "quantity": 2, "unit_price": 6.79, "promo": false}

``event_id`` (unique text), ``store_id``, ``item_id`` (ignored where the panel is keyed by store
only), ``ts`` (ISO 8601 with a time zone) and ``quantity`` (a number; negative for a return,
where the environment keeps returns) are required; ``unit_price`` and ``promo`` are optional and
land in the panel's price and promo columns where it has them. ``check_events`` parses a
batch of raw payloads and splits it into the good events (one row each, with the panel period
of their timestamp in the store's time zone) and the dead letters (payload and reason).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import orjson
import pandas as pd

from ..panel.contract import DATE, DEMAND
from ..panel.landing import EVENT_ID
from ..panel.periods import Frequency

REQUIRED = (EVENT_ID, "store_id", "item_id", "ts", "quantity")
OPTIONAL = ("unit_price", "promo")
TS = "ts"
PRICE_COLUMNS = ("price", "unit_price", "sell_price")  # a panel's price column, first found
_ZONE = r"(?:Z|z|[+-]\d{2}(?::?\d{2})?)$"  # an ISO 8601 time zone at the end of ts


@dataclass(frozen=True)
class EventContract:
    """How events map onto one environment's panel."""

    store_key: str | None  # the panel's key column that store_id fills; None: one store
    item_key: str | None  # the one item_id fills; None: keyed by store only
    frequency: str  # the panel's: a timestamp lands in the period that holds it
    timezone: str = "UTC"  # the stores' time zone: a sale at 00:30 local is that day's
    # the panel's (store, item) pairs as text; None accepts any (landing.accept_new_series)
    known: frozenset[tuple[str, ...]] | None = None
    allow_negative: bool = True  # cleaning.negative_policy keeps returns
    max_future: pd.Timedelta = pd.Timedelta(minutes=10)  # clock skew a till may have
    price_column: str | None = None  # where unit_price lands; None: dropped
    promo_column: str | None = None

    @property
    def keys(self) -> list[str]:
        return [key for key in (self.store_key, self.item_key) if key]

    @property
    def fields(self) -> dict[str, str]:
        """The panel's key column -> the event field that fills it."""
        pairs = ((self.store_key, "store_id"), (self.item_key, "item_id"))
        return {key: name for key, name in pairs if key}

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(
            f for f in REQUIRED if f not in ("store_id", "item_id") or f in self.fields.values()
        )

    @classmethod
    def for_panel(
        cls,
        raw_panel: pd.DataFrame,
        summary,
        *,
        accept_new_series: bool,
        key_columns: dict[str, str] | None = None,
        **options,
    ) -> EventContract:
        """The contract of a panel (``SourceSummary``): store_id fills its first key, item_id
        its second, unless ``key_columns`` ({store_id: column, item_id: column}) says (a
        panel keyed by item only); its series are the master list unless new series are
        accepted."""
        keys = list(summary.keys)
        mapping = dict(key_columns or {})
        if not mapping:
            if not 1 <= len(keys) <= 2:
                raise ValueError(
                    f"streaming: the panel has keys {keys}; sale events carry store_id and "
                    "item_id: set streaming.key_columns to say which key each fills"
                )
            mapping = dict(zip(("store_id", "item_id"), keys, strict=False))
        if sorted(mapping.values()) != sorted(keys) or not set(mapping) <= {"store_id", "item_id"}:
            raise ValueError(
                f"streaming.key_columns {mapping}: expected store_id and/or item_id mapped onto "
                f"the panel's keys {keys}, each once"
            )
        known = None
        if not accept_new_series:
            pairs = raw_panel[[k for k in (mapping.get("store_id"), mapping.get("item_id")) if k]]
            pairs = pairs.drop_duplicates().astype(str)
            known = frozenset(map(tuple, pairs.to_numpy().tolist()))
        price = next((c for c in PRICE_COLUMNS if c in raw_panel.columns), None)
        return cls(
            store_key=mapping.get("store_id"),
            item_key=mapping.get("item_id"),
            frequency=summary.frequency,
            known=known,
            price_column=price,
            promo_column="promo" if "promo" in raw_panel.columns else None,
            **options,
        )


@dataclass
class CheckedBatch:
    """One batch: the good events (``events``), the dead letters (payload, reason) and how many
    events repeated an id seen earlier in the batch (dropped, not dead-lettered)."""

    events: pd.DataFrame
    dead_letters: list[tuple[bytes, str]] = field(default_factory=list)
    duplicates: int = 0


def _parsed(payloads: Sequence[bytes]) -> tuple[list[dict], list[int], list[tuple[bytes, str]]]:
    objects, positions, dead = [], [], []
    for position, payload in enumerate(payloads):
        try:
            value = orjson.loads(payload)
        except orjson.JSONDecodeError as error:
            dead.append((payload, f"not JSON: {error}"))
            continue
        if not isinstance(value, dict):
            dead.append((payload, f"not a JSON object (a {type(value).__name__})"))
            continue
        objects.append(value)
        positions.append(position)
    return objects, positions, dead


def _is_number(values: pd.Series) -> np.ndarray:
    """Finite numbers, not booleans or text (JSON true is not a quantity)."""
    kinds = values.map(type)
    numeric = kinds.isin([int, float]).to_numpy()
    as_float = pd.to_numeric(values.where(numeric), errors="coerce").to_numpy(dtype=float)
    return numeric & np.isfinite(as_float)


def check_events(
    payloads: Sequence[bytes], contract: EventContract, now: pd.Timestamp | None = None
) -> CheckedBatch:
    """The batch's good events as landing rows (``event_id``, the panel's keys, ``date``,
    ``demand``, ``ts``, price and promo where mapped) and its dead letters with their reason."""
    now = pd.Timestamp.now(tz="UTC") if now is None else now
    objects, positions, dead = _parsed(payloads)
    frame = pd.DataFrame.from_records(objects) if objects else pd.DataFrame()
    frame = frame.reindex(columns=[*REQUIRED, *OPTIONAL])
    reason = pd.Series("", index=frame.index, dtype=object)

    def refuse(mask, text: str) -> None:
        mask = np.asarray(mask, dtype=bool) & (reason == "").to_numpy()
        reason[mask] = text

    for name in contract.required:
        present = frame[name].notna() & frame[name].astype(str).str.len().gt(0)
        refuse(~present.to_numpy(), f"missing field '{name}'")
    stamps = frame[TS].astype(str)
    refuse(~stamps.str.contains(_ZONE, regex=True).to_numpy(), "'ts' has no time zone (ISO 8601)")
    ts = pd.to_datetime(frame[TS].where(reason == ""), utc=True, errors="coerce", format="ISO8601")
    refuse(ts.isna().to_numpy(), "'ts' is not an ISO 8601 timestamp")
    refuse((ts > now + contract.max_future).to_numpy(), "'ts' is in the future")
    refuse(~_is_number(frame["quantity"]), "'quantity' is not a number")
    quantity = pd.to_numeric(frame["quantity"].where(reason == ""), errors="coerce")
    if not contract.allow_negative:
        refuse((quantity < 0).to_numpy(), "'quantity' is negative (returns are not kept)")
    price = frame["unit_price"]
    refuse(price.notna().to_numpy() & ~_is_number(price), "'unit_price' is not a number")
    keys = pd.DataFrame({key: frame[name].astype(str) for key, name in contract.fields.items()})
    if contract.known is not None:
        pairs = (
            pd.MultiIndex.from_frame(keys) if len(keys.columns) > 1 else pd.Index(keys.iloc[:, 0])
        )
        known = list(contract.known) if len(keys.columns) > 1 else [k[0] for k in contract.known]
        refuse(~pairs.isin(known), "unknown store or item (not a series of the panel)")
    good = (reason == "").to_numpy()
    dead += [(payloads[positions[i]], reason.iloc[i]) for i in np.flatnonzero(~good)]
    local = ts[good].dt.tz_convert(contract.timezone).dt.tz_localize(None)
    events = pd.DataFrame(
        {
            EVENT_ID: frame.loc[good, EVENT_ID].astype(str).to_numpy(),
            **{key: keys.loc[good, key].to_numpy() for key in keys.columns},
            DATE: Frequency.of(contract.frequency).period_end(local).to_numpy(),
            DEMAND: quantity[good].astype(float).to_numpy(),
            TS: ts[good].to_numpy(),
        }
    )
    if contract.price_column:
        events[contract.price_column] = pd.to_numeric(price[good], errors="coerce").to_numpy()
    if contract.promo_column:
        promo = frame.loc[good, "promo"].map({True: 1.0, False: 0.0})  # 1 and 0 hash as True, False
        events[contract.promo_column] = promo.astype(float).to_numpy()
    distinct = events.drop_duplicates(EVENT_ID, keep="first").reset_index(drop=True)
    return CheckedBatch(distinct, dead, duplicates=len(events) - len(distinct))
