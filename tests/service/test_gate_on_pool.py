"""The Gate on a pool of face workers (``facegate serve``): each photo's whole face work
(decoding, search, liveness, embedding) runs in a worker, and enrol, verify and identify give
the same answers, refusals and typed errors as with the engine in the Gate's own process."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

import photos
from facegate.config import Settings
from facegate.engine import FaceEngine, MultipleFaces, NoFace
from facegate.engine.pool import FacePool
from facegate.law import Refused
from facegate.service import Gate
from shared_data import SAMPLES
from sites import CONSENT, Clock, Site, make_site

pytestmark = pytest.mark.both_databases


@pytest.fixture(scope="module")
def pool() -> Iterator[FacePool]:
    with FacePool(workers=1, queue=2) as started:
        started.wait_ready()
        yield started


@pytest.fixture
def pooled(
    tmp_path: Path, clock: Clock, pool: FacePool, new_database_url: Callable[[], str]
) -> Iterator[Gate]:
    settings = Settings(data_dir=tmp_path / "pooled", database_url=new_database_url())
    gate = Gate.open(settings, create=True, clock=clock, engine=pool)
    yield gate
    gate.close()


def enrol(gate: Gate, site: Site, photo: Path) -> str:
    subject = gate.register_subject(date_of_birth=date(1961, 8, 4)).id
    gate.record_consent(subject, site.deployment_id, CONSENT)
    gate.enrol(subject, site.deployment_id, photo, device_id=site.device_id)
    return subject


def test_a_pooled_gate_verifies_and_identifies_like_the_engine_in_process(
    pooled: Gate, gate: Gate, fixtures: Path, engine: FaceEngine
) -> None:
    answers = []
    for each in (pooled, gate):
        site = make_site(each)
        subject = enrol(each, site, fixtures / "obama_1.jpg")
        verified = each.verify(site.device_id, subject, fixtures / "obama_2.jpg")
        stranger = each.verify(site.device_id, subject, fixtures / "biden.jpg")
        found = each.identify(site.device_id, fixtures / "obama_3.jpg")
        answers.append(
            (
                verified.matched,
                verified.distance,
                stranger.matched,
                found.matched,
                [f.distance for f in found.faces],
            )
        )
    assert answers[0] == answers[1]
    assert answers[0][0] and not answers[0][2]
    assert pooled.ctx._liveness is None  # liveness ran in the worker, never loaded here


def test_a_pooled_gate_keeps_the_typed_errors_and_the_frame_rule(
    pooled: Gate, fixtures: Path
) -> None:
    site = make_site(pooled)
    subject = enrol(pooled, site, fixtures / "obama_1.jpg")
    with pytest.raises(NoFace):
        pooled.verify(site.device_id, subject, photos.no_face())
    with pytest.raises(MultipleFaces):
        pooled.verify(site.device_id, subject, photos.two_people())
    with pytest.raises(Refused) as frame:
        pooled.identify(site.device_id, photos.two_people())
    assert frame.value.decision.codes == ("capture.opt_in",)


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared samples absent")
def test_liveness_failed_refused_by_a_pooled_gate(pooled: Gate, fixtures: Path) -> None:
    site = make_site(pooled)
    subject = enrol(pooled, site, fixtures / "obama_1.jpg")
    with pytest.raises(Refused) as attack:
        pooled.verify(site.device_id, subject, SAMPLES / "image_F1.jpg")
    assert attack.value.decision.codes == ("liveness.failed",)
    with pytest.raises(Refused) as screen:
        pooled.identify(site.device_id, SAMPLES / "image_F2.jpg")
    assert screen.value.decision.codes == ("liveness.failed",)
