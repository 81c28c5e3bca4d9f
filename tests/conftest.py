"""Shared fixtures: the real face engine and the fixture photos (see fixtures/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from facegate.engine import FaceEngine
from facegate.engine.liveness import PassiveLiveness

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def engine() -> FaceEngine:
    """dlib's real models, loaded once per test session."""
    return FaceEngine()


@pytest.fixture(scope="session")
def liveness() -> PassiveLiveness:
    """The shipped passive liveness check (MiniFASNet pair on onnxruntime), loaded once."""
    return PassiveLiveness()
