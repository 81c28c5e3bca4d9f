"""One photo's whole face work in one call (``examine``): the same faces, boxes and liveness
scores as the separate verbs, in this process and in a pool worker, with the same typed errors;
and nothing is scored or embedded beyond what the request allows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import photos
from facegate.engine import FaceEngine, ImageUnreadable, MultipleFaces, NoFace
from facegate.engine.liveness import PassiveLiveness
from facegate.engine.photo import PhotoRequest
from facegate.engine.pool import EngineBusy, FacePool

LIVE = PhotoRequest(liveness=0.5)


@pytest.fixture(scope="module")
def pool() -> Iterator[FacePool]:
    with FacePool(workers=1, queue=1) as started:
        started.wait_ready()
        yield started


def test_examine_gives_the_single_face_and_its_liveness_score(
    engine: FaceEngine, liveness: PassiveLiveness, fixtures_dir: Path
) -> None:
    photo = fixtures_dir / "obama_1.jpg"
    examined = engine.examine(photo, LIVE, liveness=liveness)
    alone = engine.single_face(photo, require_quality=False)
    (face,) = examined.faces
    assert face.face.box == alone.face.box
    assert float(np.abs(face.embedding.vector - alone.embedding.vector).max()) < 1e-6
    (result,) = examined.liveness
    assert result.live and result.threshold == 0.5
    assert result.score == pytest.approx(liveness.score(engine.load(photo), face.face.box))
    assert examined.live


def test_examine_judges_liveness_at_the_requests_threshold(
    engine: FaceEngine, liveness: PassiveLiveness, fixtures_dir: Path
) -> None:
    """A threshold no face reaches: the face is scored, refused as not live and not embedded."""
    examined = engine.examine(fixtures_dir / "obama_1.jpg", PhotoRequest(liveness=1.01))
    (result,) = examined.liveness
    assert not result.live and result.threshold == 1.01
    assert examined.faces == () and len(examined.located) == 1
    assert not examined.live


def test_examine_without_liveness_scores_nothing(engine: FaceEngine, fixtures_dir: Path) -> None:
    examined = engine.examine(fixtures_dir / "obama_1.jpg", PhotoRequest())
    assert examined.liveness == () and len(examined.faces) == 1


def test_examine_a_frame_over_the_limit_scores_and_embeds_no_face(engine: FaceEngine) -> None:
    limited = PhotoRequest(one_face=False, liveness=0.5, embed_at_most=1)
    examined = engine.examine(photos.two_people(), limited)
    assert len(examined.located) == 2
    assert examined.liveness == () and examined.faces == ()
    everyone = engine.examine(photos.two_people(), PhotoRequest(one_face=False, liveness=0.5))
    assert len(everyone.liveness) == 2 and len(everyone.faces) == 2
    assert [f.face.box for f in everyone.faces] == [d.box for d in everyone.located]


def test_examine_in_a_worker_gives_the_same_result(
    pool: FacePool, engine: FaceEngine, fixtures_dir: Path
) -> None:
    photo = (fixtures_dir / "obama_2.jpg").read_bytes()
    here = engine.examine(photo, LIVE)
    there = pool.examine(photo, LIVE)
    assert there.located == here.located
    assert there.faces[0].face.box == here.faces[0].face.box
    assert there.faces[0].embedding.model == pool.model_id
    vectors = there.faces[0].embedding.vector, here.faces[0].embedding.vector
    assert float(np.abs(vectors[0] - vectors[1]).max()) < 1e-6
    assert there.liveness[0].score == pytest.approx(here.liveness[0].score, abs=1e-6)
    frame = PhotoRequest(one_face=False, liveness=0.5, embed_at_most=1)
    assert pool.examine(photos.two_people(), frame).faces == ()


def test_examine_typed_errors_cross_the_process_boundary(pool: FacePool) -> None:
    with pytest.raises(NoFace) as no_face:
        pool.examine(photos.no_face(), LIVE)
    assert no_face.value.code == "no_face"
    with pytest.raises(MultipleFaces) as several:
        pool.examine(photos.two_people(), LIVE)
    assert several.value.details == {"faces": 2}
    with pytest.raises(ImageUnreadable) as unreadable:
        pool.examine(photos.corrupt(), LIVE)
    assert unreadable.value.code == "image_unreadable"
    for _ in range(2):  # the one worker and the one waiting place, both taken
        assert pool._slots.acquire(blocking=False)
    try:
        with pytest.raises(EngineBusy) as busy:
            pool.examine(photos.no_face(), LIVE)
        assert busy.value.code == "engine_busy" and busy.value.retry_after >= 1
    finally:
        for _ in range(2):
            pool._slots.release()


def test_examine_over_the_search_budget_is_face_search_timeout_in_a_worker() -> None:
    from facegate.engine import EngineConfig, FaceSearchTimeout

    hurried = FacePool(EngineConfig(time_budget=0.005), workers=1, queue=0)
    with hurried, pytest.raises(FaceSearchTimeout) as timeout:
        hurried.examine(photos.no_face(), LIVE)
    assert timeout.value.code == "face_search_timeout"
    assert timeout.value.details == {"budget_seconds": 0.005}
