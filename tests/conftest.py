"""Shared fixtures: the real face engine and the fixture photos (see fixtures/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from facegate.engine import FaceEngine

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def engine() -> FaceEngine:
    """dlib's real models, loaded once per test session."""
    return FaceEngine()
