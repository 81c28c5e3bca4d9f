"""Sync cost: what the outbox adds to a write, and how fast an edge applies the control plane's log.

    python bench/sync.py [--people 300]

In one process, on temporary data directories (SQLite):

* baseline: ``--people`` subjects registered and given consent on a ``standalone`` facegate
  (no outbox);
* the same on a ``control`` facegate (every change also appended to the deployment's log);
* an edge applying that whole log (fetched in batches of 500, as over HTTP), and the same
  batches replayed (all skipped).

Prints wall and CPU seconds per step and the ratios against the baseline, with the load average.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.table import Table

from facegate.config import Settings
from facegate.service import ConsentSpec, DeploymentSpec, DeviceSpec, Gate

SPEC = DeploymentSpec(
    name="Bench gate",
    purpose_type="access_control",
    purpose="住户经大门通行",
    necessity="住户要求免接触通行",
    method="verify",
    alternatives=("密码键盘",),
)


def site(gate: Gate) -> tuple[str, str]:
    controller = gate.register_controller(name="Bench Co.", contact="dpo@bench.example")
    deployment = gate.create_deployment(controller.id, SPEC)
    device = gate.register_device(
        deployment.id,
        DeviceSpec(name="cam", location_description="gate", location_type="residential_entrance"),
    )
    gate.create_pipia(deployment.id)
    gate.approve_pipia(deployment.id, approver="DPO", role="dpo")
    gate.publish_notice(deployment.id)
    gate.activate(deployment.id)
    return deployment.id, device.id


def people(gate: Gate, deployment_id: str, count: int) -> None:
    for _ in range(count):
        subject = gate.register_subject(date_of_birth=date(1980, 1, 1))
        gate.record_consent(subject.id, deployment_id, ConsentSpec(alternative_offered=True))


def timed(step: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    step()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=300)
    args = parser.parse_args()
    rows: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        standalone = Gate.open(Settings(data_dir=root / "standalone"), create=True)
        deployment_id, _ = site(standalone)
        rows.append(
            (
                "standalone: register + consent",
                *timed(lambda: people(standalone, deployment_id, args.people)),
            )
        )
        standalone.close()

        control = Gate.open(Settings(data_dir=root / "control", role="control"), create=True)
        deployment_id, device_id = site(control)
        rows.append(
            (
                "control plane: the same, with the outbox",
                *timed(lambda: people(control, deployment_id, args.people)),
            )
        )
        edge = Gate.open(Settings(data_dir=root / "edge", role="edge"), create=True)
        batches = []

        def pull() -> None:
            while True:
                batch = control.sync_down_batch(device_id, edge.edge_state().down_applied_seq)
                batches.append(batch)
                if edge.sync_apply_down(batch).caught_up:
                    return

        rows.append(("edge: fetch and apply the whole log", *timed(pull)))
        events = sum(len(b.events) for b in batches)
        rows.append(
            (
                "edge: replay the same batches (skipped)",
                *timed(lambda: [edge.sync_apply_down(b) for b in batches]),
            )
        )
        edge.close()
        control.close()

    base_wall, base_cpu = rows[0][1], rows[0][2]
    table = Table(title=f"sync: {args.people} people, {events} events in the log")
    for column in ("step", "wall s", "CPU s", "wall / baseline", "CPU / baseline"):
        table.add_column(column)
    for name, wall, cpu in rows:
        table.add_row(
            name, f"{wall:.2f}", f"{cpu:.2f}", f"{wall / base_wall:.2f}", f"{cpu / base_cpu:.2f}"
        )
    console = Console()
    console.print(table)
    console.print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
