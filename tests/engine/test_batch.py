"""Batch embedding on two processes gives what one process gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from facegate.engine import FaceEngine, embed_many


def test_two_workers_match_in_process(
    engine: FaceEngine, fixtures_dir: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not an image")
    paths = [fixtures_dir / "obama_1.jpg", broken, fixtures_dir / "biden.jpg"]
    seen: list[Path] = []
    items = list(embed_many(paths, workers=2, on_done=lambda item: seen.append(item.path)))
    assert [item.path for item in items] == paths == seen
    assert items[1].error_code == "image_unreadable"
    assert not items[1].ok
    for item in (items[0], items[2]):
        assert len(item.faces) == 1
        expected = engine.single_face(item.path).embedding.vector
        assert np.allclose(item.faces[0].embedding.vector, expected, atol=1e-5)
