"""A bounded worst case: decoding into a bounded size, an aspect-ratio cap, a CPU budget for the
face search with a typed error when it runs out."""

from __future__ import annotations

import io
import struct
import time

import numpy as np
import pytest
from PIL import Image

import photos
from facegate.engine import (
    EngineConfig,
    FaceEngine,
    FaceSearchTimeout,
    ImageAspectRatio,
    ImageLimits,
    load_image,
)


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False)
    return out.getvalue()


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small real JPEG whose header (SOF0) claims another size."""
    out = io.BytesIO()
    Image.new("RGB", (64, 16), (120, 90, 60)).save(out, "JPEG")
    data = bytearray(out.getvalue())
    at = data.index(b"\xff\xc0")
    data[at + 5 : at + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def test_a_long_thin_image_is_refused_from_its_header() -> None:
    # 39,000 x 1,000 (mode LA): a tiny file that once took 34 s and 1.2 GB.
    thin = png(Image.new("LA", (39_000, 1_000)))
    start = time.process_time()
    with pytest.raises(ImageAspectRatio) as error:
        load_image(thin)
    assert time.process_time() - start < 0.5
    assert error.value.code == "image_aspect_ratio"
    assert error.value.details["width"] == 39_000


def test_a_jpeg_header_claiming_a_huge_strip_is_refused_before_decoding() -> None:
    with pytest.raises(ImageAspectRatio):
        load_image(jpeg_claiming(40_000, 1_000))


def test_a_big_jpeg_is_decoded_small_by_the_decoder(engine: FaceEngine) -> None:
    big = photos.photo("obama_1.jpg").resize((4000, 5000))
    out = io.BytesIO()
    big.save(out, "JPEG", quality=80)
    image = load_image(out.getvalue())
    assert max(image.shape[:2]) <= 2048
    assert image.shape[:2] == (1250, 1000)  # DCT scaling by 1/4 in the decoder
    assert len(engine.detect(image)) == 1


def test_a_big_png_is_reduced_and_the_limit_is_configurable() -> None:
    square = png(Image.new("RGB", (3000, 3000), (200, 180, 160)))
    assert load_image(square).shape == (1500, 1500, 3)
    assert load_image(square, ImageLimits(max_side=0)).shape == (3000, 3000, 3)


def test_palette_and_sixteen_bit_images_are_reduced_too() -> None:
    palette = Image.new("P", (2500, 2000))
    assert load_image(png(palette)).shape == (1000, 1250, 3)
    deep = Image.fromarray(np.full((2100, 2100), 40000, dtype=np.uint16))
    reduced = load_image(png(deep))
    assert reduced.shape == (1050, 1050, 3)
    assert int(reduced[0, 0, 0]) == round(40000 / 65535 * 255)


def test_the_face_search_stops_at_its_budget_with_a_typed_error() -> None:
    starved = FaceEngine(EngineConfig(time_budget=0.01))
    start = time.process_time()
    with pytest.raises(FaceSearchTimeout) as error:
        starved.detect(photos.no_face())
    assert time.process_time() - start < 0.5
    assert error.value.code == "face_search_timeout"


def test_a_face_found_at_once_is_not_cut_by_the_budget(engine: FaceEngine) -> None:
    starved = FaceEngine(
        EngineConfig(time_budget=0.001),
        detector=engine.detector,
        landmarker=engine.landmarker,
        embedder=engine.embedder,
    )
    assert len(starved.detect(photos.FIXTURES / "obama_1.jpg")) == 1
