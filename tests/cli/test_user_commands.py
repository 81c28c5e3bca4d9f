"""`facegate users`: the first admin from the command line, its TOTP secret printed once."""

from __future__ import annotations

import json
from pathlib import Path

import pyotp
import pytest
from typer.testing import CliRunner

from facegate.cli import app
from facegate.config import Settings
from facegate.service import Gate
from facegate.service.users import authenticate_user

runner = CliRunner()

# Every command on SQLite and on PostgreSQL (FACEGATE_DATABASE_URL; cli_database).
pytestmark = pytest.mark.both_databases


def test_users_add_prints_the_totp_secret_once_and_the_user_can_log_in(
    tmp_path: Path, cli_database: str
) -> None:
    d = str(tmp_path / "data")
    assert runner.invoke(app, ["init", "--data-dir", d, "--json"]).exit_code == 0
    made = runner.invoke(
        app,
        ["users", "add", "Root", "--role", "admin", "--password-stdin", "--data-dir", d],
        input="a long admin passphrase\n",
    )
    assert made.exit_code == 0, made.output
    assert "otpauth://totp/facegate:root?secret=" in made.output
    secret = next(
        line.split(": ", 1)[1] for line in made.output.splitlines() if "by hand: " in line
    )

    again = runner.invoke(
        app,
        ["users", "add", "root", "--role", "dpo", "--password-stdin", "--data-dir", d, "--json"],
        input="another long passphrase\n",
    )
    assert again.exit_code == 1  # a conflict: one user per name
    assert json.loads(again.stdout)["error"]["code"] == "conflict"

    listed = runner.invoke(app, ["users", "list", "--json", "--data-dir", d])
    rows = json.loads(listed.stdout)["users"]
    assert [(r["username"], r["role"]) for r in rows] == [("root", "admin")]
    assert "secret" not in listed.stdout  # never shown again

    gate = Gate.open(Settings(data_dir=Path(d), database_url=cli_database))
    try:
        who = authenticate_user(
            gate.ctx, "root", "a long admin passphrase", pyotp.TOTP(secret).now()
        )
        assert who.role == "admin"
    finally:
        gate.close()

    refused = runner.invoke(app, ["users", "disable", "root", "--data-dir", d, "--json"])
    assert refused.exit_code == 1  # the last admin stays
    assert json.loads(refused.stdout)["error"]["code"] == "last_admin"
