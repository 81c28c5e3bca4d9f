"""Read PyTorch ``.pth`` checkpoints into numpy arrays, without PyTorch and without running code.

A checkpoint is a pickle whose tensors point at raw storages kept beside it. Two layouts exist:

* the legacy one (PyTorch < 1.6, the Silent-Face files): five pickles in a row (a magic number,
  the protocol version, system information, the object, the list of storage keys) followed by
  each storage as an 8-byte little-endian element count and its raw bytes;
* the zip one (PyTorch >= 1.6): ``<name>/data.pkl`` and each storage in ``<name>/data/<key>``.

The unpickler is restricted: it resolves only ``collections.OrderedDict``, torch's tensor and
parameter rebuild functions and the typed storage classes, each mapped to a numpy equivalent.
Anything else in the pickle (a class, a function, ``os.system``) is refused with
``CheckpointError`` before it can run.
"""

from __future__ import annotations

import collections
import io
import pickle
import struct
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[Any]

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001

# torch's typed storages and the numpy dtype of their elements (little-endian, as saved).
STORAGE_DTYPES: Mapping[str, str] = {
    "FloatStorage": "<f4",
    "DoubleStorage": "<f8",
    "HalfStorage": "<f2",
    "LongStorage": "<i8",
    "IntStorage": "<i4",
    "ShortStorage": "<i2",
    "CharStorage": "i1",
    "ByteStorage": "u1",
    "BoolStorage": "?",
}


class CheckpointError(ValueError):
    """The file is not a checkpoint this reader accepts (corrupt, unknown layout, or unsafe)."""


@dataclass(frozen=True)
class _StorageType:
    name: str

    @property
    def dtype(self) -> np.dtype[Any]:
        return np.dtype(STORAGE_DTYPES[self.name])


@dataclass
class _StorageRef:
    """A storage named in the pickle, filled with its data once the raw bytes are read."""

    key: str
    dtype: np.dtype[Any]
    data: Array | None = None


@dataclass
class _TensorRef:
    storage: _StorageRef
    offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]

    def materialise(self) -> Array:
        if self.storage.data is None:
            raise CheckpointError(f"storage {self.storage.key} has no data")
        flat = self.storage.data
        itemsize = flat.dtype.itemsize
        span = sum((n - 1) * s for n, s in zip(self.shape, self.stride, strict=True))
        needed = self.offset + 1 + span
        if any(n == 0 for n in self.shape):
            return np.zeros(self.shape, dtype=flat.dtype)
        if self.offset < 0 or needed > flat.size or any(s < 0 for s in self.stride):
            raise CheckpointError(f"tensor view outside storage {self.storage.key}")
        view = np.lib.stride_tricks.as_strided(
            flat[self.offset :],
            shape=self.shape,
            strides=tuple(s * itemsize for s in self.stride),
            writeable=False,
        )
        return np.array(view, copy=True)


def _rebuild_tensor(
    storage: _StorageRef,
    storage_offset: int,
    size: tuple[int, ...],
    stride: tuple[int, ...],
    *_rest: object,
) -> _TensorRef:
    return _TensorRef(storage, int(storage_offset), tuple(size), tuple(stride))


def _rebuild_parameter(data: _TensorRef, *_rest: object) -> _TensorRef:
    return data


_ALLOWED: Mapping[tuple[str, str], Callable[..., Any]] = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
}


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: IO[bytes], storages: dict[str, _StorageRef]) -> None:
        super().__init__(file)
        self.storages = storages

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED:
            return _ALLOWED[(module, name)]
        if module == "torch" and name in STORAGE_DTYPES:
            return _StorageType(name)
        raise CheckpointError(f"checkpoint refers to {module}.{name}, which is not allowed")

    def persistent_load(self, pid: Any) -> Any:
        # ('storage', storage_type, key, location, numel[, view_metadata])
        if not isinstance(pid, tuple) or len(pid) < 5 or pid[0] != "storage":
            raise CheckpointError(f"unknown persistent id {pid!r:.60}")
        storage_type, key = pid[1], str(pid[2])
        if not isinstance(storage_type, _StorageType):
            raise CheckpointError("storage of an unknown type")
        if len(pid) > 5 and pid[5] is not None:
            raise CheckpointError("storage views are not supported")
        ref = self.storages.get(key)
        if ref is None:
            ref = self.storages[key] = _StorageRef(key, storage_type.dtype)
        return ref


def _unpickle(file: IO[bytes], storages: dict[str, _StorageRef]) -> Any:
    try:
        return _Unpickler(file, storages).load()
    except CheckpointError:
        raise
    except Exception as exc:  # corrupt pickles raise anything from EOFError to KeyError
        raise CheckpointError(f"corrupt checkpoint: {exc}") from exc


def _resolve(value: Any) -> Any:
    if isinstance(value, _TensorRef):
        return value.materialise()
    if isinstance(value, dict):
        return collections.OrderedDict((k, _resolve(v)) for k, v in value.items())
    if isinstance(value, list | tuple):
        return type(value)(_resolve(v) for v in value)
    return value


def _read_legacy(data: bytes) -> Any:
    stream = io.BytesIO(data)
    storages: dict[str, _StorageRef] = {}
    magic = _unpickle(stream, storages)
    if magic != LEGACY_MAGIC:
        raise CheckpointError("not a PyTorch checkpoint (bad magic number)")
    if _unpickle(stream, storages) != LEGACY_PROTOCOL:
        raise CheckpointError("unsupported legacy checkpoint protocol")
    sys_info = _unpickle(stream, storages)
    if isinstance(sys_info, dict) and not sys_info.get("little_endian", True):
        raise CheckpointError("big-endian checkpoints are not supported")
    result = _unpickle(stream, storages)
    keys = _unpickle(stream, storages)
    if not isinstance(keys, list):
        raise CheckpointError("corrupt checkpoint: no storage key list")
    for key in keys:
        ref = storages.get(str(key))
        header = stream.read(8)
        if ref is None or len(header) != 8:
            raise CheckpointError(f"corrupt checkpoint: storage {key} missing")
        (count,) = struct.unpack("<q", header)
        raw = stream.read(count * ref.dtype.itemsize)
        if count < 0 or len(raw) != count * ref.dtype.itemsize:
            raise CheckpointError(f"corrupt checkpoint: storage {key} truncated")
        ref.data = np.frombuffer(raw, dtype=ref.dtype)
    return result


def _read_zip(data: bytes) -> Any:
    storages: dict[str, _StorageRef] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            pickles = [n for n in names if n.endswith("/data.pkl") or n == "data.pkl"]
            if len(pickles) != 1:
                raise CheckpointError("zip checkpoint without exactly one data.pkl")
            prefix = pickles[0][: -len("data.pkl")]
            with archive.open(pickles[0]) as handle:
                result = _unpickle(io.BytesIO(handle.read()), storages)
            for key, ref in storages.items():
                name = f"{prefix}data/{key}"
                if name not in names:
                    raise CheckpointError(f"corrupt checkpoint: storage {key} missing")
                raw = archive.read(name)
                if len(raw) % ref.dtype.itemsize:
                    raise CheckpointError(f"corrupt checkpoint: storage {key} truncated")
                ref.data = np.frombuffer(raw, dtype=ref.dtype)
    except zipfile.BadZipFile as exc:
        raise CheckpointError(f"corrupt checkpoint: {exc}") from exc
    return result


def load_checkpoint(source: str | Path | bytes) -> Any:
    """The checkpoint's object with every tensor as a numpy array (a state dict, usually)."""
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    reader = _read_zip if data[:4] == b"PK\x03\x04" else _read_legacy
    return _resolve(reader(data))


def load_state_dict(
    source: str | Path | bytes, *, strip_prefix: str = "module."
) -> dict[str, Array]:
    """A checkpoint's ``name -> array`` state dict, without the DataParallel ``module.`` prefix."""
    loaded = load_checkpoint(source)
    if isinstance(loaded, dict) and "state_dict" in loaded:
        loaded = loaded["state_dict"]
    if not isinstance(loaded, dict):
        raise CheckpointError("checkpoint does not hold a state dict")
    state: dict[str, Array] = {}
    for key, value in loaded.items():
        if not isinstance(value, np.ndarray):
            continue
        name = str(key)
        state[
            name[len(strip_prefix) :] if strip_prefix and name.startswith(strip_prefix) else name
        ] = value
    return state
