"""dlib's MMOD CNN face detector on onnxruntime.

The network (``mmod_human_face_detector.dat``) runs as an ONNX graph; what dlib does around it
is done here in numpy, following dlib's source:

- ``input_rgb_image_pyramid<pyramid_down<6>>``: the image and its pyramid (each level 5/6 of
  the one before, made from it by bilinear resizing with the corners aligned, down to 5 rows)
  tiled into one zero-filled plane (``compute_tiled_image_pyramid_details``, padding 10 between
  tiles, 11 around), in dlib's input space ``(pixel - mean) / 256``.
- ``loss_mmod_::to_label``: every output location scoring above 0 is a detection window
  (80x80 here) centred where the network maps that location back in its input
  (``8 * p + 14`` for this network: three 5x5 stride-2 convolutions), mapped from its pyramid
  tile back to the image (``point_up``: ``p * 6/5 + 0.3`` per level), rounded to whole pixels
  (half away from zero, as dlib 20 converts a ``drectangle``);
  then, best first, each window overlapping a kept one (``test_box_overlap``) is dropped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image

from facegate.engine.dlib_models import MMOD_FILE, model_path
from facegate.engine.onnx.convert import converted, mmod_network
from facegate.engine.onnx.runtime import session
from facegate.engine.protocols import Detection
from facegate.engine.types import Box, RGBImage

PYRAMID_N = 6  # pyramid_down<6>
MIN_LEVEL_ROWS = 5
_UNSIGNED = 1 << 64

Rect = tuple[int, int, int, int]  # dlib rectangle: left, top, right, bottom (inclusive)
Planes = npt.NDArray[np.float32]


def _width(rect: Rect) -> int:
    return rect[2] - rect[0] + 1


def _height(rect: Rect) -> int:
    return rect[3] - rect[1] + 1


def pyramid_rects(rows: int, columns: int, padding: int, outer: int) -> tuple[list[Rect], int, int]:
    """Where each pyramid level sits in the tiled plane, and the plane's rows and columns
    (dlib's ``impl::compute_tiled_image_pyramid_details``, unsigned arithmetic included)."""
    if rows * columns == 0:
        return [], 0, 0
    rate = (PYRAMID_N - 1.0) / PYRAMID_N
    rects: list[Rect] = [(0, 0, columns - 1, rows - 1)]
    nr, nc = rows, columns
    while True:
        nr, nc = math.floor(rate * nr), math.floor(rate * nc)
        if nr * nc == 0 or nr < MIN_LEVEL_ROWS:
            break
        rects.append((0, 0, nc - 1, nr - 1))
    first_w, first_h = _width(rects[0]), _height(rects[0])
    total_height = sum(_height(r) + padding for r in rects) - padding * 2
    height = 0
    previous_width = 0
    for rect in rects:
        room = (first_w - previous_width - padding) % _UNSIGNED
        tall_enough = ((height - first_h) * 2) % _UNSIGNED >= (total_height - first_h) % _UNSIGNED
        if _width(rect) <= room and tall_enough:
            break
        height += _height(rect) + padding
        previous_width = _width(rect)
    height -= padding
    width = first_w
    plane_rows, plane_columns = height + outer * 2, width + outer * 2

    placed: list[Rect] = []
    y = outer
    i = 0
    while y < height + outer and i < len(rects):
        left, top, right, bottom = rects[i]
        placed.append((left + outer, top + y, right + outer, bottom + y))
        y += _height(rects[i]) + padding
        i += 1
    y -= padding
    while i < len(rects):
        w, h = _width(rects[i]), _height(rects[i])
        rect = (outer + width - w, y - h, outer + width - 1, y - 1)
        if _intersects(placed[0], rect):
            break
        placed.append(rect)
        y -= h + padding
        i += 1
    return placed, plane_rows, plane_columns


def _intersects(a: Rect, b: Rect) -> bool:
    return max(a[0], b[0]) <= min(a[2], b[2]) and max(a[1], b[1]) <= min(a[3], b[3])


def resize_bilinear(source: Planes, rows: int, columns: int) -> Planes:
    """dlib's ``resize_image`` with ``interpolate_bilinear`` on float planes (C, H, W): the
    corners of both images align, ``scale = (in - 1) / (out - 1)``."""
    in_rows, in_columns = source.shape[1:]
    y = np.arange(rows) * ((in_rows - 1) / max(rows - 1, 1))
    x = np.arange(columns) * ((in_columns - 1) / max(columns - 1, 1))
    top = np.floor(y).astype(np.int64)
    left = np.floor(x).astype(np.int64)
    bottom = np.minimum(top + 1, in_rows - 1)
    right = np.minimum(left + 1, in_columns - 1)
    ty = (y - top)[:, None]
    tx = (x - left)[None, :]
    data = source.astype(np.float64)
    upper = data[:, top]
    lower = data[:, bottom]
    tl, tr = upper[:, :, left], upper[:, :, right]
    bl, br = lower[:, :, left], lower[:, :, right]
    out = (1 - ty) * ((1 - tx) * tl + tx * tr) + ty * ((1 - tx) * bl + tx * br)
    result: Planes = out.astype(np.float32)
    return result


def tiled_pyramid(
    image: RGBImage, means: tuple[float, float, float], padding: int, outer: int
) -> tuple[Planes, list[Rect]]:
    """dlib's input tensor for ``image`` (1, 3, rows, columns) and the tiles' rectangles."""
    rows, columns = image.shape[:2]
    rects, plane_rows, plane_columns = pyramid_rects(rows, columns, padding, outer)
    plane = np.zeros((1, 3, plane_rows, plane_columns), dtype=np.float32)
    if not rects:
        return plane, rects
    mean = np.array(means, dtype=np.float32).reshape(3, 1, 1)
    level = (np.transpose(image, (2, 0, 1)).astype(np.float32) - mean) / np.float32(256)
    left, top, right, bottom = rects[0]
    plane[0, :, top : bottom + 1, left : right + 1] = level
    for rect in rects[1:]:
        left, top, right, bottom = rect
        level = resize_bilinear(level, bottom - top + 1, right - left + 1)
        plane[0, :, top : bottom + 1, left : right + 1] = level
    return plane, rects


def _nearest_rect(rects: list[Rect], x: float, y: float) -> int:
    # dlib converts the centre to an integer point (rounding) before looking.
    px, py = math.floor(x + 0.5), math.floor(y + 0.5)
    best, best_distance = 0, math.inf
    for index, (left, top, right, bottom) in enumerate(rects):
        if left <= px <= right and top <= py <= bottom:
            return index
        nx = min(max(px, left), right)
        ny = min(max(py, top), bottom)
        distance = math.hypot(nx - px, ny - py)
        if distance < best_distance:
            best, best_distance = index, distance
    return best


def _point_up(x: float, y: float, levels: int) -> tuple[float, float]:
    ratio = PYRAMID_N / (PYRAMID_N - 1.0)
    for _ in range(levels):
        x, y = x * ratio + 0.3, y * ratio + 0.3
    return x, y


def _round(value: float) -> int:
    """dlib's conversion of a ``drectangle`` side to a whole pixel: half away from zero, so
    -4.5 becomes -5 (not -4) on a box that starts outside the image."""
    return int(math.copysign(math.floor(abs(value) + 0.5), value))


def _area(rect: Rect) -> int:
    return max(0, _width(rect)) * max(0, _height(rect))


def _overlaps(a: Rect, b: Rect, iou: float, covered: float) -> bool:
    """dlib's ``test_box_overlap``: the "union" is the bounding box of both."""
    inner_rect = (max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]))
    if inner_rect[0] > inner_rect[2] or inner_rect[1] > inner_rect[3]:
        return False
    inner = _area(inner_rect)
    if inner == 0:
        return False
    outer = _area((min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])))
    return inner / outer > iou or inner / _area(a) > covered or inner / _area(b) > covered


@dataclass(frozen=True)
class MmodSettings:
    window: tuple[int, int]  # width, height
    nms_iou: float
    nms_covered: float
    means: tuple[float, float, float]
    padding: int
    outer_padding: int
    stride: int  # the network's output-to-input mapping: input = stride * p + offset
    offset: float


def detections_from_scores(
    scores: npt.NDArray[np.float32],
    rects: list[Rect],
    settings: MmodSettings,
    threshold: float = 0.0,
) -> list[Detection]:
    rows, columns = np.nonzero(scores > threshold)
    found: list[tuple[float, Rect]] = []
    half_w = (settings.window[0] - 1) / 2
    half_h = (settings.window[1] - 1) / 2
    for r, c in zip(rows.tolist(), columns.tolist(), strict=True):
        cx = c * settings.stride + settings.offset
        cy = r * settings.stride + settings.offset
        level = _nearest_rect(rects, cx, cy)
        origin_x, origin_y = rects[level][0], rects[level][1]
        left, top = _point_up(cx - half_w - origin_x, cy - half_h - origin_y, level)
        right, bottom = _point_up(cx + half_w - origin_x, cy + half_h - origin_y, level)
        rect = (_round(left), _round(top), _round(right), _round(bottom))
        found.append((float(scores[r, c]), rect))
    found.sort(key=lambda item: item[0], reverse=True)
    kept: list[tuple[float, Rect]] = []
    for score, rect in found:
        if any(_overlaps(k, rect, settings.nms_iou, settings.nms_covered) for _, k in kept):
            continue
        kept.append((score, rect))
    return [Detection(Box(*rect), score) for score, rect in kept]


class OnnxMmodDetector:
    """The MMOD CNN on onnxruntime, with dlib's pyramid and box mapping in numpy.

    ``upsample`` doubles the image that many times first (Pillow's bilinear resize; dlib uses
    its own ``pyramid_up``, so only ``upsample=0`` is box-for-box identical to dlib's)."""

    name = "dlib-mmod"
    backend = "onnxruntime"

    def __init__(self, *, threads: int = 1, cache: Path | None = None) -> None:
        source = Path(model_path(MMOD_FILE))
        network = mmod_network(source.read_bytes())
        options = network.loss_options
        if len(network.detector_windows) != 1:
            raise ValueError("the MMOD detector must have exactly one detector window")
        self.settings = MmodSettings(
            window=network.detector_windows[0],
            nms_iou=options["nms_iou_thresh"],
            nms_covered=options["nms_percent_covered_thresh"],
            means=network.input.means,
            padding=network.input.pyramid_padding,
            outer_padding=network.input.pyramid_outer_padding,
            stride=8,
            offset=14,
        )
        self._session = session(converted(source, cache), threads)

    def plane_pixels(self, rows: int, columns: int) -> int:
        """The size of the tiled pyramid plane for an image: what the network's cost scales with."""
        _, plane_rows, plane_columns = pyramid_rects(
            rows, columns, self.settings.padding, self.settings.outer_padding
        )
        return plane_rows * plane_columns

    def scores(self, image: RGBImage) -> tuple[npt.NDArray[np.float32], list[Rect]]:
        plane, rects = tiled_pyramid(
            image, self.settings.means, self.settings.padding, self.settings.outer_padding
        )
        (out,) = self._session.run(None, {"images": plane})
        return np.asarray(out[0, 0], dtype=np.float32), rects

    def detect(self, image: RGBImage, upsample: int = 0) -> list[Detection]:
        factor = 2**upsample
        if upsample > 0:
            height, width = image.shape[:2]
            image = np.asarray(
                Image.fromarray(image).resize(
                    (width * factor, height * factor), Image.Resampling.BILINEAR
                )
            )
        scores, rects = self.scores(image)
        if not rects:
            return []
        found = detections_from_scores(scores, rects, self.settings)
        if factor == 1:
            return found
        return [Detection(d.box.scaled(1 / factor), d.score) for d in found]
