"""`facegate serve` over TLS, `facegate key`, and the idempotent `facegate demo`."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from api_support import FIXTURES, free_port, self_signed
from typer.testing import CliRunner

from facegate.cli import app

runner = CliRunner()

# Every command (and `serve` as a process) on SQLite and on PostgreSQL (FACEGATE_DATABASE_URL).
pytestmark = pytest.mark.both_databases


def cli(data_dir: Path, *args: str) -> dict[str, object]:
    result = runner.invoke(app, ["--data-dir", str(data_dir), *args, "--json"])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


def test_key_commands(tmp_path: Path, cli_database: str) -> None:
    data = tmp_path / "data"
    cli(data, "init")
    created = cli(data, "key", "create", "--role", "admin", "--label", "ops")
    assert str(created["token"]).startswith("fgk_")
    listed = cli(data, "key", "list")["keys"]
    assert isinstance(listed, list) and listed[0]["label"] == "ops"
    assert "token" not in listed[0]
    revoked = cli(data, "key", "revoke", str(created["id"]))
    assert revoked["revoked_at"]
    refused = runner.invoke(app, ["--data-dir", str(data), "key", "create", "--role", "device"])
    assert refused.exit_code == 2


@pytest.mark.slow
def test_serve_with_tls(tmp_path: Path, cli_database: str) -> None:
    data = tmp_path / "data"
    cli(data, "init")
    token = str(cli(data, "key", "create", "--role", "dpo")["token"])
    cert, key = self_signed(tmp_path)
    port = free_port()
    command = [sys.executable, "-m", "facegate", "--data-dir", str(data), "serve"]
    command += ["--port", str(port), "--tls-cert", str(cert), "--tls-key", str(key)]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        base = f"https://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"{base}/v1/health", verify=str(cert), timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, "facegate serve did not start"
                time.sleep(0.2)
        assert health.json() == {"status": "ok"}
        audit = httpx.get(
            f"{base}/v1/audit/verify",
            headers={"Authorization": f"Bearer {token}"},
            verify=str(cert),
        )
        assert audit.json()["ok"] is True
        with pytest.raises(httpx.TransportError):  # plain HTTP is not served
            httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=2)
    finally:
        process.terminate()
        _, errors = process.communicate(timeout=10)
    lines = [json.loads(line) for line in errors.splitlines() if line.startswith("{")]
    assert any(line.get("event") == "serve" for line in lines)
    assert any(
        line.get("event") == "request" and line["route"] == "/v1/audit/verify" for line in lines
    )


@pytest.mark.slow
def test_demo_is_idempotent(tmp_path: Path, cli_database: str) -> None:
    data = tmp_path / "demo-data"
    args = ["--data-dir", str(data), "demo", "--no-serve", "--photos", str(FIXTURES)]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "device API key (shown once" in first.output and "/v1/verify" in first.output
    ids = json.loads((data / "demo.json").read_text())
    assert set(ids["subjects"]) == {"Barack Obama", "Joe Biden"}
    second = runner.invoke(app, args)
    assert second.exit_code == 0, second.output
    assert "device API key (shown once" not in second.output
    assert json.loads((data / "demo.json").read_text()) == ids
