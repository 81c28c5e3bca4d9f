"""Helpers for the browser tests: a fake camera video from a fixture photo, a live server, and
Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import uvicorn
from PIL import Image

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DOCS_SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "docs" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def letterbox(photo: Path, width: int = 640, height: int = 480) -> Image.Image:
    """The photo scaled to fit ``width`` x ``height`` without distortion, on a grey canvas (a
    stretched face is not detected)."""
    with Image.open(photo) as source:
        image = source.convert("RGB")
    scale = min(width / image.width, height / image.height)
    size = (round(image.width * scale), round(image.height * scale))
    canvas = Image.new("RGB", (width, height), (128, 128, 128))
    canvas.paste(image.resize(size, Image.Resampling.LANCZOS), ((width - size[0]) // 2, 0))
    return canvas


def write_y4m(image: Image.Image, path: Path, frames: int = 2) -> Path:
    """A YUV4MPEG2 video (4:2:0, full-range BT.601) repeating ``image``: what Chromium's fake
    camera plays with ``--use-file-for-fake-video-capture``."""
    rgb = np.asarray(image, dtype=np.float64)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    u = -0.168736 * r - 0.331264 * g + 0.5 * b + 128
    v = 0.5 * r - 0.418688 * g - 0.081312 * b + 128

    def plane(values: np.ndarray, sub: bool) -> bytes:
        if sub:
            h, w = values.shape
            values = values.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
        return bytes(np.clip(np.rint(values), 0, 255).astype(np.uint8).tobytes())

    frame = b"FRAME\n" + plane(y, False) + plane(u, True) + plane(v, True)
    header = f"YUV4MPEG2 W{image.width} H{image.height} F30:1 Ip A1:1 C420jpeg\n".encode()
    path.write_bytes(header + frame * frames)
    return path


def screenshot_dir(scratch: Path) -> Path:
    """Where the tests save their screenshots: ``docs/screenshots`` when
    ``FACEGATE_SCREENSHOTS=1`` (to refresh the committed ones), else a scratch directory."""
    return DOCS_SCREENSHOTS if os.environ.get("FACEGATE_SCREENSHOTS") == "1" else scratch


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(app: object) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port; yields the base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def form_token(html: str) -> str:
    """The CSRF token a page's form carries."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)
