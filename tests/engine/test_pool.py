"""Face work in worker processes: the same results and typed errors, a bounded queue."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import photos
from facegate.engine import FaceEngine, MultipleFaces, NoFace
from facegate.engine.pool import EngineBusy, FacePool


@pytest.fixture(scope="module")
def pool() -> Iterator[FacePool]:
    with FacePool(workers=1, queue=1) as started:
        started.wait_ready()
        yield started


def test_a_worker_gives_the_engines_embedding(
    pool: FacePool, engine: FaceEngine, fixtures_dir: Path
) -> None:
    here = engine.single_face(fixtures_dir / "obama_1.jpg").embedding
    there = pool.single_face((fixtures_dir / "obama_1.jpg").read_bytes()).embedding
    assert there.model == here.model == pool.model_id
    assert float(np.abs(there.vector - here.vector).max()) < 1e-6
    assert pool.model_version == engine.model_version
    assert pool.threshold == engine.threshold


def test_faces_at_located_boxes_embed_without_a_second_search(
    pool: FacePool, engine: FaceEngine, fixtures_dir: Path
) -> None:
    pixels = engine.load(fixtures_dir / "obama_1.jpg")
    located = engine.locate(pixels)
    here = engine.faces_at(pixels, located)
    searched = engine.faces_with_embeddings(pixels)
    there = pool.faces_at(pixels, pool.locate(pixels))
    assert len(here) == len(searched) == len(there) == 1
    assert here[0].face.box == searched[0].face.box == there[0].face.box
    assert float(np.abs(here[0].embedding.vector - searched[0].embedding.vector).max()) < 1e-6
    assert float(np.abs(there[0].embedding.vector - here[0].embedding.vector).max()) < 1e-6
    assert engine.faces_at(pixels, []) == []


def test_typed_errors_cross_the_process_boundary(pool: FacePool) -> None:
    with pytest.raises(NoFace) as no_face:
        pool.single_face(photos.no_face())
    assert no_face.value.code == "no_face"
    with pytest.raises(MultipleFaces) as several:
        pool.single_face(photos.two_people())
    assert several.value.count == 2
    assert several.value.details == {"faces": 2}
    assert "2 faces found" in several.value.message


def test_a_full_queue_is_refused_at_once_with_a_retry_delay(
    pool: FacePool, fixtures_dir: Path
) -> None:
    # One worker and one waiting place, both taken.
    for _ in range(2):
        assert pool._slots.acquire(blocking=False)
    try:
        with pytest.raises(EngineBusy) as busy:
            pool.faces_with_embeddings(fixtures_dir / "biden.jpg")
        assert busy.value.code == "engine_busy"
        assert busy.value.retry_after >= 1
    finally:
        for _ in range(2):
            pool._slots.release()
    assert len(pool.faces_with_embeddings(fixtures_dir / "biden.jpg")) == 1


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="Linux /proc needed")
def test_workers_of_a_service_killed_while_they_start_do_not_outlive_it() -> None:
    """A service killed (SIGKILL) right after starting its pool, before the workers have
    loaded anything: they must not live on as orphans holding its pipes."""
    import subprocess
    import sys
    import time

    script = (
        "import os, time\n"
        "from facegate.engine.pool import FacePool\n"
        "pool = FacePool(workers=2)\n"
        "print('started', flush=True)\n"
        "time.sleep(120)\n"
    )
    service = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert service.stdout is not None and service.stdout.readline().strip() == "started"
    workers = _children(service.pid)
    assert workers
    service.kill()
    service.wait()
    deadline = time.monotonic() + 90
    alive = workers
    while alive and time.monotonic() < deadline:
        time.sleep(0.5)
        alive = [pid for pid in workers if Path(f"/proc/{pid}").exists()]
        alive = [pid for pid in alive if " Z " not in Path(f"/proc/{pid}/stat").read_text()]
    assert not alive, f"orphaned workers: {alive}"
