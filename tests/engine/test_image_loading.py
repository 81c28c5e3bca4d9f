"""Safe decoding: formats, colour modes, orientation, and every way an image can be bad."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import photos
from facegate.engine import (
    FaceEngine,
    ImageLimits,
    ImageTooLarge,
    ImageUnreadable,
    UnsupportedFormat,
    load_image,
)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "BMP"])
def test_supported_formats_decode_to_rgb(fmt: str) -> None:
    data = photos.encode(photos.photo("obama_2.jpg"), fmt)
    image = load_image(data)
    assert image.dtype == np.uint8
    assert image.ndim == 3
    assert image.shape[2] == 3


@pytest.mark.parametrize("fmt", ["GIF", "TIFF"])
def test_unsupported_format(fmt: str) -> None:
    data = photos.encode(photos.photo("obama_2.jpg"), fmt)
    with pytest.raises(UnsupportedFormat) as error:
        load_image(data)
    assert error.value.code == "unsupported_format"


def test_rgba_png_is_composited_and_recognised(engine: FaceEngine, fixtures_dir: Path) -> None:
    image = load_image(fixtures_dir / "obama_rgba.png")
    assert image.shape[2] == 3
    assert len(engine.detect(image)) == 1


def test_sixteen_bit_png_is_converted_and_recognised(engine: FaceEngine) -> None:
    image = load_image(photos.sixteen_bit_png())
    assert image.dtype == np.uint8
    assert 60 < image.mean() < 200  # scaled from 16 bits, not clipped to white
    assert len(engine.detect(image)) == 1


def test_greyscale_is_converted() -> None:
    data = photos.encode(photos.photo("obama_2.jpg").convert("L"))
    image = load_image(data)
    assert image.shape[2] == 3
    assert np.array_equal(image[..., 0], image[..., 1])


def test_exif_orientation_is_applied() -> None:
    upright = load_image(photos.encode(photos.photo("obama_1.jpg")))
    turned = load_image(photos.rotated_with_exif())
    assert turned.shape == upright.shape


def test_corrupt_bytes_are_unreadable() -> None:
    with pytest.raises(ImageUnreadable) as error:
        load_image(photos.corrupt())
    assert error.value.code == "image_unreadable"


def test_truncated_jpeg_is_unreadable() -> None:
    with pytest.raises(ImageUnreadable):
        load_image(photos.truncated())


def test_empty_input_and_missing_file_are_unreadable(tmp_path: Path) -> None:
    with pytest.raises(ImageUnreadable):
        load_image(b"")
    with pytest.raises(ImageUnreadable):
        load_image(tmp_path / "absent.jpg")


def test_wrong_type_is_a_clear_error() -> None:
    with pytest.raises(ImageUnreadable, match="expected image bytes or a path"):
        load_image(12345)  # type: ignore[arg-type]


def test_too_many_bytes_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.jpg"
    big.write_bytes(b"\xff" * (2 * 1024 * 1024))
    with pytest.raises(ImageTooLarge) as error:
        load_image(big, ImageLimits(max_bytes=1024 * 1024))
    assert error.value.code == "image_too_large"
    assert error.value.details["bytes"] == 2 * 1024 * 1024


def test_pixel_limit_is_configurable() -> None:
    data = photos.encode(photos.photo("obama_2.jpg"))
    with pytest.raises(ImageTooLarge):
        load_image(data, ImageLimits(max_pixels=10_000))


def test_decompression_bomb_refused_quickly_with_low_memory() -> None:
    bomb = photos.huge_png(30_000, 30_000)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(ImageTooLarge) as error:
            load_image(bomb)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert error.value.details == {"width": 30_000, "height": 30_000, "max_pixels": 40_000_000}
    # Decoding would need 900 MB (3.6 GB as RGB); refusing it must cost next to nothing.
    assert peak < 5 * 1024 * 1024, f"peak {peak} bytes"
    assert elapsed < 2.0, f"took {elapsed:.2f} s"
