"""Fixtures for Gate tests: a Gate on a fresh data directory with a clock the test controls."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from facegate.config import Settings
from facegate.engine import FaceEngine
from facegate.engine.liveness import PassiveLiveness
from facegate.service import Gate
from sites import Clock, Site, make_site


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def gate(
    data_dir: Path,
    database_url: str,
    clock: Clock,
    engine: FaceEngine,
    liveness: PassiveLiveness,
) -> Iterator[Gate]:
    gate = Gate.open(
        Settings(data_dir=data_dir, database_url=database_url),
        create=True,
        clock=clock,
        engine=engine,
        liveness=liveness,
    )
    yield gate
    gate.close()


@pytest.fixture
def site(gate: Gate) -> Site:
    return make_site(gate)


@pytest.fixture
def fixtures(fixtures_dir: Path) -> Path:
    return fixtures_dir
