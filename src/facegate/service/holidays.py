"""The operator's holiday file (for years the official calendar does not cover yet).

JSON or TOML with ``holidays``, ``workdays`` (ISO dates) and optionally ``years``; its path
is passed explicitly or named by ``FACEGATE_HOLIDAYS_FILE``.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from facegate.law.calendar import HolidayOverrides
from facegate.service.errors import BadRequest

ENV_VAR = "FACEGATE_HOLIDAYS_FILE"


def load_overrides(
    path: Path | str | None = None, env: Mapping[str, str] | None = None
) -> HolidayOverrides | None:
    """The parsed file, or ``None`` when no file is named; ``BadRequest`` if it is unusable."""
    named = path or (os.environ if env is None else env).get(ENV_VAR)
    if not named:
        return None
    file = Path(named)
    try:
        text = file.read_text(encoding="utf-8")
        data: Any = tomllib.loads(text) if file.suffix == ".toml" else json.loads(text)
    except (OSError, ValueError) as exc:
        raise BadRequest(f"holiday file {file}: {exc}") from exc
    if not isinstance(data, dict):
        raise BadRequest(f"holiday file {file}: expected an object with holidays and workdays")
    try:
        return HolidayOverrides.from_mapping(data, source=f"holiday file {file.name}")
    except ValueError as exc:
        raise BadRequest(f"holiday file {file}: {exc}") from exc
