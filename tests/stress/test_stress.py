"""The long runs behind the ``stress`` marker (not in `make test`):

    .venv/bin/python -m pytest -m stress tests/stress
    FACEGATE_FUZZ_EXAMPLES=2000 FACEGATE_FUZZ_RANDOM=1 FACEGATE_FUZZ_FALLBACK=1 \\
        .venv/bin/python -m pytest tests/engine/test_fuzz_images.py

Figures from these runs are in docs/reliability.md.
"""

from __future__ import annotations

import io
import os
import resource
import time
from pathlib import Path

import pytest
from PIL import Image

from crash import Harness
from facegate.engine import FaceEngine
from facegate.engine.image import load_image

pytestmark = [pytest.mark.stress, pytest.mark.timeout(0)]  # long by design
TRIALS = int(os.environ.get("FACEGATE_CRASH_TRIALS", "500"))


def test_sigkill_stress(tmp_path: Path, engine: FaceEngine, fixtures_dir: Path) -> None:
    harness = Harness.prepare(tmp_path / "data", engine, fixtures_dir / "obama_1.jpg")
    started, cpu = time.monotonic(), time.process_time()
    failures = {}
    for seed in range(1000, 1000 + TRIALS):
        problems = harness.trial(seed, kill_within=1.0)
        if problems:
            failures[seed] = problems
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        f"\n{TRIALS} SIGKILL trials, {len(failures)} with problems; "
        f"{time.monotonic() - started:.0f} s wall, {time.process_time() - cpu:.0f} s CPU here, "
        f"{children.ru_utime + children.ru_stime:.0f} s CPU in writers, "
        f"load {os.getloadavg()}"
    )
    assert failures == {}


def test_the_costliest_faceless_picture(engine: FaceEngine) -> None:
    """A face-less 1000x1000 picture through the default engine's CNN fallback."""
    buffer = io.BytesIO()
    Image.new("L", (1000, 1000), 128).save(buffer, "PNG")
    engine.detect(load_image(buffer.getvalue()))  # warm
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cpu = time.process_time()
    assert engine.detect(load_image(buffer.getvalue())) == []
    spent = time.process_time() - cpu
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before
    print(f"\nface-less 1000x1000: {spent:.1f} s CPU, peak memory +{grown:.0f} MB")
    assert spent < 30
