"""The gallery change log: every template added to or removed from a deployment's gallery, keyed
by the deployment's gallery version, written in the transaction that adds or removes it.

A writer calls ``log_added`` / ``log_removed`` (the vault does so in ``seal_template`` and
``destroy_keys``, so every path that stores or deletes a template through it is covered; a
set-based writer that bypasses the vault calls them itself with the ids it wrote). Each call bumps
``deployments.gallery_version`` by one with an ``UPDATE ... SET v = v + 1`` (so concurrent writers
on PostgreSQL serialise on the deployment's row instead of losing a bump) and writes one row per
template under the new version. ``log_reset`` records a change that is not a set of additions and
removals (e.g. expiries brought forward): readers reload that deployment.

A reader (another process, or a snapshot of the index) that holds version ``v`` asks
``changes_since(session, deployment_id, v, current)`` and applies only the delta; it gets None
when the log cannot tell (a gap: pruned entries, a database older than the log, a version that went
backwards after a restore, or a reset), and then reloads from the vault. Plain SQLAlchemy: the
same statements run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    bindparam,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key
from sqlalchemy.sql.elements import ColumnElement

from facegate.store import gallery_digest, snapshot_keys
from facegate.store.models import ID, Base, Deployment
from facegate.store.types import SEQUENCE, utc_now

ADD = "add"
REMOVE = "remove"
RESET = "reset"

_IN_CHUNK = 500  # ids per IN (...) clause


class GalleryChange(Base, kw_only=True):
    """One template added to or removed from a deployment's gallery at one gallery version (or a
    reset of the whole deployment, with no template). Ids only, never vectors."""

    __tablename__ = "gallery_changes"
    __table_args__ = (Index("ix_gallery_changes_deployment_version", "deployment_id", "version"),)

    seq: Mapped[int] = mapped_column(SEQUENCE, primary_key=True, autoincrement=True, init=False)
    deployment_id: Mapped[str] = mapped_column(ID, ForeignKey("deployments.id"))
    version: Mapped[int]
    op: Mapped[str] = mapped_column(String(8))
    template_id: Mapped[str | None] = mapped_column(ID, default=None)
    subject_id: Mapped[str | None] = mapped_column(ID, default=None)
    at: Mapped[datetime] = mapped_column(default_factory=utc_now)


@dataclass
class Delta:
    """What changed in a deployment's gallery between two versions: templates removed, and
    templates added (and not removed again since), in the order they were added."""

    since: int
    upto: int
    added: list[str] = field(default_factory=list)
    removed: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed)


def bump_version(
    session: Session, deployment_id: str, *, count: int = 0, digest: int = 0
) -> tuple[int, int]:
    """Increment the deployment's gallery version in this transaction; (before, after). ``count``
    templates joined (negative: left) the gallery, the XOR of whose id hashes is ``digest``
    (``facegate.store.gallery_digest``): the same statement keeps the gallery's count and digest.

    One ``UPDATE ... SET gallery_version = gallery_version + 1``: on PostgreSQL it takes the
    row's lock, so two writers never hand out the same version. The deployment object already
    in the session (if any) is told the new value."""
    d = _DEPLOYMENTS.c
    values: dict[str, Any] = {"gallery_version": d.gallery_version + 1}
    if count:
        values["gallery_count"] = d.gallery_count + count
    if digest:  # XOR, written (a | b) - (a & b): the same on SQLite and PostgreSQL
        values["gallery_digest"] = d.gallery_digest.bitwise_or(
            digest
        ) - d.gallery_digest.bitwise_and(digest)
    session.flush()
    after = (
        session.connection()
        .execute(
            update(_DEPLOYMENTS)
            .where(d.id == deployment_id)
            .values(**values)
            .returning(d.gallery_version)
        )
        .scalar()
    )
    if after is None:
        raise LookupError(f"no deployment {deployment_id}")
    held = session.identity_map.get(identity_key(Deployment, deployment_id))
    if held is not None:
        set_committed_value(held, "gallery_version", after)
        if count or digest:
            session.expire(held, ["gallery_count", "gallery_digest"])
    return after - 1, after


def _log(
    session: Session, deployment_id: str, op: str, templates: Iterable[tuple[str, str]]
) -> tuple[int, int]:
    entries = list(templates)
    if not entries:
        version = session.scalar(
            select(Deployment.gallery_version).where(Deployment.id == deployment_id)
        )
        return (version or 0), (version or 0)
    count = len(entries) if op == ADD else -len(entries)
    before, after = bump_version(
        session, deployment_id, count=count, digest=gallery_digest.digest(t for t, _ in entries)
    )
    if op == REMOVE:
        # A template left the gallery: no snapshot that still holds it may be opened again.
        snapshot_keys.destroy(session, deployment_id)
    _insert(session, deployment_id, after, op, entries)
    return before, after


_CHANGES = GalleryChange.metadata.tables[GalleryChange.__tablename__]
_DEPLOYMENTS = Deployment.metadata.tables[Deployment.__tablename__]
_FEW = 16  # entries written as plain rows (an enrolment's one): cheaper than building the JSON


def _insert(
    session: Session, deployment_id: str, version: int, op: str, entries: list[tuple[str, str]]
) -> None:
    """One ``INSERT ... SELECT`` for all the entries, their ids bound as two parameters (a
    JSON array unpacked by SQLite's ``json_each``, arrays by PostgreSQL's ``unnest``): a sweep's
    chunk of thousands of removals costs one statement, not one bound row each."""
    if len(entries) <= _FEW:
        at = utc_now()
        session.connection().execute(
            insert(_CHANGES),
            [
                {"deployment_id": deployment_id, "version": version, "op": op,
                 "template_id": t, "subject_id": s, "at": at}
                for t, s in entries
            ],
        )  # fmt: skip
        return
    template_ids = [t for t, _ in entries]
    subject_ids = [s for _, s in entries]
    template_id: ColumnElement[Any]
    subject_id: ColumnElement[Any]
    ordered: ColumnElement[Any] | None = None
    if session.get_bind().dialect.name == "postgresql":
        rows = (
            func.unnest(
                bindparam(None, template_ids, type_=ARRAY(String)),
                bindparam(None, subject_ids, type_=ARRAY(String)),
            )
            .table_valued("template_id", "subject_id")
            .render_derived()
        )
        template_id, subject_id = rows.c.template_id, rows.c.subject_id
    else:
        # One small JSON array per entry: each json_extract parses only its own pair.
        packed = json.dumps([list(entry) for entry in entries])
        rows = func.json_each(bindparam(None, packed, type_=String)).table_valued("key", "value")
        template_id = func.json_extract(rows.c.value, "$[0]")
        subject_id = func.json_extract(rows.c.value, "$[1]")
        ordered = rows.c.key
    chosen = select(
        literal(deployment_id, String),
        literal(version, Integer),
        literal(op, String),
        template_id,
        subject_id,
        literal(utc_now(), _CHANGES.c.at.type),
    ).select_from(rows)
    if ordered is not None:
        chosen = chosen.order_by(ordered)
    session.connection().execute(
        insert(_CHANGES).from_select(
            ["deployment_id", "version", "op", "template_id", "subject_id", "at"], chosen
        )
    )


def log_added(
    session: Session, deployment_id: str, templates: Iterable[tuple[str, str]]
) -> tuple[int, int]:
    """Record ``(template id, subject id)`` pairs added to the deployment's gallery, under one
    new gallery version; (version before, version after). Nothing to record: no bump."""
    return _log(session, deployment_id, ADD, templates)


def log_removed(
    session: Session, deployment_id: str, templates: Iterable[tuple[str, str]]
) -> tuple[int, int]:
    """Record ``(template id, subject id)`` pairs removed from the deployment's gallery (deleted,
    shredded, expired and swept), under one new gallery version, and destroy the keys of the
    deployment's index snapshots (which may hold them); (before, after)."""
    return _log(session, deployment_id, REMOVE, templates)


def log_reset(session: Session, deployment_id: str) -> tuple[int, int]:
    """Record a change readers cannot apply as a delta (expiries rewritten): they reload the
    deployment from the vault. (before, after)."""
    before, after = bump_version(session, deployment_id)
    session.add(GalleryChange(deployment_id=deployment_id, version=after, op=RESET))
    session.flush()
    return before, after


def current_version(session: Session, deployment_id: str) -> int:
    version = session.scalar(
        select(Deployment.gallery_version).where(Deployment.id == deployment_id)
    )
    return version or 0


def changes_since(session: Session, deployment_id: str, since: int, upto: int) -> Delta | None:
    """The delta from version ``since`` to ``upto`` (the deployment's current version, read in
    the same transaction), or None when the log cannot give it: reload from the vault then."""
    if since == upto:
        return Delta(since, upto)
    if since > upto:
        return None  # the database went back (a restore): the holder's state is not in it
    rows = session.execute(
        select(GalleryChange.version, GalleryChange.op, GalleryChange.template_id)
        .where(
            GalleryChange.deployment_id == deployment_id,
            GalleryChange.version > since,
            GalleryChange.version <= upto,
        )
        .order_by(GalleryChange.seq)
    ).all()
    if len({row.version for row in rows}) != upto - since:
        return None  # a gap: entries pruned, or changes made before the log existed
    delta = Delta(since, upto)
    added: dict[str, None] = {}
    for _, op, template_id in rows:
        if op == RESET or template_id is None:
            return None
        if op == ADD:
            added[template_id] = None
        else:
            delta.removed.add(template_id)
            added.pop(template_id, None)
    delta.added = list(added)
    return delta


def prune(session: Session, deployment_id: str, *, keep_after: int) -> int:
    """Delete the deployment's entries at versions up to ``keep_after`` (readers behind it reload
    from the vault); how many were deleted."""
    result = session.execute(
        delete(GalleryChange).where(
            GalleryChange.deployment_id == deployment_id, GalleryChange.version <= keep_after
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def chunks(ids: list[str], size: int = _IN_CHUNK) -> Iterable[list[str]]:
    """``ids`` in slices small enough for one ``IN (...)`` clause on any backend."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
