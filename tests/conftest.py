"""Shared fixtures: the real face engine and the fixture photos (see fixtures/README.md)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from facegate.engine import FaceEngine
from facegate.engine.liveness import PassiveLiveness

FIXTURES = Path(__file__).parent / "fixtures"


def pytest_configure(config: pytest.Config) -> None:
    """Convert dlib's models to ONNX once, into pytest's cache directory (kept between runs,
    never committed), unless FACEGATE_MODEL_CACHE already names a cache. Subprocesses that the
    tests start inherit it."""
    if "FACEGATE_MODEL_CACHE" not in os.environ and config.cache is not None:
        os.environ["FACEGATE_MODEL_CACHE"] = str(config.cache.mkdir("facegate-models"))


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def engine() -> FaceEngine:
    """dlib's real models (the default onnxruntime backend), loaded once per test session."""
    return FaceEngine()


@pytest.fixture(scope="session")
def liveness() -> PassiveLiveness:
    """The shipped passive liveness check (MiniFASNet pair on onnxruntime), loaded once."""
    return PassiveLiveness()


@pytest.fixture(scope="session")
def dlib_engine() -> FaceEngine:
    """The same models on dlib itself, the reference backend."""
    from facegate.engine import EngineConfig

    return FaceEngine(EngineConfig(backend="dlib"))
