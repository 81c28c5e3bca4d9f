"""A pure-Python reader of dlib's serialisation format (``dlib/serialize.h``, ``dlib/dnn``).

Only what dlib's DNN model files use: integers, scalar floats, strings, booleans and tensors.

- An integer is one control byte (low 4 bits: how many bytes follow; 0x80: negative) and then
  that many bytes, little-endian.
- A scalar ``float``/``double`` is two integers, a mantissa and an exponent: ``m * 2**e``.
- A string is its length (an integer) and then its bytes. A ``bool`` is one byte, ``'0'``/``'1'``.
- A tensor is a version (2), then ``n, k, nr, nc`` and ``n*k*nr*nc`` little-endian float32.
  An ``alias_tensor`` (a view into a layer's parameter tensor) is a version (1) and its shape.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float32]


class DlibFormatError(ValueError):
    """The file is not what the reader expected at this position."""


@dataclass(frozen=True)
class Shape4:
    n: int
    k: int
    nr: int
    nc: int

    @property
    def size(self) -> int:
        return self.n * self.k * self.nr * self.nc


class DlibReader:
    """Reads dlib-serialised values from a bytes buffer, front to back."""

    def __init__(self, data: bytes) -> None:
        self._data = memoryview(data)
        self.pos = 0

    @property
    def at_end(self) -> bool:
        return self.pos >= len(self._data)

    def _take(self, count: int) -> memoryview:
        if self.pos + count > len(self._data):
            raise DlibFormatError(f"unexpected end of file at byte {self.pos}")
        chunk = self._data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def integer(self) -> int:
        control = self._take(1)[0]
        size = control & 0x0F
        if size > 8:
            raise DlibFormatError(f"bad integer control byte {control:#x} at byte {self.pos - 1}")
        value = int.from_bytes(self._take(size), "little") if size else 0
        return -value if control & 0x80 else value

    def real(self) -> float:
        """A scalar float or double, stored as mantissa and exponent."""
        mantissa = self.integer()
        exponent = self.integer()
        # dlib marks the special values with out-of-range exponents (float_details).
        if exponent == 32000:
            return math.inf if mantissa >= 0 else -math.inf
        if exponent == 32001:
            return math.nan
        return math.ldexp(float(mantissa), exponent)

    def string(self) -> str:
        length = self.integer()
        if length < 0 or length > 1 << 20:
            raise DlibFormatError(f"implausible string length {length} at byte {self.pos}")
        return bytes(self._take(length)).decode("latin-1")

    def boolean(self) -> bool:
        byte = self._take(1)[0]
        if byte not in (ord("0"), ord("1")):
            raise DlibFormatError(f"bad bool byte {byte:#x} at byte {self.pos - 1}")
        return byte == ord("1")

    def expect_string(self, *names: str) -> str:
        at = self.pos
        name = self.string()
        if name not in names:
            raise DlibFormatError(f"expected {' or '.join(names)} at byte {at}, found {name!r}")
        return name

    def expect_version(self, *versions: int) -> int:
        at = self.pos
        version = self.integer()
        if version not in versions:
            raise DlibFormatError(f"expected version {versions} at byte {at}, found {version}")
        return version

    def shape(self) -> Shape4:
        return Shape4(self.integer(), self.integer(), self.integer(), self.integer())

    def tensor(self) -> Floats:
        """A tensor's values as a (n, k, nr, nc) float32 array."""
        self.expect_version(2)
        shape = self.shape()
        raw = self._take(4 * shape.size)
        values = np.frombuffer(raw, dtype="<f4").astype(np.float32)
        return values.reshape(shape.n, shape.k, shape.nr, shape.nc)

    def alias_tensor(self) -> Shape4:
        self.expect_version(1)
        return self.shape()


def split_params(params: Floats, *shapes: Shape4) -> list[Floats]:
    """Cut a layer's flat parameter tensor into consecutive pieces of the given shapes."""
    flat = params.reshape(-1)
    pieces = []
    offset = 0
    for shape in shapes:
        pieces.append(
            flat[offset : offset + shape.size].reshape(shape.n, shape.k, shape.nr, shape.nc)
        )
        offset += shape.size
    if offset != flat.size:
        raise DlibFormatError(f"parameter tensor holds {flat.size} values; the aliases {offset}")
    return pieces
