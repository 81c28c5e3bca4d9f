"""Four processes enrolling and verifying at once against one store lose no writes: on SQLite
and on PostgreSQL.

Each worker does a fixed number of rounds (not a time window), so a loaded machine makes the
test slower, never weaker: every round must land."""

from __future__ import annotations

import multiprocessing
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from facegate.config import Settings
from facegate.service import Gate
from facegate.store import models as m
from sites import CONSENT, make_site

WORKERS = 4
ROUNDS = 6
PHOTOS = ("obama_1.jpg", "obama_2.jpg", "obama_3.jpg", "obama_rgba.png")


def work(
    data_dir: str, database_url: str, fixtures: str, worker: int, rounds: int
) -> dict[str, object]:
    gate = Gate.open(Settings(data_dir=Path(data_dir), database_url=database_url))
    errors: list[str] = []
    enrolled = verified = 0
    try:
        site = make_site(gate, name=f"Gate {worker}")
        person = gate.register_subject(date_of_birth=date(1970, 1, 1)).id
        gate.record_consent(person, site.deployment_id, CONSENT)
        images = [(Path(fixtures) / name).read_bytes() for name in PHOTOS]
        for n in range(rounds):
            try:
                gate.enrol(person, site.deployment_id, images[n % len(images)])
                enrolled += 1
                result = gate.verify(site.device_id, person, images[(n + 1) % len(images)])
                verified += int(result.matched)
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        gate.close()
    return {"enrolled": enrolled, "verified": verified, "errors": errors}


@pytest.mark.both_databases
def test_four_processes_lose_no_writes(tmp_path: Path, database_url: str, fixtures: Path) -> None:
    data_dir = tmp_path / "data"
    settings = Settings(data_dir=data_dir, database_url=database_url)
    Gate.open(settings, create=True).close()
    context = multiprocessing.get_context("spawn")
    with context.Pool(WORKERS) as pool:
        results = pool.starmap(
            work,
            [(str(data_dir), database_url, str(fixtures), w, ROUNDS) for w in range(WORKERS)],
        )
    errors = [e for r in results for e in r["errors"]]  # type: ignore[attr-defined]
    assert errors == []
    enrolled = sum(int(r["enrolled"]) for r in results)  # type: ignore[call-overload]
    verified = sum(int(r["verified"]) for r in results)  # type: ignore[call-overload]
    assert enrolled == WORKERS * ROUNDS, "every round of every worker lands"
    gate = Gate.open(settings)
    try:
        with gate.ctx.db.transaction(readonly=True) as session:
            templates = session.scalar(select(func.count()).select_from(m.Template))
            enrol_events, verify_events = (
                session.scalar(
                    select(func.count())
                    .select_from(m.AuditEvent)
                    .where(m.AuditEvent.action == action)
                )
                for action in ("enrol", "verify")
            )
        assert templates == enrolled
        assert enrol_events == enrolled
        assert verify_events == enrolled  # every verify, matched or not, is audited
        assert verified == enrolled
        assert gate.verify_audit().ok
    finally:
        gate.close()
