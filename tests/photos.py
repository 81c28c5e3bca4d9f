"""Test images derived in code from the fixture photos: several faces, none, rotated, broken."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

FIXTURES = Path(__file__).parent / "fixtures"


def photo(name: str) -> Image.Image:
    with Image.open(FIXTURES / name) as image:
        return image.copy()


def encode(image: Image.Image, fmt: str = "JPEG", **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def two_people() -> bytes:
    """Obama and Biden side by side, at the same height."""
    left, right = photo("obama_1.jpg"), photo("biden.jpg")
    height = 600
    left = left.resize((round(left.width * height / left.height), height))
    right = right.resize((round(right.width * height / right.height), height))
    canvas = Image.new("RGB", (left.width + right.width, height), "white")
    canvas.paste(left, (0, 0))
    canvas.paste(right, (left.width, 0))
    return encode(canvas)


def no_face() -> bytes:
    """A smooth gradient with some noise: an image, but nobody in it."""
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:480, 0:640]
    base = (x / 640 * 180 + y / 480 * 60).astype(np.float64)
    pixels = np.clip(base[..., None] + rng.normal(0, 8, (480, 640, 3)), 0, 255).astype(np.uint8)
    return encode(Image.fromarray(pixels))


def rotated_with_exif() -> bytes:
    """Pixels stored sideways with EXIF orientation 6 ("rotate 90 clockwise to display")."""
    upright = photo("obama_1.jpg")
    sideways = upright.transpose(Image.Transpose.ROTATE_90)  # counter-clockwise
    exif = Image.Exif()
    exif[0x0112] = 6
    return encode(sideways, exif=exif.tobytes())


def rotated_without_exif() -> bytes:
    return encode(photo("obama_1.jpg").transpose(Image.Transpose.ROTATE_90))


def sixteen_bit_png() -> bytes:
    """The RGBA fixture as a 16-bit greyscale PNG."""
    grey = np.asarray(photo("obama_rgba.png").convert("L"), dtype=np.uint16) * 257
    image = Image.fromarray(grey)
    assert image.mode == "I;16"
    return encode(image, "PNG")


def blurred() -> bytes:
    return encode(photo("obama_1.jpg").filter(ImageFilter.GaussianBlur(4)))


def dark() -> bytes:
    pixels = (np.asarray(photo("obama_1.jpg"), dtype=np.float64) * 0.2).astype(np.uint8)
    return encode(Image.fromarray(pixels), quality=95)


def corrupt() -> bytes:
    return bytes(np.random.default_rng(3).integers(0, 256, 50_000, dtype=np.uint8))


def truncated() -> bytes:
    data = (FIXTURES / "obama_1.jpg").read_bytes()
    return data[: len(data) // 2]


def huge_png(width: int = 30_000, height: int = 30_000) -> bytes:
    """A valid 1-bit PNG of width x height white pixels, built row by row so that making it
    never holds the decoded image (about 110 MB raw, a few hundred KB compressed)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(row * 1000) for _ in range(height // 1000)]
    parts.append(compressor.compress(row * (height % 1000)))
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", b"".join(parts))
        + chunk(b"IEND", b"")
    )
