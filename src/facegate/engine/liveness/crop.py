"""The patch a MiniFASNet looks at: the face box scaled about its centre, kept inside the image,
resized to the network's input.

This follows the upstream reference (``generate_patches.py``): the box is scaled by the model's
factor (2.7 or 4.0, less when the image is too small for it), shifted back inside the image
when it sticks out, cut with inclusive integer corners, and resized with bilinear
interpolation that samples at pixel centres and does not pre-filter (what OpenCV's
``INTER_LINEAR`` does; a print's fine texture, which an anti-aliasing filter would blur, is part
of what the networks learnt to see).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from facegate.engine.types import Box, RGBImage


def scaled_box(width: int, height: int, box: Box, scale: float) -> tuple[int, int, int, int]:
    """Inclusive (left, top, right, bottom) of the patch for ``box`` at ``scale``."""
    x, y = box.left, box.top
    box_w, box_h = max(1, box.width + 1), max(1, box.height + 1)  # dlib boxes are inclusive
    scale = min((height - 1) / box_h, (width - 1) / box_w, scale)
    new_w, new_h = box_w * scale, box_h * scale
    centre_x, centre_y = x + box_w / 2, y + box_h / 2
    left, top = centre_x - new_w / 2, centre_y - new_h / 2
    right, bottom = centre_x + new_w / 2, centre_y + new_h / 2
    if left < 0:
        right -= left
        left = 0
    if top < 0:
        bottom -= top
        top = 0
    if right > width - 1:
        left -= right - width + 1
        right = width - 1
    if bottom > height - 1:
        top -= bottom - height + 1
        bottom = height - 1
    return int(left), int(top), int(right), int(bottom)


def _axis(
    src: int, dst: int
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.float32]]:
    """Source indices either side of each destination pixel centre and the weight of the second."""
    scale = src / dst
    position = (np.arange(dst, dtype=np.float64) + 0.5) * scale - 0.5
    lower = np.floor(position)
    frac = position - lower
    lower_i = lower.astype(np.intp)
    frac = np.where(lower_i < 0, 0.0, frac)
    lower_i = np.clip(lower_i, 0, src - 1)
    frac = np.where(lower_i >= src - 1, 0.0, frac)
    upper_i = np.minimum(lower_i + 1, src - 1)
    return lower_i, upper_i, frac.astype(np.float32)


def resize_bilinear(image: RGBImage, width: int, height: int) -> RGBImage:
    """Bilinear resize sampling at pixel centres, without anti-aliasing, rounded to uint8.

    Only the source pixels that are sampled are read (four per output pixel), so the cost does
    not grow with the size of the region."""
    src_h, src_w = image.shape[:2]
    y0, y1, fy = _axis(src_h, height)
    x0, x1, fx = _axis(src_w, width)

    def taken(rows: npt.NDArray[np.intp], cols: npt.NDArray[np.intp]) -> npt.NDArray[np.float32]:
        return image[np.ix_(rows, cols)].astype(np.float32)

    fx3 = fx[None, :, None]
    top = taken(y0, x0) * (1 - fx3) + taken(y0, x1) * fx3
    bottom = taken(y1, x0) * (1 - fx3) + taken(y1, x1) * fx3
    fy3 = fy[:, None, None]
    out = top * (1 - fy3) + bottom * fy3
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def patch(image: RGBImage, box: Box, scale: float, size: tuple[int, int]) -> RGBImage:
    """The ``size`` (height, width) patch around ``box`` at ``scale``."""
    height, width = image.shape[:2]
    left, top, right, bottom = scaled_box(width, height, box, scale)
    region = image[top : bottom + 1, left : right + 1]
    return resize_bilinear(region, size[1], size[0])
