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
from facegate.engine.photo import Examination, PhotoRequest
from facegate.engine.types import Box, Embedding, Face, FaceEmbedding, Landmarks, Quality
from facegate.service import Gate, recognition
from facegate.service.bulk import BulkRow
from facegate.service.context import GateContext, record, require
from facegate.service.facts import deployment_facts
from facegate.service.individuals import note_removed_pairs, note_stored
from facegate.service.liveness import photo_request
from facegate.service.people import get_subject
from facegate.service.registry import get_deployment
from facegate.service.templates import note_own_change, sync_index
from facegate.store import models as m
from sites import CONSENT, Site, make_site

HERE = Path(__file__).resolve().parent
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

    def examine(self, source: object, request: object, *, liveness: object = None) -> Examination:
        return Examination((), (), (self.single_face(source),))


class RealEngine(StubEngine):
    """The real engine's whole photo work (decode, detect, landmarks, quality, embedding) on a
    fixture photo for every enrolment, as a gate does; the template stored is then the row's
    own vector, so that every enrolment is a different person."""

    def __init__(self, vectors: np.ndarray) -> None:
        super().__init__(vectors)
        self.real = FaceEngine()
        self.photo = (HERE.parent / "tests" / "fixtures" / "obama_1.jpg").read_bytes()

    def examine(self, source: object, request: object, *, liveness: object = None) -> Examination:
        seen = self.real.examine(self.photo, cast(PhotoRequest, request))
        vector = self.vectors[cast(int, source)]
        face = FaceEmbedding(seen.faces[0].face, Embedding(vector, self.model_id))
        return Examination(seen.located, seen.liveness, (face,))


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
    settings: Settings


@contextmanager
def bed(n: int, *, seed: int, retention_days: int = 365, database_url: str = "") -> Iterator[Bed]:
    """A fresh data directory: one active 1:N deployment (liveness off), ``n`` people with a
    standing consent, ``n`` embeddings for them."""
    vectors = unit_vectors(n, seed)
    clock = Clock()
    with tempfile.TemporaryDirectory(prefix="facegate-bench-") as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", database_url=database_url)
        gate = Gate.open(
            settings,
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
            yield Bed(gate, site, clock, people, vectors, settings)
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


def bench_bulk(n: int, *, seed: int = 1, database_url: str = "") -> Measured:
    with bed(n, seed=seed, database_url=database_url) as b:
        rows = [BulkRow(p, b.vectors[i]) for i, p in enumerate(b.people)]
        result: list[Any] = []
        m_ = measure(
            "bulk_enrol", n, lambda: result.append(b.gate.bulk_enrol(b.site.deployment_id, rows))
        )
        assert result[0].enrolled == n, result[0].refused[:3]
        return m_


def bench_single(n: int, *, seed: int = 2, database_url: str = "") -> Measured:
    with bed(n, seed=seed, database_url=database_url) as b:

        def enrol_each() -> None:
            for i, person in enumerate(b.people):
                b.gate.enrol(person, b.site.deployment_id, cast(Any, i))

        return measure("enrol, one by one", n, enrol_each)


# -- the retention sweep ----------------------------------------------------------------------


def expiring_bed(n: int, seed: int, database_url: str = "") -> Any:
    """A bed whose ``n`` templates (enrolled in bulk) have expired; the fill is measured too."""

    @contextmanager
    def made() -> Iterator[tuple[Bed, Measured]]:
        with bed(n, seed=seed, retention_days=1, database_url=database_url) as b:
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


def bench_sweep(n: int, *, seed: int = 3, database_url: str = "") -> tuple[Measured, Measured]:
    with expiring_bed(n, seed, database_url) as (b, fill):
        reports: list[Any] = []
        swept = measure("sweep, set-based chunks", n, lambda: reports.append(b.gate.sweep()))
        assert reports[0].expired_templates == n and count_templates(b.gate) == 0
        return swept, fill


def bench_legacy_sweep(n: int, *, seed: int = 4, database_url: str = "") -> Measured:
    with expiring_bed(n, seed, database_url) as (b, _):
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


# -- the serialised share of an enrolment -----------------------------------------------------


def legacy_enrol(
    ctx: GateContext, subject_id: str, deployment_id: str, image: Any, *, actor: str = "system"
) -> str:
    """``Gate.enrol`` as it was before the write path was split (issue 13): the law decided
    before the engine, then decided again, the data key unwrapped or made and the template
    sealed INSIDE the write transaction. The baseline of ``bench_serialised``."""
    objects = {"subject": subject_id, "deployment": deployment_id, "device": ""}

    def lawful(session: Any) -> m.Deployment:
        deployment = get_deployment(session, deployment_id)
        subject = get_subject(session, subject_id)
        decision = recognition._enrolment_decision(ctx, session, deployment, None, subject)
        require(decision, actor=actor, action="enrol", objects=objects)
        return deployment

    with ctx.unit(readonly=True) as session:
        deployment = lawful(session)
        facts = deployment_facts(deployment)
        sync_index(ctx, session, deployment, ctx.now())
    examined = ctx.examine(image, photo_request(ctx, facts))
    face = examined.faces[0]
    now = ctx.now()
    ctx.index.search(deployment_id, face.embedding.vector, threshold=0.6, at=now, k=1)
    with ctx.unit() as session:
        deployment = lawful(session)
        expires_at = law.template_expires_at(now, deployment.retention_days)
        template = ctx.vault.seal_template(
            session, subject_id, deployment_id, m.new_id(), face.embedding.vector,
            engine=ctx.engine.model_id, model_version=ctx.engine.model_version,
            expires_at=expires_at,
        )  # fmt: skip
        template.created_at = now
        note_stored(session, deployment.controller_id, subject_id, now)
        after = deployment.gallery_version
        record(
            ctx, session, actor=actor, action="enrol",
            objects={**objects, "template": template.id},
            articles=law.rule("consent.separate").articles,
        )  # fmt: skip
        template_id = template.id
    if note_own_change(ctx, deployment_id, after - 1, after):
        ctx.index.add(deployment_id, template_id, subject_id, face.embedding.vector, expires_at)
    return template_id


@dataclass(frozen=True)
class Serialised:
    backend: str
    what: str
    n: int
    cpu: float  # CPU seconds of the process, all enrolments
    locked_cpu: float  # of which inside write transactions
    wall: float
    locked_wall: float
    load: str

    def cells(self) -> list[str]:
        return [
            self.backend,
            self.what,
            f"{self.n}",
            f"{1000 * self.cpu / self.n:.2f}",
            f"{1000 * self.locked_cpu / self.n:.2f}",
            f"{100 * self.locked_cpu / self.cpu:.0f}%",
            f"{100 * self.locked_wall / self.wall:.0f}%",
            f"{min(2.0, self.cpu / self.locked_cpu):.2f}x",
            self.load,
        ]


def bench_serialised(n: int, *, database_url: str = "", rounds: int = 3) -> list[Serialised]:
    """One process, engine excluded: ``n`` enrolments through the old write path and ``n``
    through ``Gate.enrol``, interleaved in ``rounds``; CPU per enrolment and the share of it
    spent inside the write transaction (what a second writer process must wait for). The
    bound on 2 processes against 1 with 2 free cores is min(2, 1/s) for a share s."""
    backend = "PostgreSQL" if database_url else "SQLite"
    paths: dict[str, Callable[[Bed, str, int], Any]] = {
        "decided and sealed in the write (before)": lambda b, p, i: legacy_enrol(
            b.gate.ctx, p, b.site.deployment_id, cast(Any, i)
        ),
        "Gate.enrol (decided and sealed before the lock)": lambda b, p, i: b.gate.enrol(
            p, b.site.deployment_id, cast(Any, i)
        ),
    }
    totals = {what: [0.0, 0.0, 0.0, 0.0] for what in paths}
    per_round = max(1, n // rounds)
    with bed(2 * per_round * rounds + 2, seed=21, database_url=database_url) as b:
        people = iter(enumerate(b.people))
        for call in paths.values():  # warm up both (loads the gallery)
            i, person = next(people)
            call(b, person, i)
        times = b.gate.ctx.db.write_times
        for _ in range(rounds):
            for what, call in paths.items():
                cpu, wall = time.process_time(), time.perf_counter()
                locked_cpu, locked_wall = times.cpu, times.wall
                for _ in range(per_round):
                    i, person = next(people)
                    call(b, person, i)
                total = totals[what]
                total[0] += time.process_time() - cpu
                total[1] += times.cpu - locked_cpu
                total[2] += time.perf_counter() - wall
                total[3] += times.wall - locked_wall
    load = "/".join(f"{x:.1f}" for x in os.getloadavg())
    return [
        Serialised(backend, what, per_round * rounds, t[0], t[1], t[2], t[3], load)
        for what, t in totals.items()
    ]


def serialised_table(results: list[Serialised]) -> Table:
    table = Table(
        title="the serialised share of an enrolment, engine excluded (one process, same run)",
        width=200,
    )
    for header in (
        "database",
        "write path",
        "n",
        "ms CPU each",
        "ms CPU in the write transaction",
        "share (CPU)",
        "share (wall)",
        "bound, 2 processes / 1 (CPU share)",
        "load",
    ):
        table.add_column(header)
    for result in results:
        table.add_row(*result.cells())
    return table


# -- writer processes -------------------------------------------------------------------------


def _writer(
    settings: Settings, deployment_id: str, people: list[str], engine: str, queue: bool, seed: int
) -> tuple[float, float, float, float]:
    """One writer process: ``Gate.enrol`` of each of ``people`` (the first one not timed: it
    loads the gallery); (wall, CPU seconds, seconds holding the SQLite writer lock, CPU seconds
    inside write transactions) of the rest."""
    vectors = unit_vectors(len(people), seed)
    face_engine = RealEngine(vectors) if engine == "real" else StubEngine(vectors)
    gate = Gate.open(settings, clock=Clock(), engine=cast(FaceEngine, face_engine))
    writers = gate.ctx.db.writers
    if not queue:
        gate.ctx.db.writers = None  # SQLite's busy handler alone (the code before issue 13)
    try:
        gate.enrol(people[0], deployment_id, cast(Any, 0))
        held = writers.times()[1] if writers is not None else 0.0
        locked = gate.ctx.db.write_times.cpu
        wall, cpu = time.perf_counter(), time.process_time()
        for i, person in enumerate(people[1:], start=1):
            gate.enrol(person, deployment_id, cast(Any, i))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        held = writers.times()[1] - held if writers is not None and queue else float("nan")
        return wall, cpu, held, gate.ctx.db.write_times.cpu - locked
    finally:
        gate.close()


@dataclass(frozen=True)
class Writers:
    backend: str
    engine: str
    queue: bool
    count: int  # timed enrolments per process
    one: tuple[float, float, float, float]  # wall, CPU, lock held, CPU in writes: 1 alone
    two: list[tuple[float, float, float, float]]  # each of two processes at once
    load: str

    @property
    def rate_one(self) -> float:
        return self.count / self.one[0]

    @property
    def rate_two(self) -> float:
        return 2 * self.count / max(run[0] for run in self.two)

    def cells(self) -> list[str]:
        return [
            self.backend,
            "real (obama_1.jpg)" if self.engine == "real" else "excluded",
            ("advisory lock" if self.backend == "PostgreSQL" else "writer queue")
            if self.queue
            else "busy handler",
            f"{self.rate_one:.1f}/s ({1000 * self.one[1] / self.count:.1f} ms CPU each)",
            f"{self.rate_two:.1f}/s ({1000 * sum(r[1] for r in self.two) / (2 * self.count):.1f}"
            " ms CPU each)",
            "" if self.one[2] != self.one[2] else f"{100 * self.one[2] / self.one[0]:.0f}%",
            f"{100 * self.one[3] / self.one[1]:.0f}%",
            f"{self.rate_two / self.rate_one:.2f}x",
            self.load,
        ]


def bench_writers(
    count: int,
    *,
    engines: tuple[str, ...] = ("stub", "real"),
    queues: tuple[bool, ...] = (False, True),
    base: int = 2000,
    database_url: str = "",
) -> list[Writers]:
    """Enrolment throughput (``Gate.enrol``, every law check, vault, audit, change log) of two
    processes at once against one, on one deployment already holding ``base`` templates."""
    import multiprocessing

    runs = [(e, q) for e in engines for q in queues]
    per_run = 3 * (count + 1)
    backend = "PostgreSQL" if database_url else "SQLite"
    results = []
    with bed(base + per_run * len(runs), seed=11, database_url=database_url) as b:
        rows = [BulkRow(p, b.vectors[i]) for i, p in enumerate(b.people[:base])]
        b.gate.bulk_enrol(b.site.deployment_id, rows)
        settings = b.settings
        context = multiprocessing.get_context("spawn")
        people = iter(b.people[base:])

        def take() -> list[str]:
            return [next(people) for _ in range(count + 1)]

        for number, (engine, queue) in enumerate(runs):
            args = (settings, b.site.deployment_id)
            with context.Pool(1) as pool:
                [one] = pool.starmap(_writer, [(*args, take(), engine, queue, 100 + number)])
            with context.Pool(2) as pool:
                two = pool.starmap(
                    _writer, [(*args, take(), engine, queue, 200 + 2 * number + i) for i in (0, 1)]
                )
            load = "/".join(f"{x:.1f}" for x in os.getloadavg())
            results.append(Writers(backend, engine, queue, count, one, two, load))
            Console(width=200).print(" | ".join(results[-1].cells()))
    return results


def writers_table(results: list[Writers]) -> Table:
    table = Table(title="enrolment throughput, 2 writer processes against 1 (same run)", width=200)
    for header in (
        "database",
        "engine",
        "waiting",
        "1 process",
        "2 at once",
        "write lock held (1 process)",
        "CPU in write transactions (1 process)",
        "ratio",
        "load",
    ):
        table.add_column(header)
    for result in results:
        table.add_row(*result.cells())
    return table


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


def run(
    *,
    sweep: int = 100_000,
    bulk: int = 20_000,
    baseline: int = 1_000,
    parts: tuple[str, ...] = ("bulk", "sweep"),
    new_database: Callable[[], str] | None = None,
) -> list[Row]:
    """Measure everything; the rows of the table (``bench/scale.py`` prints them too). Each
    measurement on a new database from ``new_database`` (a URL: PostgreSQL) when given, else in
    a new SQLite data directory; the baselines on the same kind."""

    def url() -> str:
        return new_database() if new_database else ""

    rows = []
    on = " (PostgreSQL)" if new_database else ""
    if "bulk" in parts:
        single = bench_single(baseline, database_url=url())
        bulk_m = bench_bulk(bulk, database_url=url())
        rows.append(Row(f"bulk enrolment (engine excluded){on}", ">= 2,000/s", bulk_m, single))
    if "sweep" in parts:
        legacy = bench_legacy_sweep(baseline, database_url=url())
        swept, fill = bench_sweep(sweep, database_url=url())
        rows.append(Row(f"bulk enrolment into the sweep's gallery{on}", ">= 2,000/s", fill, None))
        rows.append(Row(f"retention sweep of {sweep:,} expired{on}", "<= 5 s", swept, legacy))
    return rows


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
    parser.add_argument(
        "--writers", type=int, default=100, help="timed enrolments per writer process"
    )
    parser.add_argument("--engines", default="stub,real", help="writers: stub (excluded), real")
    parser.add_argument(
        "--postgres", action="store_true", help="on a throwaway PostgreSQL cluster too"
    )
    parser.add_argument(
        "--serialised", type=int, default=300, help="enrolments per write path (serialised)"
    )
    parser.add_argument(
        "--only", default="bulk,sweep,serialised,writers", help="bulk, sweep, serialised, writers"
    )
    args = parser.parse_args(argv)
    only = set(args.only.split(","))
    load_before = os.getloadavg()
    console = Console(width=200)
    parts = tuple(part for part in ("bulk", "sweep") if part in only)
    if parts:
        rows = run(sweep=args.sweep, bulk=args.bulk, baseline=args.baseline, parts=parts)
        if args.postgres:
            from postgres_cluster import PostgresCluster

            cluster = PostgresCluster.start()
            try:
                rows += run(
                    sweep=args.sweep, bulk=args.bulk, baseline=args.baseline, parts=parts,
                    new_database=cluster.create_database,
                )  # fmt: skip
            finally:
                cluster.stop()
        console.print(table(rows))
    if "serialised" in only:
        shares = bench_serialised(args.serialised)
        console.print(serialised_table(shares))
        if args.postgres:
            from postgres_cluster import PostgresCluster

            cluster = PostgresCluster.start()
            try:
                shares += bench_serialised(args.serialised, database_url=cluster.create_database())
            finally:
                cluster.stop()
            console.print(serialised_table(shares))
    if "writers" in only:
        engines = tuple(args.engines.split(","))
        results = bench_writers(args.writers, engines=engines)
        if args.postgres:
            from postgres_cluster import PostgresCluster

            cluster = PostgresCluster.start()
            try:
                url = cluster.create_database()
                results += bench_writers(
                    args.writers, engines=engines, queues=(True,), database_url=url
                )
            finally:
                cluster.stop()
        console.print(writers_table(results))
    console.print(f"load average before: {', '.join(f'{x:.1f}' for x in load_before)}")


if __name__ == "__main__":
    main()
