"""Crash consistency: a writer process killed with SIGKILL at a random point, then checks.

The writer is a child forked from the test process (everything is already imported, so a trial
costs milliseconds, not an interpreter start). It opens its own Gate on the shared data
directory and runs random use cases until it is killed: register a person with consent and
enrol them, verify, withdraw, erase, sweep expired templates. Its engine replays a real
embedding (computed once by the real model from a fixture photo) plus per-person noise, so
that people are distinct: the point here is the store, not recognition.

After each kill the checker opens the directory as the service would (which replays the
deletion journal) and verifies: SQLite's integrity check, the audit chain, no decryptable
template whose consent is gone, no erased person's identity, every template's enrolment
audited, and every destroyed key's templates gone.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import time
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import numpy as np
from sqlalchemy import select

from facegate.config import Settings
from facegate.engine import FaceEngine
from facegate.engine.types import Embedding, FaceEmbedding
from facegate.errors import FacegateError
from facegate.service import Gate
from facegate.store import models as m
from facegate.store.errors import TemplateUnreadable
from sites import CONSENT, Site, make_site

START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def select_ready(fd: int, timeout: float) -> None:
    """Wait until the writer says it is open (or it died, or the time is up)."""
    import select as io

    io.select([fd], [], [], timeout)


class RecordedEngine:
    """Answers like ``FaceEngine`` from a real recorded face, one vector per 'photo' (the
    photo's bytes name the person)."""

    def __init__(self, real: FaceEngine, face: FaceEmbedding) -> None:
        self.face = face
        self.model_id = real.model_id
        self.model_version = real.model_version
        self.threshold = real.threshold
        self.vectors: dict[bytes, Any] = {}

    def person(self, name: bytes, rng: random.Random) -> bytes:
        base = np.asarray(self.face.embedding.vector, dtype=np.float32)
        noise = np.array([rng.gauss(0, 0.15) for _ in range(base.size)], dtype=np.float32)
        self.vectors[name] = base + noise
        return name

    def single_face(self, image: object, require_quality: bool = True) -> FaceEmbedding:
        vector = self.vectors[cast(bytes, image)]
        return replace(self.face, embedding=Embedding(vector, self.model_id))

    def faces_with_embeddings(self, image: object) -> list[FaceEmbedding]:
        return [self.single_face(image)]


@dataclass
class Harness:
    data_dir: Path
    site: Site
    engine: RecordedEngine

    @classmethod
    def prepare(cls, data_dir: Path, real: FaceEngine, photo: Path) -> Harness:
        face = real.single_face(photo)
        gate = Gate.open(Settings(data_dir=data_dir), create=True, engine=real)
        site = make_site(gate, retention_days=1)
        gate.close()
        return cls(data_dir, site, RecordedEngine(real, face))

    # -- the writer --------------------------------------------------------------------------

    def write_forever(self, seed: int, ready: int) -> None:
        """In the child: random use cases until killed (a byte on ``ready`` once open)."""
        rng = random.Random(seed)
        clock_at = [START + timedelta(hours=seed % 1000)]

        def clock() -> datetime:
            clock_at[0] += timedelta(minutes=rng.randint(1, 180))
            return clock_at[0]

        gate = Gate.open(
            Settings(data_dir=self.data_dir), clock=clock, engine=cast(FaceEngine, self.engine)
        )
        deployment, device = self.site.deployment_id, self.site.device_id
        with gate.ctx.db.transaction(readonly=True) as session:
            people = sorted(
                set(
                    session.scalars(
                        select(m.Template.subject_id).where(m.Template.deployment_id == deployment)
                    )
                )
            )
        for person_id in people:
            self.engine.person(person_id.encode(), rng)
        os.write(ready, b"+")
        while True:
            roll = rng.random()
            try:
                if roll < 0.4 or not people:
                    person = gate.register_subject(
                        date_of_birth=date(1980, 1, 1), identity={"name": f"P{rng.random()}"}
                    )
                    gate.record_consent(person.id, deployment, CONSENT)
                    photo = self.engine.person(person.id.encode(), rng)
                    gate.enrol(person.id, deployment, photo)
                    people.append(person.id)
                elif roll < 0.6:
                    who = rng.choice(people)
                    gate.verify(device, who, who.encode())
                elif roll < 0.75:
                    gate.withdraw_consent(people.pop(rng.randrange(len(people))), deployment)
                elif roll < 0.85:
                    gate.delete_subject(people.pop(rng.randrange(len(people))))
                else:
                    gate.sweep()
            except FacegateError:
                pass  # a refusal (withdrawn, expired) is an outcome, not a crash

    def trial(self, seed: int, *, kill_within: float = 0.6) -> list[str]:
        """Fork a writer, SIGKILL it after a random time, check the directory."""
        delay = random.Random(seed).uniform(0.0, kill_within)
        readable, writable = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns into the test process
            try:
                os.close(readable)
                self.write_forever(seed, writable)
            finally:
                os._exit(0)
        os.close(writable)
        try:
            # Most kills land in the use cases; one in five while the writer is still opening.
            if seed % 5:
                select_ready(readable, 60.0)
            time.sleep(delay)
        finally:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(readable)
        return self.check()

    # -- the checks --------------------------------------------------------------------------

    def check(self) -> list[str]:
        """What is inconsistent (empty: nothing)."""
        problems: list[str] = []
        with sqlite3.connect(self.data_dir / "facegate.db") as raw:
            verdict = raw.execute("PRAGMA integrity_check").fetchone()[0]
        if verdict != "ok":
            problems.append(f"integrity: {verdict}")
        gate = Gate.open(Settings(data_dir=self.data_dir), engine=cast(FaceEngine, self.engine))
        try:
            audit = gate.verify_audit()
            if not audit.ok:
                problems.append(f"audit chain broken at {audit.broken_seq}: {audit.reason}")
            ctx = gate.ctx
            with ctx.db.transaction(readonly=True) as session:
                enrolled = {
                    e.object_ids().get("template")
                    for e in session.scalars(
                        select(m.AuditEvent).where(m.AuditEvent.action == "enrol")
                    )
                }
                erased = {
                    e.object_ids()["subject"]
                    for e in session.scalars(
                        select(m.AuditEvent).where(m.AuditEvent.action == "rights.delete")
                    )
                }
                for template in session.scalars(select(m.Template)):
                    if template.id not in enrolled:
                        problems.append(f"template {template.id} has no enrolment event")
                    try:
                        ctx.vault.open_template(session, template)
                    except TemplateUnreadable:
                        problems.append(f"template {template.id} stored with a destroyed key")
                        continue
                    live = session.scalar(
                        select(m.Consent.id).where(
                            m.Consent.subject_id == template.subject_id,
                            m.Consent.deployment_id == template.deployment_id,
                            m.Consent.scope == "processing",
                            m.Consent.withdrawn_at.is_(None),
                        )
                    )
                    if live is None:
                        problems.append(f"template {template.id} decrypts without a consent")
                for subject_id in erased:
                    if session.get(m.Identity, subject_id) is not None:
                        problems.append(f"erased subject {subject_id} still has an identity")
        finally:
            gate.close()
        return problems
