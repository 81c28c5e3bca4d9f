"""The store rows of ``bench/scale.py``: cold start (vault and snapshot), deltas, two writers.

A real data directory (SQLite, the master key, the vault) is filled with sealed templates the way
the vault seals them (one data key per subject, AES-GCM), written with set-based inserts so that
filling 1M takes minutes, and logged in the gallery change log. The engine is a stub that only
names the model: no face is embedded here.
"""

from __future__ import annotations

import multiprocessing
import os
import secrets
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from rich.console import Console
from rich.table import Table
from sqlalchemy import insert, select

from facegate.config import Settings
from facegate.service import Gate
from facegate.service.templates import note_own_change, save_snapshot, sync_index
from facegate.store import gallery_log
from facegate.store import models as m
from facegate.store.vault import (
    NONCE_BYTES,
    WRAP_INFO,
    data_key_aad,
    derive_key,
    template_aad,
)

MODEL = "dlib-resnet-v1"
DIM = 128
Floats = npt.NDArray[np.float32]


class StubEngine:
    """Names the model; never embeds."""

    model_id = MODEL
    model_version = MODEL
    threshold = 0.6


class Clock:
    """Every Gate of the bench on one clock, moved forward for the sweep."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


CLOCK = Clock()


def open_gate(data_dir: Path, *, create: bool = False) -> Gate:
    return Gate.open(Settings(data_dir=data_dir), create=create, engine=StubEngine(), clock=CLOCK)  # type: ignore[arg-type]


def make_deployment(gate: Gate) -> str:
    with gate.ctx.db.transaction() as session:
        controller = m.Controller(name="Scale Co.", contact="dpo@example.cn")
        session.add(controller)
        session.flush()
        deployment = m.Deployment(
            controller_id=controller.id,
            name="Scale gate",
            purpose_type="access_control",
            purpose="bench",
            necessity="bench",
            method="identify",
            location_type="residential",
            sector="property",
            retention_days=365,
            transfer_mode="local",
            lawful_basis="consent",
        )
        session.add(deployment)
        session.flush()
        return deployment.id


def seal_many(gate: Gate, deployment_id: str, vectors: Floats, expires: datetime) -> list[str]:
    """Seal one template per new subject, as the vault does, with set-based inserts; logged."""
    kek = AESGCM(derive_key(gate.ctx.master_key, WRAP_INFO))
    fingerprint = gate.ctx.vault.fingerprint
    ids: list[str] = []
    for start in range(0, len(vectors), 20_000):
        chunk = vectors[start : start + 20_000]
        subjects, keys, templates, pairs = [], [], [], []
        now = datetime.now(UTC)
        for vector in chunk:
            subject_id, key_id, template_id = m.new_id(), m.new_id(), m.new_id()
            plain = AESGCM.generate_key(bit_length=256)
            nonce = secrets.token_bytes(NONCE_BYTES)
            wrapped = nonce + kek.encrypt(nonce, plain, data_key_aad(subject_id, deployment_id))
            t_nonce = secrets.token_bytes(NONCE_BYTES)
            body = AESGCM(plain).encrypt(
                t_nonce,
                np.asarray(vector, "<f4").tobytes(),
                template_aad(subject_id, deployment_id, template_id),
            )
            subjects.append({"id": subject_id, "created_at": now, "age_attested": False})
            keys.append(
                {"id": key_id, "subject_id": subject_id, "deployment_id": deployment_id,
                 "wrapped_key": wrapped, "kek": fingerprint, "created_at": now}
            )  # fmt: skip
            templates.append(
                {"id": template_id, "subject_id": subject_id, "deployment_id": deployment_id,
                 "data_key_id": key_id, "engine": MODEL, "model_version": MODEL,
                 "nonce": t_nonce, "ciphertext": body, "expires_at": expires, "created_at": now}
            )  # fmt: skip
            pairs.append((template_id, subject_id))
        with gate.ctx.db.transaction() as session:
            session.execute(insert(m.Subject), subjects)
            session.execute(insert(m.DataKey), keys)
            session.execute(insert(m.Template), templates)
            gallery_log.log_added(session, deployment_id, pairs)
        ids.extend(t for t, _ in pairs)
    return ids


def sync(gate: Gate, deployment_id: str) -> None:
    ctx = gate.ctx
    with ctx.unit(readonly=True) as session:
        deployment = session.get(m.Deployment, deployment_id)
        assert deployment is not None
        sync_index(ctx, session, deployment, ctx.now())


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def run(
    console: Console,
    identities: Floats,
    distractors: Callable[[int, np.random.Generator], Floats],
    size: int,
    queries: int,
    *,
    expiring: float = 0.1,
    deltas: bool | None = None,
) -> None:
    """Fill a vault of ``size`` templates (``expiring`` of them expire after a day), then:
    cold start from the vault and from the snapshot, a retention sweep of the expired share by
    a fresh process (the CLI's), a cold start after it, and (``deltas``, by default up to
    200k) a delta replay against a full reload."""
    rng = np.random.default_rng(5)
    rows: list[tuple[str, str, str]] = []
    deltas = size <= 200_000 if deltas is None else deltas

    def add(row: tuple[str, str]) -> None:
        rows.append((*row, load()))
        console.print(" | ".join(rows[-1]))

    expires = CLOCK.now + timedelta(days=300)
    short = int(size * expiring)
    with tempfile.TemporaryDirectory(prefix="facegate-scale-") as tmp:
        data_dir = Path(tmp) / "data"
        writer = open_gate(data_dir, create=True)
        deployment_id = make_deployment(writer)
        vectors = np.concatenate([identities, distractors(size - len(identities), rng)])
        fill_wall, fill_cpu = time.perf_counter(), time.process_time()
        seal_many(writer, deployment_id, vectors[: size - short], expires)
        expiring_ids = seal_many(
            writer, deployment_id, vectors[size - short :], CLOCK.now + timedelta(days=1)
        )
        fill_wall, fill_cpu = time.perf_counter() - fill_wall, time.process_time() - fill_cpu
        add((f"fill the vault with {size:,} sealed templates, {short:,} of them expiring "
             "tomorrow (bench only)", f"{fill_wall:.0f} s wall, {fill_cpu:.0f} CPU s"))  # fmt: skip
        del vectors

        # 1. The per-template path this replaced, on a sample.
        sample = min(size, 20_000)
        with writer.ctx.unit(readonly=True) as session:
            templates = list(session.scalars(select(m.Template).limit(sample)))
            _, _, old_cpu = timed(
                lambda: [writer.ctx.vault.open_template(session, t) for t in templates]
            )
            ids = [t.id for t in templates]
            _, _, bulk_cpu = timed(
                lambda: list(writer.ctx.vault.open_templates(session, m.Template.id.in_(ids[:500])))
            )
        old_us = old_cpu / sample * 1e6

        # 2. Cold start from the vault (no snapshot yet), then the snapshot written.
        cold = open_gate(data_dir)
        cold.ctx.snapshot_from = 2**62  # time the load alone
        _, vault_wall, vault_cpu = timed(lambda: sync(cold, deployment_id))
        add(("cold start from the vault (bulk decryption + index build)",
             f"{vault_wall:.1f} s wall, {vault_cpu:.1f} CPU s "
             f"({vault_cpu / size * 1e6:.0f} us CPU per template)"))  # fmt: skip
        add((f"per-template ORM path it replaced ({sample:,} sample)",
             f"{old_us:.0f} us CPU per template, {old_us * size / 60e6:.1f} CPU-min at "
             f"{size:,}; bulk {bulk_cpu / 500 * 1e6:.0f} us on 500"))  # fmt: skip
        _, snap_wall, snap_cpu = timed(lambda: save_snapshot(cold.ctx, deployment_id))
        snap_file = data_dir / "index" / f"{deployment_id}.snap"
        add(("write the encrypted snapshot",
             f"{snap_wall:.1f} s wall, {snap_cpu:.1f} CPU s, "
             f"{snap_file.stat().st_size / 2**20:.0f} MiB"))  # fmt: skip
        cold.close()
        cold.ctx.index.clear()  # memory for the next starts

        # 3. Cold start from the snapshot: open the Gate, restore, verify against the vault.
        def start() -> Gate:
            gate = open_gate(data_dir)
            sync(gate, deployment_id)
            return gate

        warm, warm_wall, warm_cpu = timed(start)
        probe = identities[0]
        found = warm.ctx.index.nearest_subjects(deployment_id, probe, at=warm.ctx.now(), k=2)
        assert found and found[0].distance < 1e-5, "the snapshot holds the enrolled faces"
        assert warm.ctx.index.approximate(deployment_id) or size < 100_000
        add(("cold start from the snapshot (open + decrypt + verify + ready)",
             f"{warm_wall:.1f} s wall, {warm_cpu:.1f} CPU s "
             f"({vault_wall / warm_wall:.1f}x faster than from the vault in wall, "
             f"{vault_cpu / warm_cpu:.0f}x in CPU)"))  # fmt: skip

        # 4. The next day: a fresh process sweeps the expired share, then a cold start.
        CLOCK.now += timedelta(days=2)
        sweeper = open_gate(data_dir)
        report, sweep_wall, sweep_cpu = timed(sweeper.sweep)
        assert report.expired_templates == short, report
        sweeper.close()
        sweeper.ctx.index.clear()
        add((f"retention sweep of {short:,} expired by a fresh process (opens the snapshot "
             "first, writes it again after)",
             f"{sweep_wall:.1f} s wall, {sweep_cpu:.1f} CPU s"))  # fmt: skip
        after, after_wall, after_cpu = timed(start)
        assert all(t not in after.ctx.index for t in expiring_ids[:100])
        assert after.ctx.index.approximate(deployment_id) or size < 100_000
        source = "the snapshot" if deployment_id in after.ctx.snapshot_versions else "the vault"
        add((f"cold start after the sweep (from {source})",
             f"{after_wall:.1f} s wall, {after_cpu:.1f} CPU s "
             f"({vault_cpu / after_cpu:.0f}x less CPU than from the vault)"))  # fmt: skip
        after.close()
        after.ctx.index.clear()

        # 5. Deltas: another process adds 1,000 and removes 100; the first replays.
        if deltas:
            added = seal_many(writer, deployment_id, distractors(1000, rng), expires)
            with writer.ctx.db.transaction() as session:
                doomed = list(
                    session.scalars(
                        select(m.DataKey).where(m.DataKey.deployment_id == deployment_id).limit(100)
                    )
                )
                writer.ctx.vault.destroy_keys(session, doomed)
            _, delta_wall, delta_cpu = timed(lambda: sync(warm, deployment_id))
            assert all(t in warm.ctx.index for t in added[:10])

            def reload() -> None:
                warm.ctx.index_versions.pop(deployment_id, None)
                warm.ctx.snapshot_dir = None
                sync(warm, deployment_id)

            _, reload_wall, _ = timed(reload)
            add(("delta replay: +1,000 / -100 templates from another process",
                 f"{delta_wall * 1e3:.0f} ms wall, {delta_cpu * 1e3:.0f} ms CPU "
                 f"(full reload: {reload_wall:.1f} s, "
                 f"{reload_wall / delta_wall:.0f}x)"))  # fmt: skip
        warm.close()
        writer.close()
    table = Table(title=f"Store at {size:,} templates (SQLite, {os.cpu_count()} cores)")
    table.add_column("metric")
    table.add_column("value")
    table.add_column("load 1/5/15 min")
    for row in rows:
        table.add_row(*row)
    console.print(table)


# -- two writer processes ------------------------------------------------------------------------
def _enrol_worker(data_dir: str, deployment_id: str, count: int, seed: int) -> float:
    """Enrol ``count`` templates the way ``recognition.enrol`` touches the store and the index
    (sync before the duplicate check, seal + log in one transaction, own change applied)."""
    gate = open_gate(Path(data_dir))
    ctx = gate.ctx
    rng = np.random.default_rng(seed)
    expires = CLOCK.now + timedelta(days=300)
    start = time.perf_counter()
    for _ in range(count):
        vector = rng.normal(0, 0.09, DIM).astype(np.float32)
        sync(gate, deployment_id)
        ctx.index.search(deployment_id, vector, threshold=0.6, at=ctx.now(), k=1)
        with ctx.unit() as session:
            subject = m.Subject()
            session.add(subject)
            session.flush()
            template = ctx.vault.seal_template(
                session, subject.id, deployment_id, m.new_id(), vector,
                engine=MODEL, model_version=MODEL, expires_at=expires,
            )  # fmt: skip
            deployment = session.get(m.Deployment, deployment_id)
            assert deployment is not None
            after = deployment.gallery_version
            template_id, subject_id = template.id, subject.id
        if note_own_change(ctx, deployment_id, after - 1, after):
            ctx.index.add(deployment_id, template_id, subject_id, vector, expires)
    wall = time.perf_counter() - start
    gate.close()
    return wall


def throughput(console: Console, base: int, count: int = 150) -> None:
    rng = np.random.default_rng(9)
    with tempfile.TemporaryDirectory(prefix="facegate-writers-") as tmp:
        data_dir = Path(tmp) / "data"
        gate = open_gate(data_dir, create=True)
        deployment_id = make_deployment(gate)
        expires = CLOCK.now + timedelta(days=300)
        seal_many(gate, deployment_id, rng.normal(0, 0.09, (base, DIM)).astype(np.float32), expires)
        gate.close()
        context = multiprocessing.get_context("spawn")
        with context.Pool(1) as pool:
            [one] = pool.starmap(_enrol_worker, [(str(data_dir), deployment_id, count, 1)])
        started = time.perf_counter()
        with context.Pool(2) as pool:
            walls = pool.starmap(
                _enrol_worker, [(str(data_dir), deployment_id, count, s) for s in (2, 3)]
            )
        both = time.perf_counter() - started
        check = open_gate(data_dir)
        with check.ctx.unit(readonly=True) as session:
            stored = len(list(session.scalars(select(m.Template.id))))
        check.close()
    rate_one = count / one
    rate_two = 2 * count / max(walls)
    table = Table(title=f"Enrolment throughput, engine excluded (SQLite, {base:,} templates)")
    table.add_column("processes")
    table.add_column("enrolments/s")
    table.add_column("ratio")
    table.add_row("1", f"{rate_one:.0f}", "1.00x")
    table.add_row("2 at once", f"{rate_two:.0f}", f"{rate_two / rate_one:.2f}x")
    console.print(table)
    console.print(
        f"stored {stored:,} templates ({base:,} + {3 * count} enrolled); two-process wall "
        f"{both:.1f} s"
    )


# -- a prepared data directory, for a cold start measured on its own ------------------------------
def prepare(console: Console, data_dir: Path, size: int) -> None:
    """Fill a persistent data directory with ``size`` sealed templates in one deployment, load it
    once from the vault and write its snapshot: what ``cold`` then starts from."""
    if data_dir.exists():
        raise SystemExit(f"{data_dir} exists: remove it first")
    rng = np.random.default_rng(5)
    gate = open_gate(data_dir, create=True)
    deployment_id = make_deployment(gate)
    (data_dir / "bench-deployment").write_text(deployment_id)
    expires = CLOCK.now + timedelta(days=3650)
    _, fill_wall, fill_cpu = timed(
        lambda: [
            seal_many(
                gate,
                deployment_id,
                rng.normal(0, 0.09, (min(100_000, size - start), DIM)).astype(np.float32),
                expires,
            )
            for start in range(0, size, 100_000)
        ]
    )
    console.print(f"filled {size:,}: {fill_wall:.0f} s wall, {fill_cpu:.0f} CPU s, load {load()}")
    gate.close()
    cold = open_gate(data_dir)
    cold.ctx.snapshot_from = 2**62
    _, vault_wall, vault_cpu = timed(lambda: sync(cold, deployment_id))
    console.print(
        f"loaded from the vault: {vault_wall:.0f} s wall, {vault_cpu:.1f} CPU s, load {load()}"
    )
    _, snap_wall, snap_cpu = timed(lambda: save_snapshot(cold.ctx, deployment_id))
    console.print(f"snapshot written: {snap_wall:.1f} s wall, {snap_cpu:.1f} CPU s, load {load()}")
    cold.close()


def cold_start(console: Console, data_dir: Path, started: float, cpu_started: float) -> None:
    """One cold start from ``data_dir`` (prepared by ``prepare``): open the Gate, restore the
    deployment, ready to identify. Times from the process's start (imports included)."""
    deployment_id = (data_dir / "bench-deployment").read_text().strip()
    imported_wall, imported_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    gate = open_gate(data_dir)
    sync(gate, deployment_id)
    probe = np.zeros(DIM, dtype=np.float32)
    gate.ctx.index.nearest_subjects(deployment_id, probe, at=gate.ctx.now(), k=1)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    source = "the snapshot" if deployment_id in gate.ctx.snapshot_versions else "the VAULT"
    console.print(
        f"cold start of {gate.ctx.index.size(deployment_id):,} templates from {source}: "
        f"{wall:.1f} s wall, {cpu:.1f} CPU s (imports {imported_wall:.1f} s wall, "
        f"{imported_cpu:.1f} CPU s), load {load()}"
    )
    gate.ctx.snapshot_from = 2**62  # a measurement: write nothing at close
    gate.close()


if __name__ == "__main__":
    import argparse

    # From the process's start (interpreter and imports included): /proc's start time.
    _ticks = os.sysconf("SC_CLK_TCK")
    _since_boot = float(Path("/proc/uptime").read_text().split()[0])
    _begun = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19]) / _ticks
    _started, _cpu_started = time.perf_counter() - (_since_boot - _begun), 0.0
    parser = argparse.ArgumentParser(description="cold start on a prepared data directory")
    parser.add_argument("action", choices=["prepare", "cold"])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--size", type=int, default=1_000_000)
    arguments = parser.parse_args()
    out = Console()
    if arguments.action == "prepare":
        prepare(out, arguments.data, arguments.size)
    else:
        cold_start(out, arguments.data, _started, _cpu_started)
