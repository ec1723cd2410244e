"""The sale event contract, and streamed events absorbed by the landing folder exactly once."""

from __future__ import annotations

import io

import orjson
import pandas as pd
import pytest

from inventory_optimization.panel.contract import SourceSummary
from inventory_optimization.panel.landing import LandedSales, absorb_landing, upsert_landed
from inventory_optimization.streaming import EventContract, check_events

NOW = pd.Timestamp("2024-03-10 12:00", tz="UTC")


def _panel() -> tuple[pd.DataFrame, SourceSummary]:
    dates = pd.date_range("2024-03-01", "2024-03-09", freq="D")
    rows = [
        {
            "series_id": f"{s}_{i}",
            "store_id": s,
            "item_id": i,
            "date": d,
            "demand": 1.0,
            "price": 2.0,
            "promo": 0.0,
            "is_observed": True,
            "is_closed": False,
        }
        for s in ("S01", "S02")
        for i in ("I1", "I2")
        for d in dates
    ]
    summary = SourceSummary(
        source="test",
        frequency="D",
        unit="units",
        keys=["store_id", "item_id"],
        known_covariates=["price", "promo"],
    )
    return pd.DataFrame(rows), summary


def _contract(**options) -> EventContract:
    panel, summary = _panel()
    return EventContract.for_panel(panel, summary, accept_new_series=False, **options)


def _event(number: int, **fields) -> bytes:
    event = {
        "event_id": f"e{number}",
        "store_id": "S01",
        "item_id": "I1",
        "ts": "2024-03-10T09:30:00+00:00",
        "quantity": 2,
    }
    return orjson.dumps({**event, **fields})


def test_bad_events_are_dead_lettered_with_their_reason():
    payloads = [
        _event(1),
        b"{not json",
        b"[1, 2]",
        orjson.dumps(
            {"event_id": "e3", "store_id": "S01", "ts": "2024-03-10T09:00Z", "quantity": 1}
        ),
        _event(4, store_id="S99"),
        _event(5, ts="2024-03-11T09:30:00+00:00"),
        _event(6, quantity="two"),
        _event(7, quantity=True),
        _event(8, ts="2024-03-10T09:30:00"),
        _event(9, unit_price="cheap"),
    ]
    batch = check_events(payloads, _contract(), now=NOW)
    assert batch.events["event_id"].tolist() == ["e1"]
    reasons = dict((payload, reason) for payload, reason in batch.dead_letters)
    assert len(batch.dead_letters) == 9
    assert reasons[b"{not json"].startswith("not JSON")
    assert reasons[b"[1, 2]"] == "not a JSON object (a list)"
    assert reasons[payloads[3]] == "missing field 'item_id'"
    assert reasons[payloads[4]] == "unknown store or item (not a series of the panel)"
    assert reasons[payloads[5]] == "'ts' is in the future"
    assert reasons[payloads[6]] == reasons[payloads[7]] == "'quantity' is not a number"
    assert reasons[payloads[8]] == "'ts' has no time zone (ISO 8601)"
    assert reasons[payloads[9]] == "'unit_price' is not a number"


def test_events_land_on_the_stores_local_day_with_price_and_promo():
    payloads = [
        _event(1, ts="2024-03-09T23:30:00+00:00", unit_price=2.5, promo=True),  # 00:30 in Paris
        _event(2, ts="2024-03-09T22:30:00+00:00"),  # 23:30 in Paris
        _event(3, quantity=-1),
    ]
    batch = check_events(payloads, _contract(timezone="Europe/Paris"), now=NOW)
    events = batch.events.set_index("event_id")
    assert events.loc["e1", "date"] == pd.Timestamp("2024-03-10")
    assert events.loc["e2", "date"] == pd.Timestamp("2024-03-09")
    assert events.loc["e1", "price"] == 2.5 and events.loc["e1", "promo"] == 1.0
    assert events.loc["e3", "demand"] == -1.0  # a return, kept where returns are
    refused = check_events(payloads[2:], _contract(allow_negative=False), now=NOW)
    assert refused.dead_letters[0][1] == "'quantity' is negative (returns are not kept)"


def test_a_repeated_event_id_in_a_batch_counts_once():
    batch = check_events([_event(1), _event(1), _event(2)], _contract(), now=NOW)
    assert batch.duplicates == 1 and batch.events["event_id"].tolist() == ["e1", "e2"]


def test_key_columns_must_name_the_panels_keys():
    with pytest.raises(
        ValueError, match=r"streaming.key_columns .*panel's keys \['store_id', 'item_id'\]"
    ):
        _contract(key_columns={"store_id": "shop"})


def _partition(payloads: list[bytes]) -> bytes:
    buffer = io.BytesIO()
    check_events(payloads, _contract(), now=NOW).events.to_parquet(buffer, index=False)
    return buffer.getvalue()


def _absorb(files: dict[str, bytes], state: LandedSales) -> tuple[LandedSales, object]:
    panel, summary = _panel()
    return absorb_landing(files, state, panel, summary, today=pd.Timestamp("2024-03-10"), now=NOW)


def test_redelivered_events_are_counted_once_across_files_and_runs():
    first = _partition([_event(1), _event(2, quantity=3)])
    # A consumer killed before its commit re-reads e2 with the next events.
    second = _partition([_event(2, quantity=3), _event(3, quantity=5, item_id="I2")])
    state, report = _absorb({"stream/a.events.parquet": first}, LandedSales())
    assert report.events == 2
    state, report = _absorb(
        {"stream/a.events.parquet": first, "stream/b.events.parquet": second}, state
    )
    assert (report.events, report.repeated_events, report.files_skipped) == (1, 1, 1)
    rows = state.rows.set_index(["series_id", "date"])["demand"]
    day = pd.Timestamp("2024-03-10")
    assert rows[("S01_I1", day)] == 5.0 and rows[("S01_I2", day)] == 5.0
    # The same events again under a new file name change nothing.
    again, report = _absorb({"stream/c.events.parquet": first + b""}, state)
    assert report.files_skipped == 1
    replayed = _partition([_event(3, quantity=5, item_id="I2"), _event(1)])
    again, report = _absorb({"stream/d.events.parquet": replayed}, state)
    assert (report.events, report.repeated_events) == (0, 2)
    pd.testing.assert_frame_equal(
        again.rows.drop(columns=["file", "absorbed_at"]),
        state.rows.drop(columns=["file", "absorbed_at"]),
    )
    panel, summary = _panel()
    upserted, _ = upsert_landed(panel, again, summary)
    on_day = upserted[upserted["date"] == day].set_index("series_id")
    assert on_day.loc["S01_I1", "demand"] == 5.0 and bool(on_day.loc["S01_I1", "is_observed"])
    assert not bool(on_day.loc["S02_I1", "is_observed"])  # no event: the missing policy decides
