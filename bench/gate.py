"""Gate overhead: what the law, the database and the audit log add to each face operation.

    python bench/gate.py [--rounds 300]

The engine is excluded by giving the Gate an engine that answers from a cache of embeddings
computed once up front; what remains is the Gate: law checks, SQLite reads and writes, template
decryption, the comparison and the hash-chained audit event. Identification search time is
measured on synthetic 128-d templates (10k and 100k) against a brute-force baseline in the same
run.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from facegate.config import Settings
from facegate.engine import FaceEngine
from facegate.engine.image import ImageSource
from facegate.engine.types import FaceEmbedding
from facegate.service import ConsentSpec, DeploymentSpec, DeviceSpec, Gate
from facegate.store import GalleryIndex

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"


class CachedEngine(FaceEngine):
    """The real engine's answers, computed once per image, then served from memory."""

    def __init__(self) -> None:
        super().__init__()
        self._single: dict[bytes, FaceEmbedding] = {}
        self._all: dict[bytes, list[FaceEmbedding]] = {}

    def single_face(self, source: Any, *, require_quality: bool = True) -> FaceEmbedding:
        key = bytes(source)
        if key not in self._single:
            self._single[key] = super().single_face(source, require_quality=require_quality)
        return self._single[key]

    def faces_with_embeddings(self, source: ImageSource | Any) -> list[FaceEmbedding]:
        key = bytes(source)
        if key not in self._all:
            self._all[key] = super().faces_with_embeddings(source)
        return self._all[key]


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def time_calls(fn: Any, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def gate_overhead(rounds: int) -> list[tuple[str, float, float]]:
    engine = CachedEngine()
    photo = (FIXTURES / "obama_1.jpg").read_bytes()
    probe = (FIXTURES / "obama_2.jpg").read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        gate = Gate.open(Settings(data_dir=Path(tmp)), create=True, engine=engine)
        controller = gate.register_controller(name="Bench", contact="bench@example.cn")
        deployment = gate.create_deployment(
            controller.id,
            DeploymentSpec(
                name="bench",
                purpose_type="access_control",
                purpose="住户经大门通行",
                necessity="住户要求免接触通行",
                method="identify",
                why_not_verify="住户通行时不停步",
                alternatives=("密码键盘",),
            ),
        )
        device = gate.register_device(
            deployment.id,
            DeviceSpec(
                name="cam", location_description="gate", location_type="residential_entrance"
            ),
        )
        gate.create_pipia(deployment.id)  # activation needs an approved PIPIA (pipia.before)
        gate.confirm_pipia(deployment.id, gate.unconfirmed_pipia(deployment.id))
        gate.approve_pipia(deployment.id, approver="bench")
        gate.publish_notice(deployment.id)  # ... and a published notice
        gate.activate(deployment.id)
        subject = gate.register_subject(date_of_birth=datetime(1970, 1, 1).date()).id
        gate.record_consent(subject, deployment.id, ConsentSpec(alternative_offered=True))
        gate.enrol(subject, deployment.id, photo)
        engine.single_face(probe, require_quality=False)
        engine.faces_with_embeddings(probe)
        gate.verify(device.id, subject, probe)  # warm-up
        gate.identify(device.id, probe)
        verify = time_calls(lambda: gate.verify(device.id, subject, probe), rounds)
        identify = time_calls(lambda: gate.identify(device.id, probe), rounds)
        gate.close()
    return [
        ("verify 1:1 (Gate only)", statistics.median(verify), percentile(verify, 99)),
        ("identify 1:N (Gate only)", statistics.median(identify), percentile(identify, 99)),
    ]


def search_times(size: int, queries: int) -> tuple[float, float, float]:
    rng = np.random.default_rng(size)
    vectors = rng.normal(size=(size, 128)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = GalleryIndex()
    expires = datetime.now(UTC) + timedelta(days=365)
    for i, vector in enumerate(vectors):
        index.add("d", f"t{i}", f"s{i}", vector, expires)
    at = datetime.now(UTC)
    probes = vectors[rng.integers(0, size, queries)] + rng.normal(0, 0.01, (queries, 128)).astype(
        np.float32
    )
    ours = time_calls(lambda: [index.search("d", p, threshold=0.6, at=at) for p in probes], 1)[0]
    stacked = [v for v in vectors]  # the naive baseline: a Python list of vectors

    def naive() -> None:
        for p in probes[: max(1, queries // 10)]:
            min(range(size), key=lambda i: float(np.linalg.norm(stacked[i] - p)))

    base = time_calls(naive, 1)[0] / max(1, queries // 10)
    return ours / queries, base, base / (ours / queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    console = Console()
    console.print(f"python bench/gate.py --rounds {args.rounds}")
    console.print(f"{platform.processor() or platform.machine()}, {platform.python_version()}")

    table = Table(title="Gate overhead per operation, engine excluded (SQLite, WAL)")
    for column in ("operation", "median ms", "p99 ms"):
        table.add_column(column)
    for name, median, p99 in gate_overhead(args.rounds):
        table.add_row(name, f"{median:.2f}", f"{p99:.2f}")
    console.print(table)

    table = Table(title="1:N search per probe, synthetic 128-d templates")
    for column in ("templates", "index ms", "naive loop ms", "speed-up"):
        table.add_column(column)
    for size in (10_000, 100_000):
        ours, base, ratio = search_times(size, 50)
        table.add_row(f"{size:,}", f"{ours:.2f}", f"{base:.1f}", f"{ratio:.0f}x")
    console.print(table)


if __name__ == "__main__":
    main()
