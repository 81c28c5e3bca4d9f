"""The verification lockout is shared: two real `facegate serve` processes on one data directory
allow exactly five failures between them, and a restart does not lift it (Measures art. 14)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import httpx
import pytest
from api_support import bearer, serving

from facegate.config import Settings
from facegate.engine import FaceEngine
from facegate.service import Gate
from facegate.service.access import issue_key
from sites import CONSENT, make_site


@pytest.mark.both_databases
def test_two_serve_processes_allow_exactly_five_failures_and_a_restart_keeps_the_lockout(
    tmp_path: Path, database_url: str, engine: FaceEngine
) -> None:
    data_dir = tmp_path / "data"
    settings = Settings(data_dir=data_dir, database_url=database_url)
    gate = Gate.open(settings, create=True, engine=engine)
    site = make_site(gate)
    person = gate.register_subject(date_of_birth=date(1980, 1, 1))
    gate.record_consent(person.id, site.deployment_id, CONSENT)
    gate.add_credential(person.id, site.deployment_id, "pin", "246810")
    device = issue_key(gate.ctx, "device", device_id=site.device_id, actor="test").token
    gate.close()

    def attempt(base: str, pin: str) -> int:
        response = httpx.post(
            f"{base}/v1/alternatives/verify",
            headers=bearer(device),
            json={"kind": "pin", "secret": pin, "subject_id": person.id},
            timeout=30,
        )
        return response.status_code

    with serving(data_dir, 2, database_url) as (first, second):
        outcomes = [attempt(base, "000000") for base in (first, second, first, second, first)]
        assert outcomes == [200] * 5  # five wrong PINs, answered "no match"
        assert attempt(second, "246810") == 429  # the sixth, right or wrong, on either
        assert attempt(first, "246810") == 429
    with serving(data_dir, 1, database_url) as (restarted,):
        assert attempt(restarted, "246810") == 429


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
