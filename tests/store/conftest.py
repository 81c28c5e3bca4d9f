"""Fixtures of the store tests: a migrated database per test (a SQLite file, or a PostgreSQL
database where the test is marked ``both_databases``), a master key, a vault."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from facegate.store import Database, Vault


@pytest.fixture
def db(tmp_path: Path, database_url: str) -> Iterator[Database]:
    database = Database(database_url) if database_url else Database.for_data_dir(tmp_path)
    database.upgrade()
    yield database
    database.dispose()


@pytest.fixture
def master_key() -> bytes:
    return secrets.token_bytes(32)


@pytest.fixture
def vault(master_key: bytes) -> Vault:
    return Vault(master_key)
