"""Fixtures for the web tests: one Gate and one live server per module, and Chromium with a
fake camera that shows a fixture photo."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web_support import CHROMIUM, CHROMIUM_ARGS, FIXTURES, letterbox, serve, write_y4m

from facegate.api import create_app
from facegate.config import Settings
from facegate.engine import FaceEngine
from facegate.service import Gate


@pytest.fixture(scope="module")
def web_gate(
    tmp_path_factory: pytest.TempPathFactory, module_database_url: str, engine: FaceEngine
) -> Iterator[Gate]:
    directory = tmp_path_factory.mktemp("web")
    settings = Settings(data_dir=directory / "data", database_url=module_database_url)
    gate = Gate.open(settings, create=True, engine=engine)
    yield gate
    gate.close()


@pytest.fixture(scope="module")
def base_url(web_gate: Gate) -> Iterator[str]:
    with serve(create_app(web_gate)) as url:
        yield url


@pytest.fixture(scope="module")
def camera_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("camera")
    return write_y4m(letterbox(FIXTURES / "obama_1.jpg"), directory / "obama.y4m")


@pytest.fixture(scope="module")
def browser(camera_video: Path) -> Iterator[Any]:
    # `make test` installs both; their absence is a broken setup, not a reason to skip.
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is not installed: run `make install`")
    import playwright.sync_api as playwright_api

    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                *CHROMIUM_ARGS,
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
                f"--use-file-for-fake-video-capture={camera_video}",
            ],
        )
        yield chromium
        chromium.close()
