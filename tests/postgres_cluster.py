"""A throwaway PostgreSQL cluster for the tests: ``initdb`` + ``pg_ctl`` in a temporary
directory, on a free port, stopped and deleted at the end of the session.

PostgreSQL refuses to run as root (CI runs as root): the cluster then belongs to an
unprivileged user (``nobody``) and its processes run as that user. The server listens on
127.0.0.1 only and its Unix socket lives in the temporary directory; authentication is
``trust`` for that one local user, the cluster dies with the test session.

Durability is switched off (``fsync``, ``synchronous_commit``, ``full_page_writes``): a test
cluster that loses its data to a power cut loses nothing.

``FACEGATE_TEST_POSTGRES_URL`` names an existing server to use instead (its user must be
allowed to create databases); ``FACEGATE_TEST_POSTGRES=skip`` opts out of the PostgreSQL
variants (they are skipped, with that reason). Without either, a cluster that cannot start is
an error of every PostgreSQL test, never a silent skip.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

URL_ENV = "FACEGATE_TEST_POSTGRES_URL"
OPT_OUT_ENV = "FACEGATE_TEST_POSTGRES"
SUPERUSER = "facegate"
UNPRIVILEGED = "nobody"
SETTINGS = (
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
    "max_connections=200",
    "shared_buffers=64MB",
)


class PostgresUnavailable(RuntimeError):
    pass


def opted_out() -> bool:
    return os.environ.get(OPT_OUT_ENV, "").strip().lower() in ("skip", "0", "off", "no")


def find_bin_dir() -> Path:
    """The directory of ``initdb`` and ``pg_ctl``: Debian keeps them out of PATH, under
    /usr/lib/postgresql/<major>/bin (the newest major wins)."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent

    def major(path: str) -> int:
        match = re.search(r"/postgresql/(\d+)/", path)
        return int(match.group(1)) if match else 0

    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=major)
    if not candidates:
        raise PostgresUnavailable(
            "PostgreSQL's server binaries (initdb, pg_ctl) are not installed: `make test` "
            "installs Debian's `postgresql`; or set "
            f"{OPT_OUT_ENV}=skip to run without the PostgreSQL variants"
        )
    return Path(candidates[-1]).parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresCluster:
    """A running server and the URL of its maintenance database."""

    url: str
    directory: Path | None = None
    bin_dir: Path | None = None
    user: str | None = None
    _created: list[str] = field(default_factory=list)

    @classmethod
    def start(cls) -> PostgresCluster:
        external = os.environ.get(URL_ENV, "").strip()
        if external:
            return cls(url=external)
        bin_dir = find_bin_dir()
        user = UNPRIVILEGED if os.geteuid() == 0 else None
        # Not under pytest's tmp_path: that lives in a 0700 directory of root's that the
        # unprivileged server could not enter.
        directory = Path(tempfile.mkdtemp(prefix="facegate-pg-"))
        data = directory / "data"
        data.mkdir()
        if user is not None:
            entry = pwd.getpwnam(user)
            for path in (directory, data):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        cluster = cls(url="", directory=directory, bin_dir=bin_dir, user=user)
        try:
            cluster._run(
                "initdb",
                "-D",
                str(data),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            )
            for attempt in range(3):
                port = free_port()
                options = " ".join(
                    [f"-p {port}", f"-k {directory}", "-c listen_addresses=127.0.0.1"]
                    + [f"-c {s}" for s in SETTINGS]
                )
                try:
                    cluster._run(
                        "pg_ctl",
                        "start",
                        "-w",
                        "-t",
                        "60",
                        "-D",
                        str(data),
                        "-l",
                        str(directory / "server.log"),
                        "-o",
                        options,
                    )
                    break
                except PostgresUnavailable:
                    if attempt == 2:
                        raise
            cluster.url = f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{port}/postgres"
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def _run(self, program: str, *args: str) -> None:
        assert self.bin_dir is not None
        try:
            subprocess.run(
                [str(self.bin_dir / program), *args],
                check=True,
                capture_output=True,
                text=True,
                timeout=120,
                cwd=self.directory,
                user=self.user,
                group=pwd.getpwnam(self.user).pw_gid if self.user else None,
                extra_groups=[] if self.user else None,
            )
        except subprocess.CalledProcessError as exc:
            log = ""
            if self.directory is not None and (self.directory / "server.log").exists():
                log = (self.directory / "server.log").read_text(errors="replace")[-2000:]
            raise PostgresUnavailable(
                f"{program} failed ({exc.returncode}): {exc.stderr.strip()}\n{log}"
            ) from exc
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PostgresUnavailable(f"{program} could not run: {exc}") from exc

    def create_database(self, template: str | None = None) -> str:
        """A new, empty database (a copy of ``template`` if given); its URL."""
        name = f"facegate_{uuid.uuid4().hex[:12]}"
        admin = create_engine(self.url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                suffix = f' TEMPLATE "{template}"' if template else ""
                version = int(connection.exec_driver_sql("SHOW server_version_num").scalar_one())
                if template and version >= 150000:
                    # A file copy, not a WAL-logged one: ~10x faster with fsync off.
                    suffix += " STRATEGY FILE_COPY"
                for attempt in range(5):
                    try:
                        connection.execute(text(f'CREATE DATABASE "{name}"{suffix}'))
                        break
                    except Exception:  # the template is briefly in use by another session
                        if attempt == 4:
                            raise
                        time.sleep(0.2)
        finally:
            admin.dispose()
        self._created.append(name)
        return make_url(self.url).set(database=name).render_as_string(hide_password=False)

    def copy_database(self, url: str) -> str:
        """A copy of the database at ``url`` (nobody may be connected to it): a backup; its
        URL."""
        return self.create_database(template=make_url(url).database)

    def put_back(self, copy_url: str, url: str) -> None:
        """Replace the database at ``url`` by a copy of ``copy_url``, under the same name: a
        restore (``pg_restore --clean``)."""
        name, copy = make_url(url).database, make_url(copy_url).database
        admin = create_engine(self.url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{copy}"'))
        finally:
            admin.dispose()

    def drop_database(self, url: str) -> None:
        name = make_url(url).database
        admin = create_engine(self.url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            admin.dispose()
        if name in self._created:
            self._created.remove(name)

    def stop(self) -> None:
        if self.directory is None:
            return
        data = self.directory / "data"
        if (data / "postmaster.pid").exists():
            with contextlib.suppress(PostgresUnavailable):
                self._run("pg_ctl", "stop", "-D", str(data), "-m", "immediate", "-w")
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory = None
