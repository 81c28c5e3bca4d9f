"""Fixtures for the REST service: a Gate on a fresh data directory, two sites, keys, a client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_support import Keys, make_keys
from fastapi.testclient import TestClient

from facegate.api import ApiSettings, create_app
from facegate.config import Settings
from facegate.engine import FaceEngine
from facegate.service import Gate
from sites import Site, make_site


@pytest.fixture
def api_gate(tmp_path: Path, database_url: str, engine: FaceEngine) -> Iterator[Gate]:
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url)
    gate = Gate.open(settings, create=True, engine=engine)
    yield gate
    gate.close()


@pytest.fixture
def north(api_gate: Gate) -> Site:
    return make_site(api_gate)


@pytest.fixture
def canteen(api_gate: Gate) -> Site:
    return make_site(api_gate, name="Staff canteen")


@pytest.fixture
def keys(api_gate: Gate, north: Site, canteen: Site) -> Keys:
    return make_keys(api_gate, north.device_id, canteen.device_id)


@pytest.fixture
def api_settings() -> ApiSettings:
    return ApiSettings()


@pytest.fixture
def client(api_gate: Gate, api_settings: ApiSettings) -> Iterator[TestClient]:
    with TestClient(create_app(api_gate, api_settings)) as test_client:
        yield test_client
