"""Shared fixtures: the real face engine, the fixture photos (see fixtures/README.md) and the
database each test runs on.

``database_url`` is the store of a test: ``""`` (SQLite in the test's data directory, the
default) or a fresh PostgreSQL database on the session's throwaway cluster
(postgres_cluster.py). A test whose module, class or function is marked ``both_databases``
runs once on each; every other test runs on SQLite only (``FACEGATE_TEST_DATABASES=all``
runs every test that takes a database on both, for a full check of the PostgreSQL backend,
except those marked ``sqlite_only``: they check SQLite's own mechanics).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from facegate.engine import FaceEngine
from facegate.engine.liveness import PassiveLiveness
from postgres_cluster import PostgresCluster, PostgresUnavailable, opted_out

FIXTURES = Path(__file__).parent / "fixtures"


def pytest_configure(config: pytest.Config) -> None:
    """Convert dlib's models to ONNX once, into pytest's cache directory (kept between runs,
    never committed), unless FACEGATE_MODEL_CACHE already names a cache. Without the cache
    plugin (``-p no:cacheprovider``) they go to a temporary directory removed at the end of
    the run. Subprocesses that the tests start inherit it."""
    if "FACEGATE_MODEL_CACHE" in os.environ:
        return
    cache = getattr(config, "cache", None)  # absent under -p no:cacheprovider
    if cache is not None:
        os.environ["FACEGATE_MODEL_CACHE"] = str(cache.mkdir("facegate-models"))
        return
    directory = tempfile.mkdtemp(prefix="facegate-models-")
    os.environ["FACEGATE_MODEL_CACHE"] = directory

    def forget() -> None:
        os.environ.pop("FACEGATE_MODEL_CACHE", None)
        shutil.rmtree(directory, ignore_errors=True)

    config.add_cleanup(forget)


BACKENDS = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    chosen = any(
        "database_backend" in str(marker.args[0])
        for marker in metafunc.definition.iter_markers("parametrize")
    )
    if "database_backend" in metafunc.fixturenames and not chosen:
        both = metafunc.definition.get_closest_marker("both_databases") is not None
        both = both or os.environ.get("FACEGATE_TEST_DATABASES", "") == "all"
        both = both and metafunc.definition.get_closest_marker("sqlite_only") is None
        backends = BACKENDS if both else BACKENDS[:1]
        metafunc.parametrize("database_backend", backends, indirect=True, scope="module")


@pytest.fixture(scope="module")
def database_backend(request: pytest.FixtureRequest) -> str:
    """``sqlite`` or ``postgresql``; module-scoped, so that a module's shared Gate (the web
    tests' live server) can run on either."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """The session's PostgreSQL server, started on first use and stopped at the end. It
    failing to start is an error of the test that asked for it (``FACEGATE_TEST_POSTGRES=skip``
    skips them instead)."""
    if opted_out():
        pytest.skip("PostgreSQL variants switched off by FACEGATE_TEST_POSTGRES=skip")
    try:
        cluster = PostgresCluster.start()
    except PostgresUnavailable as exc:
        pytest.fail(f"the test PostgreSQL cluster did not start: {exc}", pytrace=False)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def postgres_template(postgres_cluster: PostgresCluster) -> str:
    """A database migrated to head once per session; each test gets a copy of it."""
    from facegate.store import Database

    url = postgres_cluster.create_database()
    db = Database(url)
    try:
        db.upgrade()
    finally:
        db.dispose()
    return url.rsplit("/", 1)[1]


def _one_database(database_backend: str, request: pytest.FixtureRequest) -> Iterator[str]:
    if database_backend == "sqlite":
        yield ""
        return
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    template: str = request.getfixturevalue("postgres_template")
    url = cluster.create_database(template=template)
    yield url
    cluster.drop_database(url)


@pytest.fixture
def database_url(database_backend: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """``""`` for SQLite (the data directory's file), else the URL of a new PostgreSQL
    database migrated to head (dropped after the test)."""
    yield from _one_database(database_backend, request)


@pytest.fixture(scope="module")
def module_database_url(database_backend: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """``database_url`` for a Gate shared by a module's tests (one database per module)."""
    yield from _one_database(database_backend, request)


@pytest.fixture(scope="module")
def new_database_url(
    database_backend: str, request: pytest.FixtureRequest
) -> Iterator[Callable[[], str]]:
    """A factory of ``database_url``s, one new database per call, for a test that opens
    several Gates (a control plane and its edge nodes each have a database of their own). The
    databases are dropped at the end of the module."""
    created: list[str] = []
    cluster: list[PostgresCluster] = []

    def new() -> str:
        if database_backend == "sqlite":
            return ""
        if not cluster:
            cluster.append(request.getfixturevalue("postgres_cluster"))
        template: str = request.getfixturevalue("postgres_template")
        created.append(cluster[0].create_database(template=template))
        return created[-1]

    yield new
    for url in created:
        cluster[0].drop_database(url)


@pytest.fixture
def cli_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """``database_url`` for a test of the command line, given the operator's way: in
    ``FACEGATE_DATABASE_URL`` for every command the test runs (in process with CliRunner, or
    as a subprocess), unset for SQLite in the data directory."""
    if database_url:
        monkeypatch.setenv("FACEGATE_DATABASE_URL", database_url)
    else:
        monkeypatch.delenv("FACEGATE_DATABASE_URL", raising=False)
    return database_url


@pytest.fixture
def empty_database_url(
    database_backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> str:
    """The URL of a database never migrated: a new SQLite file, or a new PostgreSQL
    database."""
    if database_backend == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    return cluster.create_database()


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def engine() -> FaceEngine:
    """dlib's real models (the default onnxruntime backend), loaded once per test session."""
    return FaceEngine()


@pytest.fixture(scope="session")
def liveness() -> PassiveLiveness:
    """The shipped passive liveness check (MiniFASNet pair on onnxruntime), loaded once."""
    return PassiveLiveness()


@pytest.fixture(scope="session")
def dlib_engine() -> FaceEngine:
    """The same models on dlib itself, the reference backend."""
    from facegate.engine import EngineConfig

    return FaceEngine(EngineConfig(backend="dlib"))
