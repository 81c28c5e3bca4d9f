"""An order-independent digest of a set of template ids, kept per deployment on every write.

``deployments.gallery_count`` and ``deployments.gallery_digest`` hold how many templates the
deployment's gallery has and the XOR of a 64-bit hash of each one's id. The gallery change log
(``facegate.store.gallery_log``) updates both in the statement that bumps the gallery version,
so they change in the transaction that adds or removes the templates, at the cost of a few
integer operations (no read of the gallery).

A cold start from an index snapshot compares the ids the restored index holds with the vault's
through this digest instead of reading every id back from the database: at 1M templates that
read and the set comparison cost about 4 CPU s, the digest of the index well under one. XOR is
its own inverse, so templates are added and removed by the same operation, and the ids the
index leaves out (expired, another model's) are taken out by XOR-ing their hashes again.

The hash of an id of 32 hex digits (every id facegate makes) is its 16 bytes read as two
little-endian 64-bit words, each multiplied by an odd constant and summed (vectorised over a
whole gallery in numpy); any other id is hashed with BLAKE2b. It is a consistency check against
bugs and writes that bypass the log, not a security control: the snapshot itself is
authenticated, and the vault's keys decide what may be read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np

_MASK = (1 << 64) - 1
_K1 = np.uint64(0x9E3779B97F4A7C15)
_K2 = np.uint64(0xC2B2AE3D27D4EB4F)


def _hex_part(ids: list[str]) -> tuple[int, list[str]]:
    """The XOR of the hashes of the ids made of 32 lowercase hex digits (as an unsigned int),
    and the other ids."""
    if not ids:
        return 0, []
    lengths = list(map(len, ids))  # C loops, not generators: a gallery is 1M ids
    if min(lengths) == max(lengths) == 32:
        hexed, others = ids, []
    else:
        hexed = [i for i, n in zip(ids, lengths, strict=True) if n == 32]
        others = [i for i, n in zip(ids, lengths, strict=True) if n != 32]
    if not hexed:
        return 0, others
    joined = "".join(hexed)
    try:
        raw = bytes.fromhex(joined)
    except ValueError:
        raw = b""
    # fromhex skips spaces between digit pairs: all 16 bytes per id, or hash them one by one
    # (an id in upper case hashes as in lower case: harmless for a consistency check)
    if len(raw) != 16 * len(hexed):
        good = [i for i in hexed if _is_hex(i)]
        bad = [i for i in hexed if not _is_hex(i)]
        value, rest = _hex_part(good) if good else (0, [])
        return value, others + bad + rest
    words = np.frombuffer(raw, dtype="<u8").reshape(-1, 2)
    with np.errstate(over="ignore"):
        hashed = words[:, 0] * _K1 + words[:, 1] * _K2
    return int(np.bitwise_xor.reduce(hashed)), others


def _is_hex(value: str) -> bool:
    try:
        return len(bytes.fromhex(value)) == 16
    except ValueError:
        return False


def _other(value: str) -> int:
    return int.from_bytes(hashlib.blake2b(value.encode(), digest_size=8).digest(), "little")


def digest(ids: Iterable[str]) -> int:
    """The XOR of the ids' hashes, as a signed 64-bit integer (what the database column holds);
    0 for no ids. Each id must appear once."""
    value, others = _hex_part(list(ids))
    for other in others:
        value ^= _other(other)
    return signed(value)


def combine(*digests: int) -> int:
    """The digest of the union of disjoint sets (or, XOR being its own inverse, of one set with
    another taken out of it)."""
    value = 0
    for part in digests:
        value ^= part & _MASK
    return signed(value)


def signed(value: int) -> int:
    value &= _MASK
    return value - (1 << 64) if value >= 1 << 63 else value
