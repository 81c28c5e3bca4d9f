"""`facegate backup`, `restore` and `key rotate-master` from the command line, as an operator
uses them: a restored backup never brings a deleted person back (PIPL art. 47)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from facegate.cli import app

runner = CliRunner()

# The SQLite file's online backup, and pg_dump/pg_restore on PostgreSQL (cli_database).
pytestmark = pytest.mark.both_databases


def run(data_dir: Path, *args: str, code: int = 0) -> dict[str, object]:
    result = runner.invoke(app, ["--data-dir", str(data_dir), *args, "--json"])
    assert result.exit_code == code, (args, result.output)
    body: dict[str, object] = json.loads(result.stdout)
    return body


def test_backup_delete_restore_rotate(tmp_path: Path, cli_database: str) -> None:
    data = tmp_path / "data"
    run(data, "init")
    person = run(data, "subject", "add", "--dob", "1961-08-04", "--name", "B. Obama")["id"]
    other = run(data, "subject", "add", "--dob", "1970-01-01", "--name", "C. Kept")["id"]
    assert isinstance(person, str) and isinstance(other, str)
    backup = run(data, "backup", str(tmp_path / "backup-1"))
    copy = "facegate.dump" if cli_database else "facegate.db"
    assert backup["backend"] == ("postgresql" if cli_database else "sqlite")
    for name in (copy, "manifest.json", "facegate.toml"):
        assert (tmp_path / "backup-1" / name).stat().st_mode & 0o777 == 0o600, name
    assert backup["journal_seq"] == 0

    run(data, "rights", "delete", person)
    restored = run(data, "restore", str(tmp_path / "backup-1"))
    assert restored["audit_chain_ok"] is True
    assert any("1 person(s) erased" in str(n) for n in restored["notices"])  # type: ignore[attr-defined]
    erased = run(data, "rights", "show", person)  # erased again: nothing held (issue 12)
    assert erased["held"] is False and "identity" not in erased
    assert run(data, "rights", "show", other)["identity"] == {"name": "C. Kept"}

    # The master key: rotated without losing what it seals; the old file is kept.
    old_key = (data / "master.key").read_text()
    rotated = run(data, "key", "rotate-master")
    assert rotated["identities_resealed"] == 1
    assert (data / "master.key").read_text() != old_key
    assert Path(str(rotated["old_key_file"])).read_text() == old_key
    assert run(data, "rights", "show", other)["identity"] == {"name": "C. Kept"}
    assert run(data, "audit", "verify")["ok"] is True

    # A backup sealed under the old key is refused: restore it only with its own key.
    refused = runner.invoke(app, ["--data-dir", str(data), "restore", str(tmp_path / "backup-1")])
    assert refused.exit_code == 2 and "another master key" in refused.output


def test_init_over_a_keyless_directory_is_refused(tmp_path: Path, cli_database: str) -> None:
    data = tmp_path / "data"
    run(data, "init")
    run(data, "subject", "add", "--dob", "1961-08-04", "--name", "B. Obama")
    (data / "master.key").unlink()
    refused = runner.invoke(app, ["--data-dir", str(data), "init"])
    assert refused.exit_code == 2
    assert "--abandon-data" in refused.output
    assert not (data / "master.key").exists()
    run(data, "init", "--abandon-data")
    assert run(data, "audit", "verify")["ok"] is True
