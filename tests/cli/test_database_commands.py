"""`facegate db status` and `facegate db upgrade`: the schema of the configured database, on
SQLite and on PostgreSQL; and the README's split of roles on PostgreSQL (an owner migrates, the
service runs with data rights only)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url
from typer.testing import CliRunner

from facegate.cli import app
from facegate.config import Settings
from facegate.service import Gate
from postgres_cluster import PostgresCluster
from sites import make_site

runner = CliRunner()


def run(data_dir: Path, url: str, *args: str, code: int = 0) -> dict[str, object]:
    env = {"FACEGATE_DATABASE_URL": url} if url else {}
    result = runner.invoke(app, ["--data-dir", str(data_dir), *args, "--json"], env=env)
    assert result.exit_code == code, (args, result.output)
    body: dict[str, object] = json.loads(result.stdout)
    return body


@pytest.mark.both_databases
def test_status_then_upgrade_then_open(tmp_path: Path, empty_database_url: str) -> None:
    data = tmp_path / "data"
    data.mkdir()
    before = run(data, empty_database_url, "db", "status")
    assert before["revision"] == [] and before["up_to_date"] is False
    after = run(data, empty_database_url, "db", "upgrade")
    assert after["was"] == [] and after["revision"] == after["head"] and after["up_to_date"]
    again = run(data, empty_database_url, "db", "upgrade")  # nothing left to do
    assert again["was"] == again["revision"] == after["head"]
    shown = run(data, empty_database_url, "init")["database"]
    assert shown == before["database"]  # the same database; a password would be masked


def test_a_missing_data_directory_or_server_is_a_clear_error(tmp_path: Path) -> None:
    """The password of a URL is never printed."""
    missing = run(tmp_path / "nowhere", "", "db", "status", code=2)
    assert missing["error"]["code"] == "maintenance_refused"  # type: ignore[index]
    url = "postgresql+psycopg://someone:secret@127.0.0.1:1/facegate"
    unreachable = run(tmp_path, url, "db", "status", code=2)
    assert unreachable["error"]["code"] == "database_unreachable"  # type: ignore[index]
    assert "secret" not in json.dumps(unreachable)
    shown = Settings(data_dir=tmp_path, database_url=url).shown_database_url
    assert shown == "postgresql+psycopg://someone:***@127.0.0.1:1/facegate"


@pytest.mark.parametrize("database_backend", ["postgresql"], indirect=True)
def test_the_service_runs_with_data_rights_only_after_the_owner_migrated(
    tmp_path: Path, empty_database_url: str, postgres_cluster: PostgresCluster
) -> None:
    """README: the owner role runs `facegate db upgrade` (and `facegate restore`); the
    service's role has only SELECT/INSERT/UPDATE/DELETE (and sequences), so it can never
    change the schema, and `facegate backup` works with it."""
    owner = create_engine(empty_database_url, isolation_level="AUTOCOMMIT")
    name = make_url(empty_database_url).database
    with owner.connect() as connection:  # the README's grants, before the first migration
        for statement in (
            "DROP ROLE IF EXISTS facegate_app_test",
            "CREATE ROLE facegate_app_test LOGIN",
            f'GRANT CONNECT ON DATABASE "{name}" TO facegate_app_test',
            "GRANT USAGE ON SCHEMA public TO facegate_app_test",
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
            "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO facegate_app_test",
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
            "GRANT USAGE, SELECT ON SEQUENCES TO facegate_app_test",
        ):
            connection.exec_driver_sql(statement)
    run(tmp_path, empty_database_url, "db", "upgrade")  # as the owner
    app_url = make_url(empty_database_url).set(username="facegate_app_test")
    service_url = app_url.render_as_string(hide_password=False)
    try:
        settings = Settings(data_dir=tmp_path / "data", database_url=service_url)
        gate = Gate.open(settings, create=True)
        try:
            make_site(gate)
            assert gate.verify_audit().ok
            denied = pytest.raises(Exception, match="permission denied")
            with denied, gate.ctx.db.transaction() as session:
                session.connection().exec_driver_sql("CREATE TABLE intruder (x int)")
        finally:
            gate.close()
        # docs/operations.md: the service's role backs up, the owner restores, and the service
        # runs on with its grants after the restore.
        data = tmp_path / "data"
        assert run(data, service_url, "backup", str(tmp_path / "b"))["backend"] == "postgresql"
        owner.dispose()  # nobody else connected: a restore refuses otherwise
        restored = run(data, empty_database_url, "restore", str(tmp_path / "b"))
        assert restored["audit_chain_ok"]
        # The dump's GRANTs are not replayed; the database's default privileges give the
        # service's role its rights on the restored tables (the Gate below writes).
        assert restored["grants_left_out"] == ["facegate_app_test"]
        assert any("facegate_app_test" in n for n in restored["notices"])  # type: ignore[attr-defined]
        gate = Gate.open(settings)
        try:
            make_site(gate)
            assert gate.verify_audit().ok
        finally:
            gate.close()
    finally:
        owner.dispose()
        postgres_cluster.drop_database(empty_database_url)
        admin = create_engine(postgres_cluster.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql("DROP OWNED BY facegate_app_test")
            connection.exec_driver_sql("DROP ROLE facegate_app_test")
        admin.dispose()
