"""A control plane and its edge nodes as real processes on loopback, started here.

One control plane (``facegate serve``, role control) and edge nodes (``facegate edge``), each
with its own data directory, database, vault and audit chain, syncing every second. Faces go
to the edges only; the control plane's files must never hold one.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from facegate.config import Settings, write_config
from facegate.engine import FaceEngine
from facegate.service import ConsentSpec, DeviceSpec, Gate, access
from facegate.store import Database
from raw_sql import raw_rows, stored_bytes
from sites import CONSENT, Site, make_site

pytestmark = [pytest.mark.timeout(240), pytest.mark.both_databases]

JPEG_MAGIC = re.compile(rb"\xff\xd8\xff[\xdb\xe0\xe1\xe2\xe8\xee]")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
ON_DEVICE_SENTENCE = "不通过互联网对外传输"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Process:
    name: str
    args: list[str]
    log: Path
    url: str
    database_url: str = ""  # "": SQLite in its data directory
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", "facegate", *self.args], stdout=out, stderr=out
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                pytest.fail(f"{self.name} exited: {self.log.read_text(errors='replace')}")
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        pytest.fail(f"{self.name} did not start: {self.log.read_text(errors='replace')}")

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self.popen = None


@dataclass
class Cluster:
    root: Path
    control: Process
    gate: Gate  # the control plane's data directory, opened here to set up and to read
    site: Site
    keys: dict[str, str]  # device id -> device key
    edges: dict[str, Process] = field(default_factory=dict)  # device id -> edge process
    extra: dict[str, Any] = field(default_factory=dict)

    new_database_url: Callable[[], str] = str

    def edge(self, device_id: str, name: str, *options: str) -> Process:
        port = free_port()
        url = self.new_database_url()
        use_database(self.root / name, "edge", url)
        process = Process(
            name,
            [
                "--data-dir",
                str(self.root / name),
                "edge",
                "--control",
                self.control.url,
                "--device-key",
                self.keys[device_id],
                "--port",
                str(port),
                "--sync-interval",
                "1",
                *options,
            ],
            self.root / f"{name}.log",
            f"http://127.0.0.1:{port}",
            url,
        )
        process.start()
        self.edges[device_id] = process
        return process

    def person(self) -> str:
        subject = self.gate.register_subject(
            date_of_birth=date(1961, 8, 4), identity={"name": "B. Obama"}
        )
        self.gate.record_consent(subject.id, self.site.deployment_id, CONSENT)
        self.gate.add_credential(subject.id, self.site.deployment_id, "pin", "246810")
        return subject.id


def device(gate: Gate, deployment_id: str, name: str) -> str:
    return gate.register_device(
        deployment_id,
        DeviceSpec(name=name, location_description=name, location_type="residential_entrance"),
    ).id


def use_database(data_dir: Path, role: str, url: str) -> None:
    """Write the process's facegate.toml, naming its database (if not SQLite's default)."""
    path = write_config(data_dir, role)
    if url:
        path.write_text(f"database_url = {json.dumps(url)}\n" + path.read_text())


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory,
    engine: FaceEngine,
    new_database_url: Callable[[], str],
) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("cluster")
    url = new_database_url()
    use_database(root / "control", "control", url)
    settings = Settings(data_dir=root / "control", role="control", database_url=url)
    gate = Gate.open(settings, create=True)
    site = make_site(gate)
    devices = [site.device_id] + [
        device(gate, site.deployment_id, f"lane {n}") for n in ("B", "C", "D")
    ]
    keys = {
        d: access.issue_key(gate.ctx, "device", device_id=d, actor="test").token for d in devices
    }
    port = free_port()
    control = Process(
        "control",
        ["--data-dir", str(root / "control"), "serve", "--port", str(port)],
        root / "control.log",
        f"http://127.0.0.1:{port}",
        url,
    )
    control.start()
    found = Cluster(root, control, gate, site, keys, new_database_url=new_database_url)
    found.extra["devices"] = devices
    try:
        yield found
    finally:
        for process in found.edges.values():
            process.stop()
        control.stop()
        gate.close()


def post_photo(url: str, key: str, photo: Path, **fields: str) -> httpx.Response:
    return httpx.post(
        url,
        headers={"Authorization": f"Bearer {key}"},
        data=fields,
        files={"image": (photo.name, photo.read_bytes(), "image/jpeg")},
        timeout=60,
    )


def until(check: Callable[[], bool], what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def held(cluster: Cluster, device_id: str) -> int:
    return {d["device_id"]: d for d in cluster.gate.devices_status()}[device_id]["templates_held"]


def rows(process: Process, sql: str) -> list[tuple[Any, ...]]:
    """Rows of the process's database, read from outside it."""
    data_dir = Path(process.args[1])
    return raw_rows(
        Database(Settings(data_dir, database_url=process.database_url).resolved_database_url), sql
    )


def knows(edge: Process, subject_id: str) -> Callable[[], bool]:
    def check() -> bool:
        found = rows(edge, f"SELECT id FROM credentials WHERE subject_id = '{subject_id}'")
        return bool(found)

    return check


def edges_a_and_b(cluster: Cluster) -> tuple[Process, Process]:
    device_a, device_b = cluster.extra["devices"][:2]
    if device_a not in cluster.edges:
        cluster.edge(device_a, "edge-a")
    if device_b not in cluster.edges:
        cluster.edge(device_b, "edge-b")
    return cluster.edges[device_a], cluster.edges[device_b]


def obama_on_edge_a(cluster: Cluster, fixtures_dir: Path) -> str:
    """Barack Obama, enrolled on edge A (once per cluster: a face has one subject)."""
    if "obama" not in cluster.extra:
        edge_a, _ = edges_a_and_b(cluster)
        person = cluster.person()
        until(knows(edge_a, person), "A to learn the consent")
        enrolled = post_photo(
            f"{edge_a.url}/v1/enrol",
            cluster.keys[cluster.site.device_id],
            fixtures_dir / "obama_1.jpg",
            subject_id=person,
        )
        assert enrolled.status_code == 201, enrolled.text
        cluster.extra["obama"] = person
    return str(cluster.extra["obama"])


def test_an_enrolment_on_edge_a_is_unknown_to_edge_b(cluster: Cluster, fixtures_dir: Path) -> None:
    device_a, device_b = cluster.extra["devices"][:2]
    edge_a, edge_b = edges_a_and_b(cluster)
    person = obama_on_edge_a(cluster, fixtures_dir)
    until(knows(edge_b, person), "B to learn the consent")
    key_a, key_b = cluster.keys[device_a], cluster.keys[device_b]
    verified = post_photo(
        f"{edge_a.url}/v1/verify", key_a, fixtures_dir / "obama_2.jpg", subject_id=person
    )
    assert verified.json()["matched"] is True

    at_b = post_photo(f"{edge_b.url}/v1/identify", key_b, fixtures_dir / "obama_2.jpg")
    assert at_b.status_code == 200, at_b.text
    # not recognised at B: discarded, only counted (capture.opt_in)
    assert at_b.json()["faces"] == [] and at_b.json()["unmatched"] == 1
    claim_b = post_photo(
        f"{edge_b.url}/v1/verify", key_b, fixtures_dir / "obama_2.jpg", subject_id=person
    )
    assert claim_b.json()["matched"] is False and claim_b.json()["reason"] == "no_template"

    # Both edges know the person's PIN (the alternative, hashed, synced down).
    pin = httpx.post(
        f"{edge_b.url}/v1/alternatives/verify",
        headers={"Authorization": f"Bearer {key_b}"},
        json={"kind": "pin", "secret": "246810", "subject_id": person},
    )
    assert pin.json()["matched"] is True

    # A card registered at the control plane is found at the edge (over HTTP, with the lookup
    # key of the deployment the down sync carries); a wrong card is not.
    cluster.gate.add_credential(person, cluster.site.deployment_id, "card", "CARD-7781-0042")
    until(
        lambda: bool(rows(edge_b, "SELECT id FROM credentials WHERE kind = 'card'")),
        "B to learn the card",
    )
    for secret, matched in (("CARD-7781-0042", True), ("CARD-7781-0043", False)):
        card = httpx.post(
            f"{edge_b.url}/v1/alternatives/verify",
            headers={"Authorization": f"Bearer {key_b}"},
            json={"kind": "card", "secret": secret},
        )
        assert card.status_code == 200, card.text
        assert card.json()["matched"] is matched
        assert card.json()["subject_id"] == (person if matched else None)
    until(lambda: held(cluster, device_a) == 1, "A to report its template")


def test_filing_threshold_counts_a_subject_on_two_edges_once(
    cluster: Cluster, fixtures_dir: Path
) -> None:
    edges_a_and_b(cluster)
    before = cluster.gate.filing_status()[0]["individuals"]
    before_a = held(cluster, cluster.site.device_id)
    person = cluster.person()
    device_a, device_b = cluster.extra["devices"][:2]
    for device_id in (device_a, device_b):
        edge = cluster.edges[device_id]
        until(knows(edge, person), "the edge to learn the consent")
        response = post_photo(
            f"{edge.url}/v1/enrol",
            cluster.keys[device_id],
            fixtures_dir / "biden.jpg",
            subject_id=person,
        )
        assert response.status_code == 201, response.text
    until(
        lambda: held(cluster, device_a) == before_a + 1 and held(cluster, device_b) == 1,
        "both edges to report their templates",
    )
    assert cluster.gate.filing_status()[0]["individuals"] == before + 1


def test_the_control_planes_files_and_logs_hold_no_photo_and_no_embedding(
    cluster: Cluster, fixtures_dir: Path, engine: FaceEngine, tmp_path: Path
) -> None:
    photo = fixtures_dir / "obama_1.jpg"
    vector = engine.single_face(photo).embedding.vector.astype(np.float32)
    runs = [vector[i : i + 4].tobytes() for i in range(len(vector) - 3)]
    chunk = photo.read_bytes()[2000:2064]

    def finds_face(data: bytes) -> bool:
        return bool(
            JPEG_MAGIC.search(data)
            or PNG_MAGIC in data
            or chunk in data
            or any(run in data for run in runs)
        )

    # The scan can fail: it finds the embedding where it is.
    planted = tmp_path / "planted.bin"
    planted.write_bytes(b"\x00" * 100 + vector.tobytes()[:40] + b"\x00" * 100)
    assert finds_face(planted.read_bytes())

    obama_on_edge_a(cluster, fixtures_dir)
    until(lambda: held(cluster, cluster.site.device_id) >= 1, "A to report its template")
    files = [p for p in (cluster.root / "control").rglob("*") if p.is_file()]
    files.append(cluster.control.log)
    assert any(p.name == "facegate.db" for p in files) == (not cluster.control.database_url)
    for path in files:
        assert not finds_face(path.read_bytes()), path
    if cluster.control.database_url:  # and the PostgreSQL database, every row of every table
        settings = Settings(cluster.root / "control", database_url=cluster.control.database_url)
        assert not finds_face(stored_bytes(Database(settings.resolved_database_url)))
    assert rows(cluster.control, "SELECT count(*) FROM templates") == [(0,)]


def console_session(url: str, key: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=url, timeout=30)
    # The console in English (its toggle; Chinese is the default): the assertions read English.
    login_page = client.get("/console/login", params={"lang": "en"}).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', login_page)
    assert token is not None
    client.post("/console/login", data={"api_key": key, "csrf_token": token[1]})
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/console/subjects").text)
    assert token is not None  # logged in: the session has a new token
    return client, token[1]


def test_withdrawal_at_the_console_shreds_on_a_stopped_edge_before_its_first_recognition(
    cluster: Cluster, fixtures_dir: Path
) -> None:
    device_a = cluster.site.device_id
    edge_a, _ = edges_a_and_b(cluster)
    key_a = cluster.keys[device_a]
    person = obama_on_edge_a(cluster, fixtures_dir)
    (template_id,) = rows(edge_a, f"SELECT id FROM templates WHERE subject_id = '{person}'")[0]
    edge_a.stop()

    dpo = access.issue_key(cluster.gate.ctx, "dpo", actor="test").token
    console, csrf = console_session(cluster.control.url, dpo)
    try:
        done = console.post(
            f"/console/subjects/{person}/withdraw",
            data={"deployment_id": cluster.site.deployment_id, "csrf_token": csrf},
        )
        assert done.status_code in (200, 303)
        page = console.get(f"/console/subjects?subject_id={person}").text
        assert "Consent withdrawn; 0 template(s) destroyed" in page, page[:3000]
        # The dashboard shows each device: its shape, last sync, lag, templates, state.
        dashboard = console.get("/console").text
        assert dashboard.count('data-testid="device-row"') == 4
        assert "edge node" in dashboard and "never" in dashboard  # lanes C, D: not yet synced
        assert "refusing: not synced within its offline limit" in dashboard
        held_here = re.findall(r'data-testid="device-templates">(\d+)<', dashboard)
        assert sorted(int(n) for n in held_here)[-1] >= 1
    finally:
        console.close()
    assert rows(edge_a, f"SELECT id FROM templates WHERE id = '{template_id}'")  # still there

    edge_a.start()  # syncs before it serves
    assert rows(edge_a, f"SELECT id FROM templates WHERE subject_id = '{person}'") == []
    shred = rows(
        edge_a,
        "SELECT seq FROM audit_events WHERE action = 'consent.withdraw' "
        f"AND objects LIKE '%{person}%' AND objects LIKE '%\"origin\":\"control\"%'",
    )
    assert len(shred) == 1
    found = post_photo(f"{edge_a.url}/v1/identify", key_a, fixtures_dir / "obama_2.jpg")
    assert person not in found.text
    first_recognition = rows(
        edge_a,
        f"SELECT min(seq) FROM audit_events WHERE action = 'identify' AND seq > {shred[0][0]}",
    )
    assert first_recognition[0][0] > shred[0][0]


def test_an_edge_past_its_offline_limit_refuses_faces_and_serves_the_alternative(
    cluster: Cluster, fixtures_dir: Path
) -> None:
    device_c = cluster.extra["devices"][2]
    person = cluster.person()
    # Offline limit 1.8 s; the next sync would be in an hour.
    edge_c = cluster.edge(
        device_c, "edge-c", "--offline-limit-hours", "0.0005", "--sync-interval", "3600"
    )
    key_c = cluster.keys[device_c]
    time.sleep(2.0)
    refused = post_photo(
        f"{edge_c.url}/v1/verify", key_c, fixtures_dir / "obama_2.jpg", subject_id=person
    )
    assert refused.status_code == 422, refused.text
    reasons = refused.json()["error"]["reasons"]
    assert [r["code"] for r in reasons] == ["consent.withdraw"]
    assert "M6" in reasons[0]["articles"] and "alternative" in reasons[0]["message"]
    pin = httpx.post(
        f"{edge_c.url}/v1/alternatives/verify",
        headers={"Authorization": f"Bearer {key_c}"},
        json={"kind": "pin", "secret": "246810", "subject_id": person},
    )
    assert pin.status_code == 200 and pin.json()["matched"] is True


def test_a_networked_deployment_refuses_enrolment_without_transmission_consent(
    cluster: Cluster, fixtures_dir: Path
) -> None:
    gate = cluster.gate
    site = make_site(gate, name="Payment desk", transfer_mode="networked")
    person = gate.register_subject(date_of_birth=date(1980, 1, 1)).id
    gate.record_consent(person, site.deployment_id, CONSENT)
    operator = access.issue_key(gate.ctx, "operator", actor="test").token
    refused = post_photo(
        f"{cluster.control.url}/v1/subjects/{person}/enrolments",
        operator,
        fixtures_dir / "biden.jpg",
        deployment_id=site.deployment_id,
    )
    assert refused.status_code == 422, refused.text
    assert [r["code"] for r in refused.json()["error"]["reasons"]] == ["storage.networked_consent"]

    notice = httpx.get(f"{cluster.control.url}/v1/deployments/{site.deployment_id}/notice")
    assert notice.status_code == 200
    assert ON_DEVICE_SENTENCE not in notice.text and "网络传输" in notice.text
    on_device = httpx.get(
        f"{cluster.control.url}/v1/deployments/{cluster.site.deployment_id}/notice"
    )
    assert ON_DEVICE_SENTENCE in on_device.text

    gate.record_consent(
        person, site.deployment_id, ConsentSpec(scope="transmission", alternative_offered=True)
    )
    allowed = post_photo(
        f"{cluster.control.url}/v1/subjects/{person}/enrolments",
        operator,
        fixtures_dir / "biden.jpg",
        deployment_id=site.deployment_id,
    )
    assert allowed.status_code == 201, allowed.text


def test_a_replayed_sync_batch_changes_nothing_and_a_gap_is_detected(cluster: Cluster) -> None:
    device_d = cluster.extra["devices"][3]
    auth = {"Authorization": f"Bearer {cluster.keys[device_d]}"}
    url = cluster.control.url
    first = httpx.get(f"{url}/v1/sync/down", params={"after": 0}, headers=auth).json()
    again = httpx.get(f"{url}/v1/sync/down", params={"after": 0}, headers=auth).json()
    assert first["events"] and [e["seq"] for e in first["events"]] == list(
        range(1, len(first["events"]) + 1)
    )
    assert again["events"][: len(first["events"])] == first["events"]

    refusal = {
        "id": "f" * 32,
        "subject_id": None,
        "deployment_id": cluster.site.deployment_id,
        "refused_at": "2026-11-30T08:00:00+00:00",
        "channel": "kiosk",
    }
    event = {"seq": 1, "kind": "upsert", "entity": "consent_refusals", "row_id": "f" * 32}
    batch = {"events": [{**event, "payload": refusal}], "down_applied_seq": first["head"]}

    def state() -> list[tuple[Any, ...]]:
        return rows(cluster.control, "SELECT * FROM consent_refusals ORDER BY id") + rows(
            cluster.control, "SELECT count(*) FROM sync_events"
        )

    sent = httpx.post(f"{url}/v1/sync/up", json=batch, headers=auth)
    assert sent.json() == {"acknowledged": 1, "applied": 1, "skipped": 0}
    after_once = state()
    replayed = httpx.post(f"{url}/v1/sync/up", json=batch, headers=auth)
    assert replayed.json() == {"acknowledged": 1, "applied": 0, "skipped": 1}
    assert state() == after_once

    holed = {"events": [{**event, "seq": 3, "payload": {**refusal, "id": "e" * 32}}]}
    gap = httpx.post(f"{url}/v1/sync/up", json=holed, headers=auth)
    assert gap.status_code == 409
    assert gap.json()["error"]["code"] == "sync_gap"
    assert gap.json()["error"]["details"]["expected"] == "2"
    assert state() == after_once
