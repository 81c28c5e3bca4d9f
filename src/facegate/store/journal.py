"""The deletion journal: the fact of every deletion, kept outside the database file.

Crypto-shredding destroys a data key by overwriting its row; a copy of the database taken
before (a backup, a snapshot) still holds the key. So every transaction that destroys keys or
erases a person also appends an entry to this journal, kept beside the master key (not in the
data that a database restore brings back), and fsyncs it *before* the transaction commits.
The database records the seq of the last entry it committed (``key_check.journal_seq``). When
a database is opened whose recorded seq is behind the journal (an old backup was restored, or a
crash fell between the fsync and the commit), the entries after it are replayed: every key
destroyed since is destroyed again (``facegate.service.durability``).

Several hosts on one database (PostgreSQL) each keep their own journal, beside their own copy
of the master key: the first journal's position is ``key_check.journal_seq``, every other's a
row of ``deletion_journals`` (``recorded_position``/``record_position``), and each host replays
its own journal when it opens a restored database.

Format: JSON lines. The first line is a header naming the journal (a random id the database
is bound to); each entry holds ``seq``, ``at``, ``kind``, its facts (ids only: data keys,
templates, subjects, deployments, never identity or face data) and ``prev``/``hash``, the
SHA-256 chain of the entries, so that an edited or truncated journal is detected. A torn last
line (a crash in the middle of a write, before its transaction could commit) is cut off.

Appends are serialised by the database's write lock (the caller's transaction holds it: SQLite's
``BEGIN IMMEDIATE``, PostgreSQL's row lock on ``key_check``) and an exclusive ``flock``.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.orm import Session

from facegate.store.durability_models import DeletionJournalPosition, KeyCheck
from facegate.store.errors import JournalDamaged
from facegate.store.keys import fsync_path
from facegate.store.models import AuditHead
from facegate.store.types import utc_now

GENESIS = "0" * 64
TAIL_BYTES = 1 << 20  # more than any one entry (a sweep chunk: <= 5000 templates + keys)
HOOKS = "facegate_before_commit"
PENDING = "facegate_journal_pending"
KINDS = frozenset({"keys_destroyed", "subject_erased", "consent_withdrawn"})


def _digest(body: dict[str, Any]) -> str:
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class JournalState:
    journal_id: str
    entries: list[dict[str, Any]]
    last_seq: int
    last_hash: str
    valid_bytes: int
    problem: str  # "" when every line read is whole and chained
    torn: bool = False  # the problem is only a last line cut short by a crash
    problem_code: str = ""  # "empty_line", "torn" or "altered" (the problem, for a catalogue)


def before_commit(session: Session, hook: Callable[[Session], None]) -> None:
    """Run ``hook(session)`` just before the session's transaction commits (not on rollback).
    ``facegate.store.Database.transaction`` runs the hooks."""
    hooks: list[Callable[[Session], None]] = session.info.setdefault(HOOKS, [])
    if hook not in hooks:
        hooks.append(hook)


class DeletionJournal:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._journal_id = ""

    # -- reading -----------------------------------------------------------------------------

    def read(self) -> JournalState:
        """Every whole, chained entry. An unreadable header is ``JournalDamaged``; a torn or
        broken line ends the entries (``problem`` says which)."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return JournalState("", [], 0, GENESIS, 0, "")
        lines = raw.split(b"\n")
        try:
            header = json.loads(lines[0])
            journal_id = str(header["journal"])
        except (ValueError, KeyError, TypeError) as exc:
            raise JournalDamaged(f"the deletion journal {self.path} has no valid header") from exc
        offset = len(lines[0]) + 1
        entries: list[dict[str, Any]] = []
        last_seq, last_hash, problem, torn, code = 0, GENESIS, "", False, ""
        for index, line in enumerate(lines[1:], start=1):
            if not line:
                if index < len(lines) - 1:
                    problem, code = f"empty line after entry {last_seq}", "empty_line"
                break
            whole = index < len(lines) - 1  # a last line without its newline is torn
            try:
                entry = json.loads(line)
                body = {k: v for k, v in entry.items() if k != "hash"}
                sound = (
                    whole
                    and entry["seq"] == last_seq + 1
                    and entry["prev"] == last_hash
                    and _digest(body) == entry["hash"]
                )
            except (ValueError, KeyError, TypeError):
                sound = False
            if not sound:
                torn = not whole
                code = "torn" if torn else "altered"
                problem = (
                    f"torn entry after {last_seq}"
                    if not whole
                    else f"entry after {last_seq} is altered or out of order"
                )
                break
            entries.append(entry)
            last_seq, last_hash = int(entry["seq"]), str(entry["hash"])
            offset += len(line) + 1
        return JournalState(journal_id, entries, last_seq, last_hash, offset, problem, torn, code)

    def entries_after(self, seq: int) -> list[dict[str, Any]]:
        return [e for e in self.read().entries if int(e["seq"]) > seq]

    # -- writing -----------------------------------------------------------------------------

    def ensure(self) -> str:
        """The journal's id, creating the file (0600, header only) when missing."""
        state = self.read()
        if state.journal_id:
            return state.journal_id
        journal_id = secrets.token_hex(16)
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        header = json.dumps({"journal": journal_id, "created": utc_now().isoformat()})
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return self.read().journal_id
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(header + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        fsync_path(self.path.parent)
        return journal_id

    def note(self, session: Session, kind: str, **facts: Any) -> None:
        """Journal a deletion made in ``session``'s transaction: written and fsynced just
        before it commits, dropped if it rolls back."""
        if kind not in KINDS:
            raise ValueError(f"unknown journal entry kind {kind!r}")
        pending: list[dict[str, Any]] = session.info.setdefault(PENDING, [])
        pending.append({"kind": kind, **facts})
        before_commit(session, self._flush_pending)

    def _flush_pending(self, session: Session) -> None:
        pending: list[dict[str, Any]] = session.info.pop(PENDING, [])
        if not pending:
            return
        connection = session.connection()
        journal_id = self.journal_id()
        position = recorded_position(connection, journal_id)
        recorded = position or 0
        # The audit chain's head after this transaction: a restored database whose chain is
        # shorter has lost events, and the replay says how many.
        head = connection.execute(
            select(AuditHead.last_seq).where(AuditHead.id == 1)
        ).scalar_one_or_none()
        with self._locked() as handle:
            last_seq, last_hash = self._tail(handle)
            seq, prev = max(last_seq, recorded), last_hash
            lines = []
            for facts in pending:
                seq += 1
                body = {
                    "seq": seq,
                    "at": utc_now().isoformat(),
                    "audit_seq": int(head or 0),
                    "prev": prev,
                    **facts,
                }
                prev = _digest(body)
                lines.append(json.dumps({**body, "hash": prev}, sort_keys=True) + "\n")
            handle.seek(0, os.SEEK_END)
            handle.write("".join(lines).encode("ascii"))
            handle.flush()
            os.fsync(handle.fileno())
        if position is not None:
            record_position(connection, journal_id, seq)

    def journal_id(self) -> str:
        """The id in the journal's header (read once)."""
        if not self._journal_id:
            with self.path.open("rb") as handle:
                first = handle.readline()
            try:
                self._journal_id = str(json.loads(first)["journal"])
            except (ValueError, KeyError, TypeError) as exc:
                raise JournalDamaged(
                    f"the deletion journal {self.path} has no valid header"
                ) from exc
        return self._journal_id

    def _tail(self, handle: Any) -> tuple[int, str]:
        """(seq, hash) of the last whole entry, reading only the end of the file; a torn last
        line (a crash mid-write: its transaction never committed) is cut off. The whole chain
        is checked when the journal is replayed, not on every append."""
        size = handle.seek(0, os.SEEK_END)
        if size == 0:
            raise JournalDamaged(f"the deletion journal {self.path} is empty (no header)")
        chunk = min(size, TAIL_BYTES)
        handle.seek(size - chunk)
        tail = handle.read(chunk)
        if not tail.endswith(b"\n"):
            cut = tail.rfind(b"\n")
            if cut < 0:
                raise JournalDamaged(f"the deletion journal {self.path} has a torn header")
            handle.truncate(size - chunk + cut + 1)
            tail = tail[: cut + 1]
        lines = tail.rstrip(b"\n").split(b"\n")
        try:
            last = json.loads(lines[-1])
        except ValueError as exc:
            raise JournalDamaged(f"the deletion journal {self.path} ends in garbage") from exc
        if "journal" in last:  # only the header so far
            return 0, GENESIS
        try:
            body = {k: v for k, v in last.items() if k != "hash"}
            if _digest(body) != last["hash"]:
                raise JournalDamaged(f"the deletion journal {self.path}'s last entry is altered")
            return int(last["seq"]), str(last["hash"])
        except (KeyError, TypeError, ValueError) as exc:
            raise JournalDamaged(f"the deletion journal {self.path} ends in garbage") from exc

    @contextmanager
    def _locked(self) -> Iterator[Any]:
        fd = os.open(self.path, os.O_RDWR)
        with os.fdopen(fd, "r+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield handle
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def recorded_position(connection: Connection, journal_id: str) -> int | None:
    """The last entry of the journal ``journal_id`` that this database committed, its row locked
    until the transaction ends; ``None`` before the database has a key check row. The first
    journal bound to the database keeps its position in ``key_check``, another host's in
    ``deletion_journals`` (0 until it journals its first deletion here)."""
    check = connection.execute(
        select(KeyCheck.journal_id, KeyCheck.journal_seq).where(KeyCheck.id == 1).with_for_update()
    ).one_or_none()
    if check is None:
        return None
    if not check.journal_id or check.journal_id == journal_id:
        return int(check.journal_seq)
    seq = connection.execute(
        select(DeletionJournalPosition.journal_seq)
        .where(DeletionJournalPosition.journal_id == journal_id)
        .with_for_update()
    ).scalar_one_or_none()
    return int(seq) if seq is not None else 0


def record_position(connection: Connection, journal_id: str, seq: int) -> None:
    """Record that this database committed the journal's entries up to ``seq``."""
    bound = connection.execute(
        select(KeyCheck.journal_id).where(KeyCheck.id == 1)
    ).scalar_one_or_none()
    if bound is None:
        return
    if not bound or bound == journal_id:
        connection.execute(update(KeyCheck).where(KeyCheck.id == 1).values(journal_seq=seq))
        return
    moved = connection.execute(
        update(DeletionJournalPosition)
        .where(DeletionJournalPosition.journal_id == journal_id)
        .values(journal_seq=seq)
    )
    if not moved.rowcount:
        connection.execute(
            insert(DeletionJournalPosition).values(
                journal_id=journal_id, journal_seq=seq, registered_at=utc_now()
            )
        )
