"""What durability and shared limits cost, each against its baseline in the same run.

    python bench/durability.py [--n 200]

* throttle: one rate-limit ``take`` in the database (``SharedThrottle``, what every process
  shares) against an in-memory token bucket (what one process alone had before);
* withdrawal: ``withdraw_consent`` (consent withdrawn, data key destroyed, templates deleted,
  audit event) with the deletion journal (an fsynced append before each commit) against the same
  Gate with the journal switched off.

Prints median ms per call, CPU seconds and the ratio, with the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from facegate.config import Settings
from facegate.service import Gate
from facegate.service.limits import SharedThrottle
from facegate.store import models as m
from facegate.store.types import utc_now
from sites import CONSENT, make_site


def timed(call: Callable[[int], object], n: int) -> tuple[float, float]:
    """(median ms per call, CPU seconds in all)."""
    times = []
    cpu = time.process_time()
    for i in range(n):
        started = time.perf_counter()
        call(i)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), time.process_time() - cpu


class MemoryBucket:
    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.state: dict[str, tuple[float, float]] = {}

    def take(self, key: str) -> float:
        now = time.monotonic()
        tokens, at = self.state.get(key, (float(self.burst), now))
        tokens = min(self.burst, tokens + (now - at) * self.rate)
        self.state[key] = (tokens - 1 if tokens >= 1 else tokens, now)
        return 0.0 if tokens >= 1 else 1.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200)
    n = parser.parse_args().n
    with tempfile.TemporaryDirectory() as tmp:
        gate = Gate.open(Settings(data_dir=Path(tmp) / "data"), create=True)
        site = make_site(gate)
        shared = SharedThrottle(gate.ctx.db)
        memory = MemoryBucket(20.0, 40)
        rows = []
        base_ms, base_cpu = timed(lambda i: memory.take(f"k{i % 10}"), n)
        ms, cpu = timed(lambda i: shared.take("key", f"k{i % 10}", 20.0, 40), n)
        rows.append(("rate-limit take", "in memory", base_ms, base_cpu, ms, cpu))

        people = []
        rng = np.random.default_rng(0)
        for _ in range(2 * n):
            person = gate.register_subject(date_of_birth=date(1980, 1, 1))
            gate.record_consent(person.id, site.deployment_id, CONSENT)
            with gate.ctx.db.transaction() as session:
                gate.ctx.vault.seal_template(
                    session,
                    person.id,
                    site.deployment_id,
                    m.new_id(),
                    rng.normal(size=128).astype(np.float32),
                    engine="bench",
                    model_version="bench",
                    expires_at=utc_now().replace(year=2099),
                )
            people.append(person.id)
        journal = gate.ctx.vault.journal
        gate.ctx.vault.journal = None
        base_ms, base_cpu = timed(lambda i: gate.withdraw_consent(people[i], site.deployment_id), n)
        gate.ctx.vault.journal = journal
        ms, cpu = timed(lambda i: gate.withdraw_consent(people[n + i], site.deployment_id), n)
        rows.append(("withdrawal", "no journal", base_ms, base_cpu, ms, cpu))
        gate.close()

    table = Table(title=f"durability costs, {n} calls each; load {os.getloadavg()}")
    for column in (
        "operation",
        "baseline",
        "baseline ms",
        "baseline CPU s",
        "ms",
        "CPU s",
        "ratio",
    ):
        table.add_column(column)
    for name, base, bms, bcpu, tms, tcpu in rows:
        table.add_row(
            name,
            base,
            f"{bms:.3f}",
            f"{bcpu:.2f}",
            f"{tms:.3f}",
            f"{tcpu:.2f}",
            f"{tms / bms:.1f}x",
        )
    Console().print(table)


if __name__ == "__main__":
    main()
