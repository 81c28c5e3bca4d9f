"""REST overhead: verify and identify over HTTP (loopback, fixed concurrency, httpx) next to the
same Gate calls in process, in the same run.

    python bench/api.py [--requests 60] [--concurrency 4] [--rounds 3] [--pool-only]

The real face engine runs in all rows. With the engine in the service's process its calls are
serialised (dlib is not thread-safe), so concurrency overlaps only the HTTP, decoding of the
request and database work. ``facegate serve`` runs face work in a pool of worker processes
instead (``FacePool``): each photo's whole face work (decoding, search, liveness, embedding) is
one ``examine`` call in one worker. The pool rows put the same Gate on a pool of 1 and of 2
workers and send verify requests from ``--concurrency`` clients running in a separate process,
alternating 1 and 2 workers for ``--rounds`` rounds; they report the ratio of the two rates per
round and the CPU time per request of the service's process and of the workers. Rate limits are
raised for the run; everything else is the default service. Wall-clock rates on a shared
machine: compare rows of the same run (the load average is printed).
"""

from __future__ import annotations

import argparse
import functools
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import uvicorn
from rich.console import Console
from rich.table import Table

from facegate.api import ApiSettings, create_app
from facegate.config import Settings
from facegate.engine import EngineConfig
from facegate.engine.pool import FacePool
from facegate.service import ConsentSpec, DeploymentSpec, DeviceSpec, Gate
from facegate.service.access import issue_key

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cpu import process_cpu

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"


def site(gate: Gate) -> tuple[str, str, str]:
    controller = gate.register_controller(name="Bench", contact="bench@example.cn")
    deployment = gate.create_deployment(
        controller.id,
        DeploymentSpec(
            name="Bench gate",
            purpose_type="access_control",
            purpose="住户经测试门通行",
            necessity="住户要求免接触通行",
            method="identify",
            why_not_verify="住户通行时不停步声明身份",
            alternatives=("密码键盘",),
        ),
    )
    device = gate.register_device(
        deployment.id,
        DeviceSpec(name="cam", location_description="gate", location_type="residential_entrance"),
    )
    gate.create_pipia(deployment.id)
    gate.confirm_pipia(deployment.id, gate.unconfirmed_pipia(deployment.id))
    gate.approve_pipia(deployment.id, approver="Bench", role="dpo")
    gate.publish_notice(deployment.id)
    gate.activate(deployment.id)
    subject = gate.register_subject(date_of_birth=date(1961, 8, 4))
    gate.record_consent(subject.id, deployment.id, ConsentSpec(alternative_offered=True))
    gate.enrol(subject.id, deployment.id, (FIXTURES / "obama_1.jpg").read_bytes())
    return deployment.id, device.id, subject.id


def timed(call: Callable[[], object], count: int, concurrency: int) -> tuple[float, list[float]]:
    """(requests per second, latencies in ms)."""
    latencies: list[float] = []
    lock = threading.Lock()

    def one(_: int) -> None:
        started = time.perf_counter()
        call()
        elapsed = (time.perf_counter() - started) * 1000
        with lock:
            latencies.append(elapsed)

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(count)))
    return count / (time.perf_counter() - started), latencies


@dataclass
class PoolRun:
    rate: float
    latencies: list[float]
    service_cpu: float  # CPU seconds of the service's process (HTTP, database, audit, templates)
    worker_cpu: float  # CPU seconds of the pool's worker processes (the face work)


def drive_verify(
    base: str, token: str, subject_id: str, probe: bytes, count: int, concurrency: int
) -> tuple[float, list[float]]:
    """The clients of the pool rows, run in their own process so that this process's CPU
    time is the service's alone: ``count`` verify requests from ``concurrency`` threads."""
    local = threading.local()

    def verify() -> None:
        if not hasattr(local, "client"):
            local.client = httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60
            )
        response = local.client.post(
            "/v1/verify", data={"subject_id": subject_id}, files={"image": ("p.jpg", probe)}
        )
        assert response.status_code == 200 and response.json()["matched"], response.text

    return timed(verify, count, concurrency)


def pool_run(pool: FacePool, clients: ProcessPoolExecutor, drive: Callable[[], Any]) -> PoolRun:
    pids = [p.pid for p in getattr(pool._executor, "_processes", {}).values()]
    workers_before = sum(process_cpu(pid) for pid in pids)
    service_before = time.process_time()
    rate, latencies = clients.submit(drive).result()
    return PoolRun(
        rate,
        latencies,
        time.process_time() - service_before,
        sum(process_cpu(pid) for pid in pids) - workers_before,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3, help="alternated pool runs per size")
    parser.add_argument("--pool-only", action="store_true", help="only the pool rows")
    args = parser.parse_args()
    load_before = os.getloadavg()
    probe = (FIXTURES / "obama_2.jpg").read_bytes()
    crowd = (FIXTURES / "obama_3.jpg").read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        gate = Gate.open(Settings(data_dir=Path(tmp)), create=True)
        _, device_id, subject_id = site(gate)
        token = issue_key(gate.ctx, "device", device_id=device_id, actor="bench").token
        settings = ApiSettings(key_rate=1e6, key_burst=10**6, subject_rate=1e6, subject_burst=10**6)
        config = uvicorn.Config(
            create_app(gate, settings), host="127.0.0.1", port=0, log_level="warning"
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        local = threading.local()

        def client() -> httpx.Client:
            if not hasattr(local, "client"):
                local.client = httpx.Client(
                    base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60
                )
            http: httpx.Client = local.client
            return http

        def http_verify() -> None:
            response = client().post(
                "/v1/verify", data={"subject_id": subject_id}, files={"image": ("p.jpg", probe)}
            )
            assert response.status_code == 200 and response.json()["matched"], response.text

        def http_identify() -> None:
            response = client().post("/v1/identify", files={"image": ("c.jpg", crowd)})
            assert response.status_code == 200 and response.json()["matched"], response.text

        cases: list[tuple[str, str, Callable[[], object], int]] = [
            ("verify", "in-process Gate", lambda: gate.verify(device_id, subject_id, probe), 1),
            ("verify", "HTTP x1", http_verify, 1),
            ("verify", f"HTTP x{args.concurrency}", http_verify, args.concurrency),
            ("identify", "in-process Gate", lambda: gate.identify(device_id, crowd), 1),
            ("identify", "HTTP x1", http_identify, 1),
            ("identify", f"HTTP x{args.concurrency}", http_identify, args.concurrency),
        ]
        if args.pool_only:
            cases = []
        for _, _, call, _ in cases:  # warm up: engine models, index, connections
            call()
        table = Table(title=f"REST overhead ({args.requests} requests per row)")
        for column in ("operation", "path", "req/s", "p50 ms", "p99 ms", "mean ms"):
            table.add_column(column)
        for operation, path, call, concurrency in cases:
            rate, latencies = timed(call, args.requests, concurrency)
            table.add_row(
                operation,
                path,
                f"{rate:.1f}",
                f"{np.percentile(latencies, 50):.1f}",
                f"{np.percentile(latencies, 99):.1f}",
                f"{statistics.fmean(latencies):.1f}",
            )
        in_process = gate.ctx.engine
        pools = {w: FacePool(EngineConfig(), workers=w, queue=2 * args.concurrency) for w in (1, 2)}
        measured: dict[int, list[PoolRun]] = {1: [], 2: []}
        clients = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        drive = functools.partial(
            drive_verify, base, token, subject_id, probe, args.requests, args.concurrency
        )
        try:
            for pool in pools.values():
                pool.wait_ready()
            for _ in range(args.rounds):  # alternate 1 and 2 workers: the machine's load drifts
                for workers, pool in pools.items():
                    gate.use_engine(pool)
                    for _ in range(2 * workers):
                        http_verify()
                    measured[workers].append(pool_run(pool, clients, drive))
        finally:
            gate.use_engine(in_process)
            clients.shutdown()
            for pool in pools.values():
                pool.close()
        for workers, runs in measured.items():
            latencies = [ms for run in runs for ms in run.latencies]
            table.add_row(
                "verify",
                f"HTTP x{args.concurrency}, pool of {workers} worker(s)",
                f"{statistics.fmean(r.rate for r in runs):.1f}",
                f"{np.percentile(latencies, 50):.1f}",
                f"{np.percentile(latencies, 99):.1f}",
                f"{statistics.fmean(latencies):.1f}",
            )
        pool_table = Table(title="verify on a pool: 2 workers against 1, same run, alternated")
        for column in ("workers", "req/s per round", "service CPU ms/req", "worker CPU ms/req"):
            pool_table.add_column(column)
        for workers, runs in measured.items():
            count = sum(len(r.latencies) for r in runs)
            pool_table.add_row(
                str(workers),
                " ".join(f"{r.rate:.1f}" for r in runs),
                f"{1000 * sum(r.service_cpu for r in runs) / count:.1f}",
                f"{1000 * sum(r.worker_cpu for r in runs) / count:.1f}",
            )
        ratios = [two.rate / one.rate for one, two in zip(measured[1], measured[2], strict=True)]
        server.should_exit = True
        thread.join(10)
        gate.close()
    console = Console(width=120)
    console.print(table)
    console.print(pool_table)
    console.print(
        "req/s of 2 workers over 1, per round: "
        + " ".join(f"{r:.2f}x" for r in ratios)
        + f"; median {statistics.median(ratios):.2f}x"
    )
    console.print(f"load average before {load_before}, after {os.getloadavg()}")


if __name__ == "__main__":
    main()
