"""Fixtures for the sync protocol in one process: a control plane and edge nodes, each a Gate
on its own data directory, exchanging batches the way the HTTP endpoints do."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from facegate.config import Settings
from facegate.engine import FaceEngine
from facegate.service import Gate
from sites import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))


@pytest.fixture
def open_gate(
    tmp_path: Path, clock: Clock, engine: FaceEngine, new_database_url: Callable[[], str]
) -> Iterator[Callable[[str, str], Gate]]:
    """``open_gate(name, role)``: a Gate on the data directory ``name`` and its own database
    (the same one when a name is opened again)."""
    opened: list[Gate] = []
    urls: dict[str, str] = {}

    def open_one(name: str, role: str) -> Gate:
        url = urls.setdefault(name, new_database_url())
        gate = Gate.open(
            Settings(data_dir=tmp_path / name, role=role, database_url=url),
            create=True,
            clock=clock,
            engine=engine,
        )
        opened.append(gate)
        return gate

    yield open_one
    for gate in opened:
        gate.close()


@pytest.fixture
def control(open_gate: Callable[[str, str], Gate]) -> Gate:
    return open_gate("control", "control")


@pytest.fixture
def fixtures(fixtures_dir: Path) -> Path:
    return fixtures_dir
