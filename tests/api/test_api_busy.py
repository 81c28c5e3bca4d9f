"""When every face worker is busy the service says so at once: 503, a typed error and
Retry-After, instead of queueing without bound."""

from __future__ import annotations

from datetime import date
from typing import Any

from api_support import Keys, photo, upload
from fastapi.testclient import TestClient

from facegate.engine import FaceEngine
from facegate.engine.pool import EngineBusy
from facegate.service import Gate
from sites import CONSENT, Site


class BusyPool:
    """A stand-in for a ``FacePool`` whose workers and queue are all taken."""

    concurrent = True

    def __init__(self, engine: FaceEngine) -> None:
        self.model_id = engine.model_id
        self.model_version = engine.model_version
        self.threshold = engine.threshold
        self.load = engine.load

    def _busy(self, *args: Any, **kwargs: Any) -> Any:
        raise EngineBusy("all 2 face workers are busy", retry_after=1)

    examine = single_face = faces_with_embeddings = detect = locate = compare = _busy


def test_verify_gets_503_with_retry_after_when_the_pool_is_full(
    client: TestClient, api_gate: Gate, engine: FaceEngine, keys: Keys, north: Site
) -> None:
    subject = api_gate.register_subject(date_of_birth=date(1961, 8, 4))
    api_gate.record_consent(subject.id, north.deployment_id, CONSENT)
    api_gate.enrol(subject.id, north.deployment_id, photo("obama_1.jpg"))
    api_gate.use_engine(BusyPool(engine))
    response = client.post(
        "/v1/verify",
        data={"subject_id": subject.id},
        files=upload("obama_2.jpg"),
        headers=keys.header("device"),
    )
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == "1"
    assert response.json()["error"]["code"] == "engine_busy"
