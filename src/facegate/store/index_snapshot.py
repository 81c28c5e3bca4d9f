"""Encrypted per-deployment snapshots of the gallery index, for a cold start in seconds.

A snapshot file holds one deployment's shard as the index had it at one gallery version: template
and subject ids, vectors, expiries and the serialised ANN index (so nothing is retrained). It is
sealed with AES-GCM under a fresh random key per snapshot, in chunks of ``CHUNK`` bytes whose
associated data binds the header (deployment, version, key id, model, layout), the section and
the chunk's place, so no chunk can be moved, dropped or replayed from another snapshot. The key is
wrapped under the master key in ``index_snapshot_keys`` and destroyed whenever a template leaves
the deployment's gallery (``facegate.store.snapshot_keys``).

Whether a snapshot may be used is decided against the vault by the caller
(``facegate.service.templates``): its key must be live, its version covered by the change log up
to the current version, and, after the delta, its template ids must be exactly the vault's. Any
failure (missing, unreadable, tampered, stale) means: load from the vault instead.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import mmap
import os
import secrets
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.orm import Session

from facegate.private_files import private_file
from facegate.store import gallery_log, snapshot_keys
from facegate.store.errors import MasterKeyMismatch
from facegate.store.index import ShardState
from facegate.store.models import new_id
from facegate.store.snapshot_keys import SnapshotKey
from facegate.store.vault import NONCE_BYTES, Vault

MAGIC = b"FGIDX\x01\n"
CHUNK = 32 * 1024 * 1024
_TAG = 16
_SECTIONS = ("template_ids", "subject_ids", "vectors", "expires", "ann")


class SnapshotUnusable(Exception):
    """The snapshot is missing, unreadable, tampered with or not this deployment's: load from
    the vault."""


class SnapshotStale(SnapshotUnusable):
    """The index to snapshot is older than a removal already committed: a snapshot of it would
    hold a template that has left the gallery under a live key. Not written."""


@dataclass(frozen=True)
class SnapshotHeader:
    deployment_id: str
    key_id: str
    gallery_version: int
    model: str
    count: int
    dim: int
    dtype: str
    ann_trained_size: int
    sections: dict[str, int]  # name -> plaintext length

    def encode(self) -> bytes:
        return json.dumps(self.__dict__, sort_keys=True).encode()

    @classmethod
    def decode(cls, raw: bytes) -> SnapshotHeader:
        try:
            value = json.loads(raw)
            return cls(
                deployment_id=str(value["deployment_id"]),
                key_id=str(value["key_id"]),
                gallery_version=int(value["gallery_version"]),
                model=str(value["model"]),
                count=int(value["count"]),
                dim=int(value["dim"]),
                dtype=str(value["dtype"]),
                ann_trained_size=int(value["ann_trained_size"]),
                sections={str(k): int(v) for k, v in value["sections"].items()},
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise SnapshotUnusable("the snapshot's header is unreadable") from exc


def snapshot_path(directory: Path, deployment_id: str) -> Path:
    return directory / f"{deployment_id}.snap"


_held_here = threading.local()  # (lock file, holder) pairs this thread holds via sole_writer


@contextmanager
def sole_writer(
    directory: Path, deployment_id: str, holder: object | None = None
) -> Iterator[bool]:
    """Whether the caller (a snapshot keeper) may write the deployment's snapshot in
    ``directory``: True while it holds the exclusive ``flock`` of ``<deployment>.keeper`` beside
    the snapshot file, False at once when another (another process, another Gate of this one,
    another thread) holds it. The operating system releases the lock of a process that dies.
    Re-entrant for one ``holder`` (a Gate's context) within a thread: its nested call (the
    keeper, then the load from the vault its refresh may run, which writes a snapshot too) is
    told True without locking again."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = os.path.abspath(directory / f"{deployment_id}.keeper")
    held: set[tuple[str, int]] = _held_here.__dict__.setdefault("held", set())
    mark = (path, id(holder))
    if holder is not None and mark in held:
        yield True
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        if holder is not None:
            held.add(mark)
        try:
            yield True
        finally:
            held.discard(mark)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _aad(header_hash: bytes, section: int, chunk: int, last: bool) -> bytes:
    return header_hash + struct.pack(">HI?", section, chunk, last)


def _bytes_of(array: np.ndarray) -> memoryview:
    """The array's bytes as a flat view (a copy only when it is not contiguous)."""
    return memoryview(np.ascontiguousarray(array).data).cast("B")


def _payload(state: ShardState) -> dict[str, bytes | memoryview]:
    """Each section's plaintext; the arrays as views of their memory, not copies (the vectors
    alone are 512 MiB at 1M templates)."""
    return {
        "template_ids": "\n".join(state.template_ids).encode(),
        "subject_ids": "\n".join(state.subject_ids).encode(),
        "vectors": _bytes_of(state.vectors),
        "expires": _bytes_of(np.asarray(state.expires, dtype="<f8")),
        "ann": b"" if state.ann is None else _bytes_of(state.ann),
    }


def _chunks(data: bytes | memoryview) -> Iterator[tuple[int, memoryview, bool]]:
    """The section's chunks as views (no copy: 700 MiB at 1M templates)."""
    view = memoryview(data)
    count = max(1, -(-len(data) // CHUNK))
    for number in range(count):
        yield number, view[number * CHUNK : (number + 1) * CHUNK], number == count - 1


@dataclass
class SealedSnapshot:
    """A snapshot file sealed under a fresh key, not yet in place nor its key stored."""

    deployment_id: str
    gallery_version: int
    key_id: str
    key: bytes
    partial: Path
    path: Path

    def discard(self) -> None:
        self.partial.unlink(missing_ok=True)


def seal_snapshot(
    directory: Path, deployment_id: str, gallery_version: int, model: str, state: ShardState
) -> SealedSnapshot:
    """Seal ``state`` (the deployment's shard at ``gallery_version``) under a fresh key into a
    temporary file beside the deployment's snapshot. No transaction is open meanwhile (at 1M
    templates this is seconds of work); ``commit_snapshot`` then stores the key and puts the file
    in place, or ``discard`` removes it."""
    key = snapshot_keys.fresh_key()
    key_id = new_id()
    payload = _payload(state)
    header = SnapshotHeader(
        deployment_id=deployment_id,
        key_id=key_id,
        gallery_version=gallery_version,
        model=model,
        count=len(state.template_ids),
        dim=int(state.vectors.shape[1]) if state.vectors.ndim == 2 else 0,
        dtype=str(state.vectors.dtype),
        ann_trained_size=state.ann_trained_size,
        sections={name: len(payload[name]) for name in _SECTIONS},
    )
    raw = header.encode()
    header_hash = hashlib.sha256(raw).digest()
    sealer = AESGCM(key)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = snapshot_path(directory, deployment_id)
    partial = path.with_name(f"{path.name}.{secrets.token_hex(4)}.tmp")
    private_file(partial)
    sealed = SealedSnapshot(deployment_id, gallery_version, key_id, key, partial, path)
    try:
        buffer = bytearray(CHUNK + _TAG)
        with partial.open("wb") as out:
            out.write(MAGIC + struct.pack(">I", len(raw)) + raw)
            for section, name in enumerate(_SECTIONS):
                for number, plain, last in _chunks(payload[name]):
                    nonce = secrets.token_bytes(NONCE_BYTES)
                    aad = _aad(header_hash, section, number, last)
                    into = memoryview(buffer)[: len(plain) + _TAG]
                    sealer.encrypt_into(nonce, plain, aad, into)
                    out.write(nonce)
                    out.write(into)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        sealed.discard()
        raise
    return sealed


def check_current(session: Session, deployment_id: str, version: int) -> None:
    """``SnapshotStale`` when a template left the deployment's gallery after ``version``."""
    current = gallery_log.current_version(session, deployment_id)
    if current > version:
        delta = gallery_log.changes_since(session, deployment_id, version, current)
        if delta is None or delta.removed:
            raise SnapshotStale(
                f"templates left the gallery after version {version} (now {current})"
            )


def commit_snapshot(session: Session, vault: Vault, sealed: SealedSnapshot) -> Path:
    """In the caller's (write) transaction: store the sealed snapshot's key, wrapped, destroy the
    deployment's older keys, and move the file into place; it is usable once the transaction
    commits. The write lock is held for this only, not while the file is sealed.

    ``SnapshotStale`` when a template left the gallery after the snapshot's version: the state
    may still hold it, and the removal's transaction destroyed only the keys that existed then.
    The check runs in this (write) transaction, so no removal can commit between it and the
    new key: any later one destroys it."""
    deployment_id, version = sealed.deployment_id, sealed.gallery_version
    check_current(session, deployment_id, version)
    snapshot_keys.destroy(session, deployment_id)
    row = SnapshotKey(id=sealed.key_id, deployment_id=deployment_id, gallery_version=version)
    row.wrapped_key = vault.wrap_secret(snapshot_keys.key_name(row.id), sealed.key)
    row.kek = vault.fingerprint
    session.add(row)
    session.flush()
    os.replace(sealed.partial, sealed.path)
    return sealed.path


def write_snapshot(
    session: Session,
    vault: Vault,
    directory: Path,
    deployment_id: str,
    gallery_version: int,
    model: str,
    state: ShardState,
) -> Path:
    """``seal_snapshot`` then ``commit_snapshot`` in ``session`` (whose write transaction is
    then held while the file is sealed: the service seals first, then opens the transaction)."""
    sealed = seal_snapshot(directory, deployment_id, gallery_version, model, state)
    try:
        return commit_snapshot(session, vault, sealed)
    finally:
        sealed.discard()


def key_is_live(session: Session, header: SnapshotHeader) -> bool:
    """Is the key named in the (unauthenticated) header live, for that deployment and version?
    A cheap test before opening a large file."""
    row = session.scalar(select(SnapshotKey).where(SnapshotKey.id == header.key_id))
    return (
        row is not None
        and row.deployment_id == header.deployment_id
        and row.gallery_version == header.gallery_version
        and row.wrapped_key is not None
        and row.destroyed_at is None
    )


def read_header(path: Path) -> SnapshotHeader:
    """The snapshot's header (unauthenticated until the chunks are opened)."""
    try:
        with path.open("rb") as source:
            return _header(source)[0]
    except OSError as exc:
        raise SnapshotUnusable(f"no readable snapshot at {path}") from exc


def _header(source: BinaryIO) -> tuple[SnapshotHeader, bytes]:
    if source.read(len(MAGIC)) != MAGIC:
        raise SnapshotUnusable("not an index snapshot")
    (length,) = struct.unpack(">I", source.read(4) or b"\0\0\0\0")
    raw = source.read(length)
    if len(raw) != length:
        raise SnapshotUnusable("the snapshot is truncated")
    return SnapshotHeader.decode(raw), raw


def _open_key(session: Session, vault: Vault, header: SnapshotHeader) -> bytes:
    row = session.scalar(select(SnapshotKey).where(SnapshotKey.id == header.key_id))
    if row is None or row.deployment_id != header.deployment_id:
        raise SnapshotUnusable("the snapshot's key is unknown")
    if row.wrapped_key is None or row.destroyed_at is not None or row.kek is None:
        raise SnapshotUnusable("the snapshot's key was destroyed (a template left the gallery)")
    if row.gallery_version != header.gallery_version:
        raise SnapshotUnusable("the snapshot's version does not match its key")
    try:
        return vault.unwrap_secret(snapshot_keys.key_name(row.id), row.wrapped_key, row.kek)
    except MasterKeyMismatch as exc:
        raise SnapshotUnusable("the snapshot's key does not open under this master key") from exc


def read_snapshot(
    session: Session, vault: Vault, path: Path, deployment_id: str
) -> tuple[SnapshotHeader, ShardState]:
    """Open the deployment's snapshot: ``SnapshotUnusable`` when it is missing, not this
    deployment's, its key destroyed, or any byte of it altered."""
    try:
        with path.open("rb") as source:
            header, raw = _header(source)
            if header.deployment_id != deployment_id:
                raise SnapshotUnusable("the snapshot belongs to another deployment")
            sealer = AESGCM(_open_key(session, vault, header))
            header_hash = hashlib.sha256(raw).digest()
            parts: dict[str, memoryview] = {}
            sealed = bytearray(NONCE_BYTES + CHUNK + _TAG)
            for section, name in enumerate(_SECTIONS):
                length = header.sections.get(name, -1)
                if length < 0:
                    raise SnapshotUnusable("the snapshot lacks a section")
                parts[name] = _open_section(source, sealer, header_hash, section, length, sealed)
            if source.read(1):
                raise SnapshotUnusable("the snapshot has trailing bytes")
    except OSError as exc:
        raise SnapshotUnusable(f"no readable snapshot at {path}") from exc
    return header, _state(header, parts)


def _open_section(
    source: io.BufferedReader,
    sealer: AESGCM,
    header_hash: bytes,
    section: int,
    length: int,
    sealed: bytearray,
) -> memoryview:
    """Read and open one section's chunks straight into one buffer: each chunk is read into
    ``sealed`` (reused) and decrypted into its place, with no copy per chunk. The buffer is
    anonymous memory (``mmap``), zero only as each page is first written: a ``bytearray`` would
    be zero-filled first, touching 700 MiB once more at 1M templates."""
    into = memoryview(mmap.mmap(-1, length)) if length else memoryview(bytearray())
    scratch = memoryview(sealed)
    count = max(1, -(-length // CHUNK))
    for number in range(count):
        size = min(CHUNK, length - number * CHUNK) if length else 0
        blob = scratch[: NONCE_BYTES + size + _TAG]
        if source.readinto(blob) != len(blob):
            raise SnapshotUnusable("the snapshot is truncated")
        aad = _aad(header_hash, section, number, number == count - 1)
        place = into[number * CHUNK : number * CHUNK + size]
        try:
            sealer.decrypt_into(bytes(blob[:NONCE_BYTES]), blob[NONCE_BYTES:], aad, place)
        except InvalidTag as exc:
            raise SnapshotUnusable("the snapshot fails authentication") from exc
    return into


def _state(header: SnapshotHeader, parts: dict[str, memoryview]) -> ShardState:
    def ids(name: str) -> list[str]:
        return str(parts[name], "utf-8").split("\n") if header.count else []

    try:
        dtype = np.dtype(header.dtype)
        vectors = np.frombuffer(parts["vectors"], dtype=dtype).reshape(header.count, header.dim)
        expires = np.frombuffer(parts["expires"], dtype="<f8")
        template_ids, subject_ids = ids("template_ids"), ids("subject_ids")
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise SnapshotUnusable("the snapshot's content is malformed") from exc
    if not len(template_ids) == len(subject_ids) == len(expires) == header.count:
        raise SnapshotUnusable("the snapshot's sections disagree")
    ann = np.frombuffer(parts["ann"], dtype=np.uint8) if len(parts["ann"]) else None
    return ShardState(
        template_ids,
        subject_ids,
        vectors,  # over the decrypted buffer (no copy)
        expires,
        ann,
        header.ann_trained_size,
    )
