"""A writer killed with SIGKILL mid-operation leaves nothing inconsistent (CI: 50 trials; the
stress run in tests/stress: 500)."""

from __future__ import annotations

from pathlib import Path

from crash import Harness
from facegate.engine import FaceEngine

TRIALS = 50


def test_sigkill_at_random_points_leaves_the_store_consistent(
    tmp_path: Path, engine: FaceEngine, fixtures: Path
) -> None:
    harness = Harness.prepare(tmp_path / "data", engine, fixtures / "obama_1.jpg")
    failures = {seed: problems for seed in range(TRIALS) if (problems := harness.trial(seed))}
    assert failures == {}
