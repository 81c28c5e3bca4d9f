"""Two real `facegate serve` processes on one store stay consistent: what one writes, the
other's very next identification sees (a face enrolled through one is identified through the
other; a withdrawal through one stops identification through the other), on SQLite and on
PostgreSQL.

"Within a second" is checked as the stronger, load-independent property: the first
identification sent after the other process answered already sees the change."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from api_support import bearer, photo, serving

from facegate.config import Settings
from facegate.engine import FaceEngine
from facegate.service import Gate
from facegate.service.access import issue_key
from sites import make_site


def _identify(base: str, device: str, name: str) -> list[str]:
    response = httpx.post(
        f"{base}/v1/identify",
        headers=bearer(device),
        files={"image": (name, photo(name), "image/jpeg")},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return [face["subject_id"] for face in response.json()["faces"] if face["subject_id"]]


@pytest.mark.both_databases
def test_an_enrolment_through_one_process_is_identified_through_the_other(
    tmp_path: Path, database_url: str, engine: FaceEngine
) -> None:
    data_dir = tmp_path / "data"
    settings = Settings(data_dir=data_dir, database_url=database_url)
    gate = Gate.open(settings, create=True, engine=engine)
    site = make_site(gate)
    operator = bearer(issue_key(gate.ctx, "operator", actor="test").token)
    device = issue_key(gate.ctx, "device", device_id=site.device_id, actor="test").token
    gate.close()

    def person(base: str, born: str) -> tuple[str, str]:
        """A registered subject who consented: (id, their own key)."""
        made = httpx.post(
            f"{base}/v1/subjects", json={"date_of_birth": born}, headers=operator, timeout=30
        )
        assert made.status_code == 201, made.text
        subject_id = made.json()["id"]
        consent = httpx.post(
            f"{base}/v1/subjects/{subject_id}/consents",
            json={"deployment_id": site.deployment_id, "alternative_offered": True},
            headers=operator,
            timeout=30,
        )
        assert consent.status_code == 201, consent.text
        return subject_id, consent.json()["subject_token"]

    def enrol(base: str, subject_id: str, name: str) -> None:
        enrolled = httpx.post(
            f"{base}/v1/subjects/{subject_id}/enrolments",
            data={"deployment_id": site.deployment_id},
            files={"image": (name, photo(name), "image/jpeg")},
            headers=operator,
            timeout=60,
        )
        assert enrolled.status_code == 201, enrolled.text

    with serving(data_dir, 2, database_url) as (first, second):
        obama, obama_key = person(first, "1961-08-04")
        biden, _ = person(second, "1942-11-20")
        # Both processes have searched the gallery (empty) before anything is enrolled.
        assert _identify(first, device, "obama_3.jpg") == []
        assert _identify(second, device, "biden.jpg") == []

        enrol(first, obama, "obama_1.jpg")
        assert _identify(second, device, "obama_3.jpg") == [obama]
        enrol(second, biden, "biden.jpg")
        assert _identify(first, device, "biden.jpg") == [biden]
        assert _identify(second, device, "obama_2.jpg") == [obama]

        withdrawn = httpx.post(
            f"{first}/v1/subjects/{obama}/consents/withdraw",
            json={"deployment_id": site.deployment_id},
            headers=bearer(obama_key),
            timeout=30,
        )
        assert withdrawn.status_code == 200, withdrawn.text
        assert _identify(second, device, "obama_3.jpg") == []
        assert _identify(second, device, "biden.jpg") == [biden]
