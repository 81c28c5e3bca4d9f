"""The write paths at scale (issue 13): the retention sweep and bulk enrolment, each against the
per-template path it replaces, measured in the same run.

    python bench/scale_write.py [--sweep 100000] [--bulk 20000] [--baseline 1000]

* bulk enrolment: ``Gate.bulk_enrol`` of ``--bulk`` rows into one 1:1 deployment, against
  ``Gate.enrol`` one by one (``--baseline`` rows); also the rate of the bulk load that fills the
  sweep's deployment (``--sweep`` rows). Every row passes the law (consent, notice, PIPIA...).
* retention sweep: ``Gate.sweep`` (set-based chunks) of ``--sweep`` expired templates, against
  the per-template sweep it replaced (``legacy_sweep`` below, the code before issue 13) on
  ``--baseline`` expired templates: per-template costs compared.

The engine is excluded: ``StubEngine`` hands back a given embedding (128-d unit vectors drawn
at random), and the deployment's liveness is off. People and their consents are written in
bulk (one consent recorded through the Gate, cloned row by row with Core inserts), since
registering 100k people is not what is measured. Wall seconds, CPU seconds of this process
(SQLite runs in it) and the load average; the ratios compare per-template costs.

``bench/scale.py`` imports ``run`` and prints these rows with its own.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import numpy as np
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from facegate import law
from facegate.config import Settings
from facegate.engine import FaceEngine
from facegate.engine.dlib_models import ResNetEmbedder
from facegate.engine.types import Box, Embedding, Face, FaceEmbedding, Landmarks, Quality
from facegate.service import Gate
from facegate.service.bulk import BulkRow
from facegate.service.context import GateContext, record
from facegate.service.individuals import note_removed_pairs
from facegate.store import models as m
from sites import CONSENT, Site, make_site

DIM = 128
START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


class StubEngine:
    """The engine replaced by one that returns the embedding it is given (the 'photo' is the
    row's index): no face work is measured."""

    model_id = ResNetEmbedder.model_id
    model_version = f"{ResNetEmbedder.model_id}; stub"
    threshold = 0.6

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = vectors
        box = Box(10, 10, 110, 110)
        quality = Quality(40.0, 100, 100.0, 120.0, 0.0, 0.0)
        self.face = Face(box, Landmarks(()), quality, 1.0, "stub")

    def load(self, image: object) -> object:
        return image

    def single_face(self, image: object, require_quality: bool = True) -> FaceEmbedding:
        vector = self.vectors[cast(int, image)]
        return FaceEmbedding(self.face, Embedding(vector, self.model_id))


def unit_vectors(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(n, DIM)).astype(np.float32)
    return values / np.linalg.norm(values, axis=1, keepdims=True)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Bed:
    gate: Gate
    site: Site
    clock: Clock
    people: list[str]
    vectors: np.ndarray


@contextmanager
def bed(n: int, *, seed: int, retention_days: int = 365) -> Iterator[Bed]:
    """A fresh data directory: one active 1:N deployment (liveness off), ``n`` people with a
    standing consent, ``n`` embeddings for them."""
    vectors = unit_vectors(n, seed)
    clock = Clock()
    with tempfile.TemporaryDirectory(prefix="facegate-bench-") as tmp:
        gate = Gate.open(
            Settings(data_dir=Path(tmp) / "data"),
            create=True,
            clock=clock,
            engine=cast(FaceEngine, StubEngine(vectors)),
        )
        try:
            # 1:1 (card + face): dlib's model cannot hold a 1:N error target beyond a few
            # dozen people, and the law's accuracy check refuses such a gallery.
            site = make_site(
                gate, retention_days=retention_days, liveness="off", method="verify",
                why_not_verify="",
            )  # fmt: skip
            people = add_people(gate, site, n)
            yield Bed(gate, site, clock, people, vectors)
        finally:
            gate.close()


def add_people(gate: Gate, site: Site, n: int) -> list[str]:
    """``n`` adults with a standing consent: the first through the Gate, the rest cloned from
    it with Core inserts (setting up, not measured)."""
    first = gate.register_subject(date_of_birth=date(1980, 1, 1))
    consent = gate.record_consent(first.id, site.deployment_id, CONSENT)
    people = [first.id] + [m.new_id() for _ in range(n - 1)]
    columns = {c.key: getattr(consent, c.key) for c in m.Consent.__table__.columns if c.key != "id"}
    with gate.ctx.db.transaction() as session:
        for start in range(1, n, 5000):
            part = people[start : start + 5000]
            session.execute(
                insert(m.Subject),
                [{"id": p, "date_of_birth": date(1980, 1, 1), "created_at": START} for p in part],
            )
            session.execute(
                insert(m.Consent),
                [{**columns, "id": m.new_id(), "subject_id": p} for p in part],
            )
    return people


@dataclass(frozen=True)
class Measured:
    what: str
    n: int
    wall: float
    cpu: float

    @property
    def per_second(self) -> float:
        return self.n / self.wall if self.wall else float("inf")

    @property
    def ms_each(self) -> float:
        return 1000 * self.wall / self.n if self.n else 0.0


def measure(what: str, n: int, call: Callable[[], Any]) -> Measured:
    cpu, wall = time.process_time(), time.perf_counter()
    call()
    return Measured(what, n, time.perf_counter() - wall, time.process_time() - cpu)


# -- bulk enrolment ---------------------------------------------------------------------------


def bench_bulk(n: int, *, seed: int = 1) -> Measured:
    with bed(n, seed=seed) as b:
        rows = [BulkRow(p, b.vectors[i]) for i, p in enumerate(b.people)]
        result: list[Any] = []
        m_ = measure(
            "bulk_enrol", n, lambda: result.append(b.gate.bulk_enrol(b.site.deployment_id, rows))
        )
        assert result[0].enrolled == n, result[0].refused[:3]
        return m_


def bench_single(n: int, *, seed: int = 2) -> Measured:
    with bed(n, seed=seed) as b:

        def enrol_each() -> None:
            for i, person in enumerate(b.people):
                b.gate.enrol(person, b.site.deployment_id, cast(Any, i))

        return measure("enrol, one by one", n, enrol_each)


# -- the retention sweep ----------------------------------------------------------------------


def expiring_bed(n: int, seed: int) -> Any:
    """A bed whose ``n`` templates (enrolled in bulk) have expired; the fill is measured too."""

    @contextmanager
    def made() -> Iterator[tuple[Bed, Measured]]:
        with bed(n, seed=seed, retention_days=1) as b:
            rows = [BulkRow(p, b.vectors[i]) for i, p in enumerate(b.people)]
            fill = measure(
                "bulk_enrol (sweep's fill)",
                n,
                lambda: b.gate.bulk_enrol(b.site.deployment_id, rows, batch=2000),
            )
            b.clock.now += timedelta(days=2)
            yield b, fill

    return made()


def count_templates(gate: Gate) -> int:
    with gate.ctx.db.transaction(readonly=True) as session:
        return int(session.scalar(select(func.count()).select_from(m.Template)) or 0)


def bench_sweep(n: int, *, seed: int = 3) -> tuple[Measured, Measured]:
    with expiring_bed(n, seed) as (b, fill):
        reports: list[Any] = []
        swept = measure("sweep, set-based chunks", n, lambda: reports.append(b.gate.sweep()))
        assert reports[0].expired_templates == n and count_templates(b.gate) == 0
        return swept, fill


def bench_legacy_sweep(n: int, *, seed: int = 4) -> Measured:
    with expiring_bed(n, seed) as (b, _):
        swept = measure("sweep, per template (before)", n, lambda: legacy_sweep(b.gate.ctx))
        assert count_templates(b.gate) == 0
        return swept


def legacy_sweep(ctx: GateContext, *, actor: str = "system", batch: int = 500) -> int:
    """The expired-template loop of the sweep before issue 13 (ORM rows, one count and one key
    lookup per (subject, deployment), ``note_removed`` per subject): the baseline."""
    now = ctx.now()
    purged = 0
    while True:
        with ctx.unit() as session:
            rows = list(
                session.scalars(select(m.Template).where(m.Template.expires_at <= now).limit(batch))
            )
            if not rows:
                break
            pairs = {(row.subject_id, row.deployment_id) for row in rows}
            doomed: list[m.DataKey] = []
            for subject_id, deployment_id in pairs:
                remaining = session.scalar(
                    select(func.count())
                    .select_from(m.Template)
                    .where(
                        m.Template.subject_id == subject_id,
                        m.Template.deployment_id == deployment_id,
                        m.Template.expires_at > now,
                    )
                )
                if not remaining:
                    doomed.extend(
                        session.scalars(
                            select(m.DataKey).where(
                                m.DataKey.subject_id == subject_id,
                                m.DataKey.deployment_id == deployment_id,
                                m.DataKey.destroyed_at.is_(None),
                            )
                        )
                    )
            purged += ctx.vault.destroy_keys(session, doomed, rows)
            note_removed_pairs(session, pairs)
            record(
                ctx,
                session,
                actor=actor,
                action="retention.sweep",
                objects={"expired_templates": str(len(rows))},
                articles=law.rule("storage.retention_minimum").articles,
            )
        for row in rows:
            ctx.index.remove_template(row.id)
    return purged


# -- the table --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    metric: str
    goal: str
    measured: Measured
    baseline: Measured | None

    def cells(self) -> list[str]:
        m, base = self.measured, self.baseline
        cells = [
            self.metric,
            f"{m.n:,}",
            f"{m.wall:.2f}",
            f"{m.cpu:.2f}",
            f"{m.per_second:,.0f}/s",
            f"{m.n / m.cpu:,.0f}/s" if m.cpu else "",
            self.goal,
        ]
        if base is None:
            return [*cells, "", "", ""]
        return [
            *cells,
            f"{base.what}, n={base.n:,}: {1000 * base.cpu / base.n:.2f} ms CPU each",
            f"{(base.cpu / base.n) / (m.cpu / m.n):.0f}x",
            f"{base.ms_each / m.ms_each:.0f}x",
        ]


HEADERS = [
    "metric",
    "n",
    "wall s",
    "CPU s",
    "rate (wall)",
    "rate (CPU)",
    "goal",
    "baseline (same run)",
    "speed-up (CPU)",
    "speed-up (wall)",
]


def run(*, sweep: int = 100_000, bulk: int = 20_000, baseline: int = 1_000) -> list[Row]:
    """Measure everything; the rows of the table (``bench/scale.py`` prints them too)."""
    single = bench_single(baseline)
    bulk_m = bench_bulk(bulk)
    legacy = bench_legacy_sweep(baseline)
    swept, fill = bench_sweep(sweep)
    return [
        Row("bulk enrolment (engine excluded)", ">= 2,000/s", bulk_m, single),
        Row("bulk enrolment into the sweep's gallery", ">= 2,000/s", fill, single),
        Row(f"retention sweep of {sweep:,} expired", "<= 5 s", swept, legacy),
    ]


def table(rows: list[Row], title: str = "write paths at scale") -> Table:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    result = Table(title=f"{title} (load average {load}, {os.cpu_count()} cores)", width=200)
    for header in HEADERS:
        result.add_column(header)
    for row in rows:
        result.add_row(*row.cells())
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sweep", type=int, default=100_000, help="expired templates to sweep")
    parser.add_argument("--bulk", type=int, default=20_000, help="rows to bulk-enrol")
    parser.add_argument("--baseline", type=int, default=1_000, help="rows for the old paths")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    rows = run(sweep=args.sweep, bulk=args.bulk, baseline=args.baseline)
    console = Console(width=200)
    console.print(table(rows))
    console.print(f"load average before: {', '.join(f'{x:.1f}' for x in load_before)}")


if __name__ == "__main__":
    main()
