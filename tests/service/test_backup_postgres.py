"""`facegate backup`/`restore` on PostgreSQL (store/backup_postgres.py): a restore is one
transaction (a failure leaves the database as it was), it also drops what a newer migration
added, a backup is refused where it does not belong, and a password never reaches a command
line. The round trip with deletions replayed runs on both databases in test_durability.py,
test_two_hosts.py and tests/cli/test_durability_commands.py."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from facegate.config import Settings
from facegate.service import Gate, maintenance
from facegate.store.backup import BackupError
from facegate.store.backup_postgres import libpq
from sites import Clock

# pg_dump and pg_restore: PostgreSQL's own (SQLite's backup is tested in test_durability.py).
on_postgresql = pytest.mark.parametrize(
    "database_backend", ["postgresql"], indirect=True, scope="module"
)


def sql(url: str, *statements: str) -> list[tuple[object, ...]]:
    engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            rows: list[tuple[object, ...]] = []
            for statement in statements:
                result = connection.execute(text(statement))
                rows = [tuple(r) for r in result] if result.returns_rows else []
            return rows
    finally:
        engine.dispose()


def people(settings: Settings, clock: Clock) -> set[str]:
    gate = Gate.open(settings, clock=clock)
    try:
        rows = sql(settings.database_url, "SELECT id FROM subjects")
        return {str(r[0]) for r in rows}
    finally:
        gate.close()


def a_backup_and_a_later_person(
    settings: Settings, clock: Clock, tmp_path: Path
) -> tuple[Path, str, str]:
    gate = Gate.open(settings, create=True, clock=clock)
    kept = gate.register_subject(date_of_birth=date(1980, 1, 1), identity={"name": "K"}).id
    backup = tmp_path / "backup"
    maintenance.backup(settings, backup)
    later = gate.register_subject(date_of_birth=date(1990, 1, 1), identity={"name": "L"}).id
    gate.close()
    return backup, kept, later


@on_postgresql
def test_a_failing_restore_leaves_the_database_as_it_was(
    data_dir: Path, database_url: str, clock: Clock, tmp_path: Path
) -> None:
    settings = Settings(data_dir=data_dir, database_url=database_url)
    gate = Gate.open(settings, create=True, clock=clock)
    kept = gate.register_subject(date_of_birth=date(1980, 1, 1)).id
    gate.close()
    # A dump that grants a role the server no longer has: its GRANT, replayed after every
    # table and row, fails.
    role = f"gone_{data_dir.parent.name[-8:].lower().replace('-', '_')}"
    sql(database_url, f'CREATE ROLE "{role}"', f'GRANT SELECT ON subjects TO "{role}"')
    backup = tmp_path / "backup"
    maintenance.backup(settings, backup)
    sql(database_url, f'REVOKE SELECT ON subjects FROM "{role}"', f'DROP ROLE "{role}"')
    gate = Gate.open(settings, clock=clock)
    later = gate.register_subject(date_of_birth=date(1990, 1, 1)).id
    gate.close()

    with pytest.raises(BackupError, match="rolled back, the database is unchanged"):
        maintenance.restore(settings, backup, grants=True)  # the grants replayed, as asked
    assert people(settings, clock) == {kept, later}
    assert (data_dir / "facegate.pre-restore.dump").stat().st_mode & 0o777 == 0o600


def granted(url: str, role: str) -> bool:
    rows = sql(url, f"SELECT has_table_privilege('{role}', 'subjects', 'SELECT')")
    return rows == [(True,)]


@on_postgresql
def test_a_restore_leaves_out_the_dumps_grants_unless_asked(
    data_dir: Path, database_url: str, clock: Clock, tmp_path: Path
) -> None:
    """A dump names the roles of the server it was taken on: restored on a server that lacks
    one (a new server, after a disaster), replaying its GRANT would roll the whole restore
    back. By default no GRANT is replayed (no role reads people's data unless granted here),
    and the operator is told which roles had some; ``grants=True`` replays them."""
    settings = Settings(data_dir=data_dir, database_url=database_url)
    gate = Gate.open(settings, create=True, clock=clock)
    kept = gate.register_subject(date_of_birth=date(1980, 1, 1)).id
    gate.close()
    suffix = data_dir.parent.name[-8:].lower().replace("-", "_")
    gone, reader = f"gone_{suffix}", f"reader_{suffix}"
    sql(database_url, f'CREATE ROLE "{gone}"', f'CREATE ROLE "{reader}"')
    sql(database_url, f'GRANT SELECT ON subjects TO "{gone}", "{reader}"')
    backup = tmp_path / "backup"
    maintenance.backup(settings, backup)
    sql(database_url, f'REVOKE SELECT ON subjects FROM "{gone}"', f'DROP ROLE "{gone}"')
    gate = Gate.open(settings, clock=clock)
    gate.register_subject(date_of_birth=date(1990, 1, 1))
    gate.close()
    try:
        restored, _ = maintenance.restore(settings, backup)
        assert restored["audit_chain_ok"] is True
        assert restored["grants_left_out"] == sorted([gone, reader])
        assert people(settings, clock) == {kept}
        assert not granted(database_url, reader), "a grant the operator did not make here"

        sql(database_url, f'CREATE ROLE "{gone}"')  # the operator creates the roles
        restored, _ = maintenance.restore(settings, backup, grants=True)
        assert restored["grants_left_out"] == []
        assert granted(database_url, reader) and granted(database_url, gone)
        assert people(settings, clock) == {kept}
    finally:  # roles belong to the cluster, not to the test's database
        for role in (gone, reader):
            if sql(database_url, f"SELECT 1 FROM pg_roles WHERE rolname = '{role}'"):
                sql(database_url, f'REVOKE ALL ON subjects FROM "{role}"', f'DROP ROLE "{role}"')


@on_postgresql
def test_a_restore_drops_what_a_newer_schema_added_and_migrates_again(
    data_dir: Path, database_url: str, clock: Clock, tmp_path: Path
) -> None:
    settings = Settings(data_dir=data_dir, database_url=database_url)
    backup, kept, _later = a_backup_and_a_later_person(settings, clock, tmp_path)
    sql(database_url, "CREATE TABLE added_later (id integer PRIMARY KEY)")

    restored, _ = maintenance.restore(settings, backup)
    assert restored["audit_chain_ok"] is True
    assert people(settings, clock) == {kept}
    assert sql(database_url, "SELECT to_regclass('added_later') IS NULL") == [(True,)]


@on_postgresql
def test_a_backup_is_refused_where_it_does_not_belong(
    data_dir: Path, database_url: str, clock: Clock, tmp_path: Path
) -> None:
    settings = Settings(data_dir=data_dir, database_url=database_url)
    backup, kept, later = a_backup_and_a_later_person(settings, clock, tmp_path)
    # Into SQLite: a pg_dump archive is not an SQLite file.
    sqlite = Settings(data_dir=tmp_path / "sqlite-data")
    Gate.open(sqlite, create=True, clock=clock).close()
    with pytest.raises(BackupError, match="postgresql database"):
        maintenance.restore(sqlite, backup)
    # A dump altered after it was written.
    manifest = json.loads((backup / "manifest.json").read_text())
    with (backup / manifest["database"]).open("ab") as dump:
        dump.write(b"\0")
    with pytest.raises(BackupError, match="checksum"):
        maintenance.restore(settings, backup)
    # A manifest that names a file outside the backup.
    manifest["database"] = "../elsewhere.dump"
    (backup / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BackupError, match="outside the backup"):
        maintenance.restore(settings, backup)
    assert people(settings, clock) == {kept, later}


def test_a_password_goes_to_the_tools_in_the_environment_only() -> None:
    conninfo, env = libpq(
        "postgresql+psycopg://app:s3cr%40t@db.example.cn:5432/facegate?sslmode=verify-full"
    )
    assert conninfo == "postgresql://app@db.example.cn:5432/facegate?sslmode=verify-full"
    assert env["PGPASSWORD"] == "s3cr@t"


@on_postgresql
def test_a_backup_is_restored_into_a_new_empty_database_after_the_server_is_lost(
    data_dir: Path, database_url: str, empty_database_url: str, clock: Clock, tmp_path: Path
) -> None:
    """Disaster recovery: the old server is gone, the operator creates an empty database,
    points facegate at it and restores; deletions journalled after the backup are re-applied."""
    settings = Settings(data_dir=data_dir, database_url=database_url)
    backup, kept, later = a_backup_and_a_later_person(settings, clock, tmp_path)
    gate = Gate.open(settings, clock=clock)
    gate.delete_subject(kept)
    gate.close()

    new_server = Settings(data_dir=data_dir, database_url=empty_database_url)
    restored, notices = maintenance.restore(new_server, backup)
    assert restored["audit_chain_ok"] is True
    assert any("1 person(s) erased" in str(n) for n in notices), notices
    gate = Gate.open(new_server, clock=clock)
    try:
        assert gate.subject_report(kept) == {"subject_id": kept, "held": False, "deleted": True}
    finally:
        gate.close()
    assert later not in people(new_server, clock)  # written after the backup: lost


@on_postgresql
def test_a_restore_is_refused_while_another_host_is_connected(
    tmp_path: Path, database_url: str, clock: Clock
) -> None:
    """The data directory's lock covers one host: the database itself says who else is
    still connected (a host left serving would go on with the replaced gallery)."""
    settings = Settings(data_dir=tmp_path / "a", database_url=database_url)
    backup, kept, later = a_backup_and_a_later_person(settings, clock, tmp_path)
    (tmp_path / "b").mkdir(mode=0o700)
    (tmp_path / "b" / "master.key").write_bytes((tmp_path / "a" / "master.key").read_bytes())
    (tmp_path / "b" / "master.key").chmod(0o600)
    other_host = Gate.open(Settings(data_dir=tmp_path / "b", database_url=database_url))
    try:
        other_host.subject_report(kept)  # holds a connection, as a serving host does
        with pytest.raises(BackupError, match=r"other connection\(s\) to the database"):
            maintenance.restore(settings, backup)
    finally:
        other_host.close()
    assert people(settings, clock) == {kept, later}
    assert not (tmp_path / "a" / "facegate.pre-restore.dump").exists()
