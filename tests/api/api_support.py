"""Helpers for the REST service tests: keys for every role, photo uploads."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from facegate.service import Gate
from facegate.service.access import issue_key

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@dataclass
class Keys:
    admin: str
    dpo: str
    operator: str
    device: str
    other_device: str

    def header(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {getattr(self, role)}"}


def make_keys(gate: Gate, device_id: str, other_device_id: str) -> Keys:
    def key(role: str, device: str | None = None) -> str:
        return issue_key(gate.ctx, role, device_id=device, actor="test").token

    return Keys(
        admin=key("admin"),
        dpo=key("dpo"),
        operator=key("operator"),
        device=key("device", device_id),
        other_device=key("device", other_device_id),
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def photo(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def upload(name: str) -> dict[str, tuple[str, bytes, str]]:
    return {"image": (name, photo(name), "image/jpeg")}


def as_base64(name: str) -> str:
    return base64.b64encode(photo(name)).decode()


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost: (certificate, key) PEM files."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "facegate test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(data_dir: Path, count: int = 1, database_url: str = "") -> Iterator[list[str]]:
    """``count`` `facegate serve` processes on one data directory (and ``database_url``, if
    given), started together, until the block ends (then SIGTERM)."""
    env = {**os.environ, "FACEGATE_DATA_DIR": str(data_dir)}
    if database_url:
        env["FACEGATE_DATABASE_URL"] = database_url
    command = str(Path(sys.executable).with_name("facegate"))
    ports = [free_port() for _ in range(count)]
    processes = [
        subprocess.Popen(
            [command, "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for port in ports
    ]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        deadline = time.monotonic() + 60
        for process, base in zip(processes, bases, strict=True):
            while True:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                try:
                    if httpx.get(f"{base}/v1/health", timeout=2).status_code < 500:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
        yield bases
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(20)
