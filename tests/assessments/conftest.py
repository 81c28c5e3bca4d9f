"""Fixtures for the PIPIA and notice tests: a Gate on a fresh data directory, a controlled
clock, and a deployment described but not yet activated."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from assessment_sites import DraftSite, TestClock, draft_site

from facegate.config import Settings
from facegate.engine import FaceEngine
from facegate.service import Gate


@pytest.fixture
def clock() -> TestClock:
    return TestClock(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))


@pytest.fixture
def gate(tmp_path: Path, database_url: str, clock: TestClock, engine: FaceEngine) -> Iterator[Gate]:
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url)
    gate = Gate.open(settings, create=True, clock=clock, engine=engine)
    yield gate
    gate.close()


@pytest.fixture
def draft(gate: Gate) -> DraftSite:
    return draft_site(gate)
