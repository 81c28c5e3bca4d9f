"""Safe image decoding: size limits before decoding, EXIF orientation, colour normalisation.

A decoded image is an RGB ``uint8`` array of shape (height, width, 3). Limits are checked in
order of cost: the encoded size first, then the pixel count and the aspect ratio read from the
header, and only then is the image decoded, so a decompression bomb is refused without
allocating it.

Decoding is bounded too: an image whose longest side is over ``max_side`` is decoded straight
into a smaller size where the format allows it (JPEG's DCT scaling, "draft" mode) and otherwise
reduced by whole-pixel box averaging (``Image.reduce``) before anything else touches it. A face
needs no more than ``max_side`` pixels to be found, aligned and embedded; faces, boxes and
landmarks are in the coordinates of the decoded image.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from facegate.engine.errors import (
    ImageAspectRatio,
    ImageTooLarge,
    ImageUnreadable,
    UnsupportedFormat,
)
from facegate.engine.types import RGBImage

SUPPORTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "BMP"})

# Pillow's own bomb guard would only warn between 1x and 2x its limit; ours comes first.
Image.MAX_IMAGE_PIXELS = None


@dataclass(frozen=True)
class ImageLimits:
    max_bytes: int = 15 * 1024 * 1024
    max_pixels: int = 40_000_000
    max_side: int = 2048  # longest side after decoding (0: full size)
    max_aspect_ratio: float = 8.0  # longest side over shortest side


DEFAULT_LIMITS = ImageLimits()

ImageSource = bytes | bytearray | memoryview | str | Path


def read_bytes(source: ImageSource, limits: ImageLimits = DEFAULT_LIMITS) -> bytes:
    """Read an image's encoded bytes, refusing anything over the byte limit before reading it."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    elif isinstance(source, str | Path):
        path = Path(source)
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise ImageUnreadable(f"cannot read {path}: {exc.strerror}") from exc
        _check_byte_size(size, limits)
        data = path.read_bytes()
    else:
        raise ImageUnreadable(f"expected image bytes or a path, got {type(source).__name__}")
    _check_byte_size(len(data), limits)
    return data


def _check_byte_size(size: int, limits: ImageLimits) -> None:
    if size > limits.max_bytes:
        raise ImageTooLarge(
            f"image is {size / 1e6:.1f} MB; the limit is {limits.max_bytes / 1e6:.1f} MB",
            details={"bytes": size, "max_bytes": limits.max_bytes},
        )
    if size == 0:
        raise ImageUnreadable("image is empty")


def load_image(source: ImageSource, limits: ImageLimits = DEFAULT_LIMITS) -> RGBImage:
    """Decode an image into an upright RGB ``uint8`` array, within the limits."""
    data = read_bytes(source, limits)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:  # pragma: no cover - guard disabled above
        raise ImageTooLarge(str(exc)) from exc
    except UnidentifiedImageError as exc:
        raise ImageUnreadable("not a readable image (unknown or corrupt data)") from exc
    except (OSError, ValueError, EOFError) as exc:
        # Pillow's parsers raise ValueError for some corrupt headers (a PNG whose IHDR chunk
        # is cut short: found by tests/engine/test_fuzz_images.py).
        raise ImageUnreadable(f"not a readable image: {exc}") from exc

    with image:
        if image.format not in SUPPORTED_FORMATS:
            raise UnsupportedFormat(
                f"{image.format} images are not supported; use JPEG, PNG, WebP or BMP",
                details={"format": image.format},
            )
        width, height = image.size
        if width * height > limits.max_pixels:
            raise ImageTooLarge(
                f"image is {width}x{height} ({width * height / 1e6:.0f} megapixels); "
                f"the limit is {limits.max_pixels / 1e6:.0f} megapixels",
                details={"width": width, "height": height, "max_pixels": limits.max_pixels},
            )
        if max(width, height) > limits.max_aspect_ratio * max(1, min(width, height)):
            raise ImageAspectRatio(
                f"image is {width}x{height}: a side more than {limits.max_aspect_ratio:g} times "
                "the other is not a photo of a face",
                details={"width": width, "height": height, "max_ratio": limits.max_aspect_ratio},
            )
        try:
            bounded = _decode_bounded(image, limits.max_side)
            upright = ImageOps.exif_transpose(bounded)
            return _to_rgb(upright)
        except (OSError, ValueError, SyntaxError, EOFError) as exc:
            raise ImageUnreadable(f"image data is corrupt or truncated: {exc}") from exc


def _decode_bounded(image: Image.Image, max_side: int) -> Image.Image:
    """Decode ``image`` with its longest side at most ``max_side`` (0: full size)."""
    width, height = image.size
    longest = max(width, height)
    if max_side <= 0 or longest <= max_side:
        image.load()
        return image
    if image.format == "JPEG":
        # The decoder scales by 1/2, 1/4 or 1/8 while decoding: never the full size in memory.
        factor = longest / max_side
        image.draft(image.mode, (math.ceil(width / factor), math.ceil(height / factor)))
    image.load()
    factor = math.ceil(max(image.size) / max_side)
    if factor <= 1:
        return image
    if image.mode in ("P", "1", "PA"):
        image = image.convert("RGBA" if _has_alpha(image) else "RGB")
    elif image.mode.startswith("I;16"):
        image = image.convert("I")
    return image.reduce(factor)


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )


def _to_rgb(image: Image.Image) -> RGBImage:
    """Normalise any mode (greyscale, palette, RGBA, 16-bit) to 8-bit RGB."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        raw = np.asarray(image, dtype=np.float64)
        peak = 65535.0 if image.mode.startswith("I;16") or raw.max() > 255 else 255.0
        grey = np.clip(raw / peak * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.stack([grey] * 3, axis=-1))
    if _has_alpha(image):
        # Transparent parts become white: paste onto white through the alpha channel.
        rgba = image if image.mode == "RGBA" else image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return np.ascontiguousarray(np.asarray(background, dtype=np.uint8))
    rgb = image.convert("RGB")
    return np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8))


def image_size(source: ImageSource, limits: ImageLimits = DEFAULT_LIMITS) -> tuple[int, int]:
    """(width, height) from the header alone, without decoding."""
    data = read_bytes(source, limits)
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (UnidentifiedImageError, OSError, ValueError, EOFError) as exc:
        raise ImageUnreadable("not a readable image") from exc
