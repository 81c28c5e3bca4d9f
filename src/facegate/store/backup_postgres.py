"""Backups of a PostgreSQL database with PostgreSQL's own client tools, and putting one back.

``backup`` opens a read-only REPEATABLE READ transaction, exports its snapshot and runs
``pg_dump --format=custom --snapshot=…`` on it: the dump and the manifest's key fingerprint,
journal position and audit count are read from the same consistent snapshot while the service
runs. The dump is checked by reading its table of contents and its key check row back
(``pg_restore``), and the manifest holds its SHA-256, as for SQLite (``store/backup.py``).

``put_back`` first dumps the database it replaces (kept in the data directory), then, in ONE
transaction (``psql`` with ``ON_ERROR_STOP``), drops every table, sequence and enum type of
the database's schema and replays the dump (``pg_restore --no-owner --no-acl`` as SQL): a
failure leaves the database as it was. Tables a newer migration added are dropped too, so the
restored copy migrates to head like any older database. The dump keeps its owners and GRANTs
(a plain ``pg_dump`` archive); a restore never replays the owners and, by default, not the
GRANTs either: they name roles of the server the dump was taken on, a restore is most needed
on a new server, where one missing role would roll it back, and no role should gain access to
people's data that the operator has not granted on this server (the database's own default
privileges still apply to the tables the restore creates). ``grants=True`` (``facegate
restore --with-grants``) replays them, once the roles exist.

The master key and the deletion journals are not in a backup and a restore never touches them:
the journal of every host is replayed when it next opens the database
(``facegate.service.durability``), so a deletion made after the backup stays a deletion.

The tools (``pg_dump``, ``pg_restore``, ``psql``: Debian's ``postgresql-client``) are found on
PATH or under ``/usr/lib/postgresql/<major>/bin`` (the newest). A password in the URL is handed
to them in ``PGPASSWORD``, never on a command line; the URL's query (``sslmode=``,
``sslrootcert=``, …) goes to libpq as it is.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import URL, Connection, create_engine, make_url, text
from sqlalchemy.pool import NullPool

from facegate.store.errors import StoreError

DUMP_NAME = "facegate.dump"
TOOLS = ("pg_dump", "pg_restore", "psql")
SETTLE = 5.0


class PostgresToolError(StoreError):
    code = "backup_invalid"


def tool(name: str) -> str:
    """The path of ``pg_dump``, ``pg_restore`` or ``psql``."""
    found = shutil.which(name)
    if found:
        return found

    def major(path: str) -> int:
        match = re.search(r"/postgresql/(\d+)/", path)
        return int(match.group(1)) if match else 0

    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=major)
    if not candidates:
        raise PostgresToolError(
            f"PostgreSQL's `{name}` is not installed: install the client tools of your "
            "server's version (Debian: apt-get install postgresql-client)"
        )
    return candidates[-1]


def libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection URI for the tools (no password in it) and the environment that
    carries the password."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = URL.create(
        "postgresql",
        username=parsed.username,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
        query=parsed.query,
    )
    return plain.render_as_string(hide_password=False), env


def _run(args: list[str], env: dict[str, str], what: str) -> subprocess.CompletedProcess[bytes]:
    done = subprocess.run(args, env=env, capture_output=True, check=False)
    if done.returncode != 0:
        raise PostgresToolError(f"{what} failed: {_tail(done.stderr)}")
    return done


def _tail(stderr: bytes) -> str:
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    return "\n".join(lines[-6:]) or "no message"


@contextmanager
def _snapshot(url: str) -> Iterator[tuple[Connection, str]]:
    """A read-only REPEATABLE READ transaction and the id of its exported snapshot."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect().execution_options(
            isolation_level="REPEATABLE READ", postgresql_readonly=True
        ) as connection:
            snapshot = str(connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one())
            yield connection, snapshot
            connection.rollback()
    finally:
        engine.dispose()


def dump(
    url: str, partial: Path, *, on_progress: Callable[[int, int], None] | None = None
) -> tuple[str, str, int, int]:
    """``pg_dump`` the database at ``url`` into ``partial`` (which exists, 0600); (fingerprint,
    journal id, journal seq, audit events) read from the dump's own snapshot."""
    conninfo, env = libpq(url)
    with _snapshot(url) as (connection, snapshot):
        row = connection.execute(
            text("SELECT fingerprint, journal_id, journal_seq FROM key_check WHERE id = 1")
        ).first()
        if row is None:
            raise PostgresToolError("the database has no key check value; open it once first")
        events = int(connection.execute(text("SELECT count(*) FROM audit_events")).scalar_one())
        tables = int(
            connection.execute(
                text("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()")
            ).scalar_one()
        )
        args = [tool("pg_dump"), "--format=custom", f"--snapshot={snapshot}", "--verbose"]
        args += [f"--file={partial}", f"--dbname={conninfo}"]
        process = subprocess.Popen(args, env=env, stderr=subprocess.PIPE)
        assert process.stderr is not None
        done, last = 0, list[bytes]()
        for line in process.stderr:  # --verbose: one line per table it dumps
            last = [*last[-5:], line]
            if b"dumping contents of table" in line:
                done += 1
                if on_progress is not None:
                    on_progress(min(done, tables), tables)
        if process.wait() != 0:
            raise PostgresToolError(f"pg_dump failed: {_tail(b''.join(last))}")
    return str(row[0]), str(row[1]), int(row[2]), events


def describe(dump_file: Path) -> tuple[str, str, int]:
    """(fingerprint, journal id, journal seq) of a dump, read back from it with
    ``pg_restore``: it also proves the archive is whole enough to list and read."""
    env = dict(os.environ)
    restore = tool("pg_restore")
    _run([restore, "--list", str(dump_file)], env, f"reading {dump_file}")
    data = _run(
        [restore, "--data-only", "--table=key_check", "--file=-", str(dump_file)],
        env,
        f"reading the key check of {dump_file}",
    ).stdout.decode("utf-8")
    match = re.search(r"^COPY \S*key_check \(([^)]*)\) FROM stdin;\n(.*)$", data, re.MULTILINE)
    if match is None:
        raise PostgresToolError(f"{dump_file} holds no facegate key check value")
    columns = [c.strip().strip('"') for c in match.group(1).split(",")]
    values = dict(zip(columns, match.group(2).split("\t"), strict=False))
    try:
        return values["fingerprint"], values["journal_id"], int(values["journal_seq"])
    except (KeyError, ValueError) as exc:
        raise PostgresToolError(f"{dump_file}'s key check row is unreadable") from exc


def _refuse_other_sessions(connection: Connection) -> None:
    """A restore replaces what every connected process reads: a facegate host still running
    would keep serving (and indexing) the replaced database. Refuse while anyone else is
    connected, and say from where. A connection closed a moment ago (this process's own Gate)
    may still be listed while its server process exits: it is given ``SETTLE`` seconds."""
    deadline = time.monotonic() + SETTLE
    while True:
        others = connection.execute(
            text(
                "SELECT coalesce(host(client_addr), 'local socket'), usename "
                "FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
            )
        ).all()
        connection.rollback()  # the next look sees the activity as it is then
        if not others or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    if others:
        where = ", ".join(sorted({f"{user}@{addr}" for addr, user in others}))
        raise PostgresToolError(
            f"{len(others)} other connection(s) to the database ({where}): stop facegate "
            "serve, edge and every other client on every host first, then restore"
        )


def _drop_everything(url: str) -> str:
    """SQL that drops every table, sequence and enum type of the database's schema (what the
    dump recreates, and whatever a newer migration added), once nobody else is connected."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            _refuse_other_sessions(connection)
            tables = connection.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            ).scalars()
            statements = [f'DROP TABLE IF EXISTS "{t}" CASCADE;' for t in tables]
            sequences = connection.execute(
                text(
                    "SELECT sequence_name FROM information_schema.sequences "
                    "WHERE sequence_schema = current_schema()"
                )
            ).scalars()
            statements += [f'DROP SEQUENCE IF EXISTS "{s}" CASCADE;' for s in sequences]
            types = connection.execute(
                text(
                    "SELECT t.typname FROM pg_type t JOIN pg_namespace n "
                    "ON n.oid = t.typnamespace WHERE t.typtype = 'e' "
                    "AND n.nspname = current_schema()"
                )
            ).scalars()
            statements += [f'DROP TYPE IF EXISTS "{t}" CASCADE;' for t in types]
    finally:
        engine.dispose()
    return "\n".join(statements) + "\n"


def grantees_in(dump_file: Path) -> list[str]:
    """The roles the dump's privileges (GRANTs, default privileges) name, sorted: read from
    its schema as ``pg_restore`` writes it (no data is read)."""
    schema = _run(
        [tool("pg_restore"), "--schema-only", "--file=-", str(dump_file)],
        dict(os.environ),
        f"reading the grants of {dump_file}",
    ).stdout.decode("utf-8", "replace")
    granted = re.compile(
        r"^(?:ALTER DEFAULT PRIVILEGES .*)?GRANT .* TO (.+?)( WITH GRANT OPTION)?;$", re.MULTILINE
    )
    roles = {
        role.strip().strip('"')
        for match in granted.finditer(schema)
        for role in match.group(1).split(",")
    }
    return sorted(roles)


def put_back(url: str, dump_file: Path, kept: Path, *, grants: bool = False) -> list[str]:
    """Keep the database at ``url`` as the dump ``kept`` (0600), then replace its content
    by ``dump_file``'s in one transaction. The dump's privileges (GRANTs) are left out
    unless ``grants``: they name roles of the server it was taken on, and one role missing
    here would roll the whole restore back (the database's own default privileges still apply
    to the tables it creates). Returns the roles whose grants were left out (none with
    ``grants``)."""
    left_out = [] if grants else grantees_in(dump_file)
    drop = _drop_everything(url)  # refused first if another process is connected
    fd = os.open(kept, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    dump(url, kept)
    conninfo, env = libpq(url)
    prelude = "BEGIN;\nSET LOCAL client_min_messages = warning;\n" + drop
    stdin_to = ["--file=-", f"--dbname={conninfo}"]
    acl = [] if grants else ["--no-acl"]
    with tempfile.TemporaryFile() as script_errors, tempfile.TemporaryFile() as psql_errors:
        script = subprocess.Popen(
            [tool("pg_restore"), "--no-owner", *acl, "--file=-", str(dump_file)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=script_errors,
        )
        psql = subprocess.Popen(
            [tool("psql"), "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=on", *stdin_to],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=psql_errors,
        )
        assert script.stdout is not None and psql.stdin is not None
        failed = b""
        try:
            psql.stdin.write(prelude.encode("utf-8"))
            shutil.copyfileobj(script.stdout, psql.stdin)
            if script.wait() != 0:
                script_errors.seek(0)
                failed = b"pg_restore: " + script_errors.read()
            else:  # no COMMIT after a failure: psql ends and the server rolls back
                psql.stdin.write(b"COMMIT;\n")
            psql.stdin.close()
        except BrokenPipeError:  # psql stopped at an error
            script.kill()
            script.wait()
        code = psql.wait()
        psql_errors.seek(0)
        failed = failed or (psql_errors.read() if code != 0 else b"")
    if failed:
        raise PostgresToolError(
            f"the restore was rolled back, the database is unchanged: {_tail(failed)}"
        )
    return left_out
