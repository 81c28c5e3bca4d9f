"""Fixtures for the obligations tests: a Gate on a fresh data directory and a clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from facegate.config import Settings
from facegate.engine import FaceEngine
from facegate.service import Gate
from sites import Clock


@pytest.fixture
def clock() -> Clock:
    # 2026-09-18 09:00 in Beijing: a Friday before the Mid-Autumn and National Day holidays.
    return Clock(datetime(2026, 9, 18, 1, 0, tzinfo=UTC))


@pytest.fixture
def gate(tmp_path: Path, database_url: str, clock: Clock, engine: FaceEngine) -> Iterator[Gate]:
    gate = Gate.open(
        Settings(data_dir=tmp_path / "data", database_url=database_url),
        create=True,
        clock=clock,
        engine=engine,
        prerequisites=(),
    )
    yield gate
    gate.close()
