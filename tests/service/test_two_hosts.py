"""Two hosts on one database (docs/operations.md, "Several hosts on one database"): each has its
own data directory (its own copy of the master key, its own deletion journal), the database is
shared. A host with another master key is refused before it reads or writes anything; each
host's deletion journal stays whole, and after the database is restored from an older copy,
every host re-applies the deletions it journalled (PIPL art. 47; Measures art. 8): `facegate
backup` and `restore` through either host, on SQLite and on PostgreSQL."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from facegate.config import Settings
from facegate.engine import FaceEngine
from facegate.service import Gate, maintenance
from facegate.store.errors import MasterKeyMismatch, MasterKeyMissing
from facegate.store.journal import DeletionJournal
from facegate.store.keys import write_new_key_file
from raw_sql import raw_rows
from sites import CONSENT, Clock, make_site

pytestmark = pytest.mark.both_databases


@pytest.fixture
def shared_url(database_backend: str, database_url: str, tmp_path: Path) -> str:
    """The one database of both hosts: on SQLite a file outside either data directory."""
    return database_url or f"sqlite:///{tmp_path / 'shared.db'}"


@pytest.fixture
def host(
    tmp_path: Path, shared_url: str, clock: Clock, engine: FaceEngine
) -> Iterator[Callable[..., Gate]]:
    opened: list[Gate] = []

    def open_host(name: str, **options: object) -> Gate:
        where = settings(tmp_path, name, shared_url)
        gate = Gate.open(where, clock=clock, engine=engine, **options)  # type: ignore[arg-type]
        opened.append(gate)
        return gate

    yield open_host
    for gate in opened:
        gate.close()


def copy_key(tmp_path: Path, source: str, target: str) -> None:
    """The master key given to a second host (a copy of the file; or FACEGATE_MASTER_KEY)."""
    (tmp_path / target).mkdir(mode=0o700)
    shutil.copy2(tmp_path / source / "master.key", tmp_path / target / "master.key")


def settings(tmp_path: Path, name: str, shared_url: str) -> Settings:
    """What the operator's commands on that host read: its data directory, the URL."""
    return Settings(data_dir=tmp_path / name, database_url=shared_url)


def audit_length(gate: Gate) -> int:
    return int(raw_rows(gate.ctx.db, "SELECT count(*) FROM audit_events")[0][0])


def test_a_host_with_another_master_key_or_none_is_refused_before_it_writes(
    host: Callable[..., Gate], tmp_path: Path
) -> None:
    first = host("a", create=True)
    first.register_subject(date_of_birth=None, identity={"name": "A"})
    before = audit_length(first)

    with pytest.raises(MasterKeyMissing):  # a new host without the key: never a new key
        host("b", create=True)
    (tmp_path / "c").mkdir(mode=0o700)
    write_new_key_file(tmp_path / "c" / "master.key")
    with pytest.raises(MasterKeyMismatch) as refused:
        host("c", create=True)
    assert refused.value.code == "master_key_mismatch"
    assert audit_length(first) == before


def test_each_hosts_deletion_journal_stays_whole_and_is_replayed_after_a_restore(
    host: Callable[..., Gate],
    tmp_path: Path,
    shared_url: str,
) -> None:
    a = host("a", create=True)
    site = make_site(a)
    copy_key(tmp_path, "a", "b")
    b = host("b", create=True)
    # The second host's journal is registered beside the first's, once, and said so.
    assert [str(n) for n in b.notices if "journal" in str(n)] == [
        f"the deletion journal {tmp_path / 'b' / 'deletions.journal'} is registered with this "
        "database beside the journal of the host that created it: keep every host's journal "
        "(after a restore, each host re-applies the deletions it journalled)"
    ], b.notices
    people = [
        a.register_subject(date_of_birth=date(1980, 1, n), identity={"name": f"P{n}"}).id
        for n in range(1, 6)
    ]
    for person in people:
        a.record_consent(person, site.deployment_id, CONSENT)

    # `facegate backup` of the shared database through the second host, while both run.
    maintenance.backup(settings(tmp_path, "b", shared_url), tmp_path / "backup")

    # Deletions through both hosts, interleaved.
    a.delete_subject(people[0], actor="dpo:a")
    b.delete_subject(people[1], actor="dpo:b")
    a.withdraw_consent(people[2], site.deployment_id, actor="dpo:a")
    b.delete_subject(people[3], actor="dpo:b")
    for name in ("a", "b"):
        state = DeletionJournal(tmp_path / name / "deletions.journal").read()
        assert state.problem == "", (name, state.problem)
        assert [int(e["seq"]) for e in state.entries] == [1, 2], name

    # Every host stopped, `facegate restore` through the second host: it re-applies its own
    # deletions at once, the first host its own when it next opens the database.
    a.close()
    b.close()
    restored, notices = maintenance.restore(
        settings(tmp_path, "b", shared_url), tmp_path / "backup"
    )
    assert restored["audit_chain_ok"] is True
    assert any("re-applied 2 deletion(s)" in str(n) for n in notices), notices
    b = host("b")
    assert not any("re-applied" in str(n) for n in b.notices), b.notices
    a = host("a")
    assert any("re-applied 2 deletion(s)" in str(n) for n in a.notices), a.notices
    assert not [n for n in notices + a.notices + b.notices if "another deletion journal" in str(n)]
    for gate in (a, b):
        for erased in (people[0], people[1], people[3]):
            assert gate.subject_report(erased)["deleted"] is True
        assert gate.subject_report(people[4])["held"] is True
        assert gate.verify_audit().ok
    consents = raw_rows(
        a.ctx.db, "SELECT withdrawn_at FROM consents WHERE subject_id = ?", people[2]
    )
    assert consents and all(row[0] is not None for row in consents)

    # Replayed once: neither host re-applies anything at its next start.
    a.close()
    b.close()
    again = [host("a"), host("b")]
    assert not [n for gate in again for n in gate.notices if "re-applied" in str(n)]
