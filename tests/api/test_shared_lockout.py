"""The verification lockout is shared: two real `facegate serve` processes on one data directory
allow exactly five failures between them, and a restart does not lift it (Measures art. 14)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import httpx
import pytest
from api_support import bearer, free_port

from facegate.config import Settings
from facegate.engine import FaceEngine
from facegate.service import Gate
from facegate.service.access import issue_key
from sites import CONSENT, make_site


@contextmanager
def serving(data_dir: Path, count: int = 1) -> Iterator[list[str]]:
    """``count`` `facegate serve` processes on one data directory, started together, until the
    block ends (then SIGTERM)."""
    env = {**os.environ, "FACEGATE_DATA_DIR": str(data_dir)}
    command = str(Path(sys.executable).with_name("facegate"))
    ports = [free_port() for _ in range(count)]
    processes = [
        subprocess.Popen(
            [command, "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for port in ports
    ]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        deadline = time.monotonic() + 60
        for process, base in zip(processes, bases, strict=True):
            while True:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                try:
                    if httpx.get(f"{base}/v1/health", timeout=2).status_code < 500:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
        yield bases
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(20)


def test_two_serve_processes_allow_exactly_five_failures_and_a_restart_keeps_the_lockout(
    tmp_path: Path, engine: FaceEngine
) -> None:
    data_dir = tmp_path / "data"
    gate = Gate.open(Settings(data_dir=data_dir), create=True, engine=engine)
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

    with serving(data_dir, 2) as (first, second):
        outcomes = [attempt(base, "000000") for base in (first, second, first, second, first)]
        assert outcomes == [200] * 5  # five wrong PINs, answered "no match"
        assert attempt(second, "246810") == 429  # the sixth, right or wrong, on either
        assert attempt(first, "246810") == 429
    with serving(data_dir) as (restarted,):
        assert attempt(restarted, "246810") == 429


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
