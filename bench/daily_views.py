"""What the console's daily views cost on a large audit log: the access-event log (counts per
device and Beijing day), the audit-log viewer (a filtered page, and the chain verification it
shows) and, as the baseline, the processing records of the same days (the existing read of
the same rows). Measured with the audit log's time and action indexes, then without them.

    .venv/bin/python bench/daily_views.py [--events 100000] [--devices 20] [--days 90]

Prints CPU seconds (process time) per view and ratios against the baseline measured in the
same run, with the load average. The events are written through ``AuditLog.append`` (the
real hash chain), spread evenly over the days, about 80% of them attempts at a device.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import text

from facegate.config import Settings
from facegate.service import DeploymentSpec, DeviceSpec, Gate
from facegate.service.access_events import access_log
from facegate.service.audit_views import AuditQuery, audit_page
from facegate.service.records import processing_records

END = date(2026, 11, 30)


def site(gate: Gate, devices: int) -> list[str]:
    """A controller, one deployment and its devices (registered: the log names them)."""
    controller = gate.register_controller(name="Bench Property Co.", contact="dpo@bench.cn")
    deployment = gate.create_deployment(
        controller.id,
        DeploymentSpec(
            name="Gate",
            purpose_type="access_control",
            purpose="Let residents in",
            necessity="Cards were shared",
            method="verify",
            location_type="residential_entrance",
            retention_days=365,
            alternatives=("PIN pad",),
        ),
    )
    return [
        gate.register_device(
            deployment.id,
            DeviceSpec(
                name=f"Door {i}",
                location_description=f"Block {i}",
                location_type="residential_entrance",
            ),
        ).id
        for i in range(devices)
    ]


def fill(gate: Gate, ids: list[str], events: int, days: int) -> None:
    rng = random.Random(7)
    start = datetime.combine(END - timedelta(days=days - 1), datetime.min.time(), UTC)
    step = timedelta(days=days) / events
    kinds = [
        ("verify", "allowed", {"outcome": "match"}),
        ("verify", "allowed", {"outcome": "no_match"}),
        ("identify", "allowed", {"faces": "1", "unmatched": "0", "matched": "s"}),
        ("identify", "allowed", {"faces": "1", "unmatched": "1", "matched": ""}),
        ("alternative.verify", "allowed", {"kind": "pin", "outcome": "match"}),
        ("verify", "refused", {}),
        ("enrol", "allowed", {"subject": "s"}),
        ("consent.record", "allowed", {"subject": "s"}),
    ]
    weights = [40, 5, 20, 5, 8, 2, 10, 10]
    written = 0
    while written < events:
        with gate.ctx.db.transaction() as session:
            for _ in range(min(5000, events - written)):
                action, decision, extra = rng.choices(kinds, weights)[0]
                device = rng.choice(ids)
                gate.ctx.audit.append(
                    session,
                    actor="device",
                    action=action,
                    objects={"device": device, "deployment": "d" * 32, **extra},
                    decision=decision,
                    at=start + step * written,
                )
                written += 1


def cpu(work: Callable[[], object], rounds: int) -> float:
    started = time.process_time()
    for _ in range(rounds):
        work()
    return (time.process_time() - started) / rounds


def measure(gate: Gate, device: str, rounds: int) -> list[tuple[str, float]]:
    ctx = gate.ctx
    fortnight = (END - timedelta(days=13), END)
    return [
        (
            "processing records, 14 days (baseline)",
            cpu(lambda: processing_records(ctx, None, *fortnight), rounds),
        ),
        (
            "access-event log, 14 days, all devices",
            cpu(lambda: access_log(ctx, *fortnight), rounds),
        ),
        (
            "access-event log, 14 days, one device",
            cpu(lambda: access_log(ctx, *fortnight, device_id=device), rounds),
        ),
        (
            "audit viewer, action=verify, 14 days, page 1 (+ whole chain walked)",
            cpu(
                lambda: audit_page(
                    ctx,
                    AuditQuery(action="verify", start=fortnight[0], end=fortnight[1]),
                    fresh=True,
                ),
                rounds,
            ),
        ),
        ("audit chain verification alone", cpu(gate.verify_audit, rounds)),
        (
            "audit viewer page 1, chain from a walk < 5 min old (+ new events)",
            cpu(lambda: audit_page(ctx, AuditQuery(action="verify")), rounds),
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory(prefix="facegate-bench-") as directory:
        gate = Gate.open(Settings(data_dir=Path(directory) / "data"), create=True)
        started = time.process_time()
        ids = site(gate, args.devices)
        fill(gate, ids, args.events, args.days)
        console.print(
            f"{args.events:,} audit events written in {time.process_time() - started:.1f} CPU s"
        )
        device = ids[0]
        indexed = measure(gate, device, args.rounds)
        with gate.ctx.db.transaction() as session:
            session.execute(text("DROP INDEX ix_audit_events_at"))
            session.execute(text("DROP INDEX ix_audit_events_action"))
        bare = measure(gate, device, args.rounds)
        gate.close()
    base = indexed[0][1]
    table = Table(
        title=f"{args.events:,} events, {args.devices} devices, {args.days} days; "
        f"{args.rounds} rounds; load {os.getloadavg()[0]:.2f}"
    )
    for column in ("view", "CPU s (indexed)", "ratio", "CPU s (no index)", "ratio"):
        table.add_column(column)
    for (name, with_index), (_, without) in zip(indexed, bare, strict=True):
        table.add_row(
            name, f"{with_index:.3f}", f"{with_index / base:.2f}", f"{without:.3f}",
            f"{without / base:.2f}",
        )  # fmt: skip
    console.print(table)


if __name__ == "__main__":
    main()
