"""The database every `facegate` command of a CLI test runs on: the operator's way,
``FACEGATE_DATABASE_URL`` for PostgreSQL (a fresh database on the session's throwaway
cluster), unset for SQLite in the data directory. A module marked ``both_databases`` runs its
tests on each (tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def cli_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """``database_url`` in the environment of every command the test runs, in process
    (CliRunner) or as a subprocess."""
    if database_url:
        monkeypatch.setenv("FACEGATE_DATABASE_URL", database_url)
    else:
        monkeypatch.delenv("FACEGATE_DATABASE_URL", raising=False)
    return database_url
