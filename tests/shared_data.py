"""Where the team's read-only material (``../shared``) is: beside the checkout, as CI lays it."""

from __future__ import annotations

from pathlib import Path

CANDIDATES = (Path(__file__).resolve().parents[1].parent / "shared", Path("/work/shared"))
SHARED = next((p for p in CANDIDATES if p.is_dir()), CANDIDATES[0])
SILENT_FACE = SHARED / "models" / "silent-face"
SAMPLES = SILENT_FACE / "samples"
NUAA = SHARED / "datasets" / "nuaa"
