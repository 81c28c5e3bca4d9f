"""REST overhead: verify and identify over HTTP (loopback, fixed concurrency, httpx) next to the
same Gate calls in process, in the same run.

    python bench/api.py [--requests 60] [--concurrency 4]

The real face engine runs in all rows. With the engine in the service's process its calls are
serialised (dlib is not thread-safe), so concurrency overlaps only the HTTP, decoding of the
request and database work. ``facegate serve`` runs face work in a pool of worker processes
instead (``FacePool``): the last rows put the same Gate on a pool of 1 and of 2 workers and
send verify requests from ``--concurrency`` clients. Rate limits are raised for the run;
everything else is the default service. Wall-clock rates on a shared machine: compare rows of
the same run (the load average is printed).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--concurrency", type=int, default=4)
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
        for workers in (1, 2):
            with FacePool(EngineConfig(), workers=workers, queue=2 * args.concurrency) as pool:
                pool.wait_ready()
                gate.use_engine(pool)
                for _ in range(2 * workers):
                    http_verify()
                rate, latencies = timed(http_verify, args.requests, args.concurrency)
                table.add_row(
                    "verify",
                    f"HTTP x{args.concurrency}, pool of {workers} worker(s)",
                    f"{rate:.1f}",
                    f"{np.percentile(latencies, 50):.1f}",
                    f"{np.percentile(latencies, 99):.1f}",
                    f"{statistics.fmean(latencies):.1f}",
                )
            gate.use_engine(in_process)
        server.should_exit = True
        thread.join(10)
        gate.close()
    console = Console(width=120)
    console.print(table)
    console.print(f"load average before {load_before}, after {os.getloadavg()}")


if __name__ == "__main__":
    main()
