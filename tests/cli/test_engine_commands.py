"""The engine commands as a user runs them: `facegate detect` and `facegate compare`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import photos
from facegate.cli import app

runner = CliRunner()


def test_compare_json_is_exactly_the_documented_object(fixtures_dir: Path) -> None:
    result = runner.invoke(
        app,
        ["compare", str(fixtures_dir / "obama_1.jpg"), str(fixtures_dir / "obama_2.jpg"), "--json"],
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert set(body) == {"distance", "similarity", "same_person", "threshold", "model", "backend"}
    assert body["same_person"] is True
    assert body["threshold"] == 0.6
    assert body["model"] == "dlib-resnet-v1"
    assert body["backend"] == "onnxruntime"
    assert isinstance(body["distance"], float)
    assert 0.5 < body["similarity"] <= 1.0


def test_compare_verdicts_and_distances_are_the_same_on_either_backend(
    fixtures_dir: Path,
) -> None:
    seen: dict[str, dict[str, tuple[bool, float]]] = {}
    for backend in ("onnxruntime", "dlib"):
        for other in ("obama_2.jpg", "biden.jpg"):
            result = runner.invoke(
                app,
                ["compare", str(fixtures_dir / "obama_1.jpg"), str(fixtures_dir / other),
                 "--json", "--backend", backend],
            )  # fmt: skip
            assert result.exit_code == 0, result.output
            body = json.loads(result.stdout)
            assert body["backend"] == backend
            seen.setdefault(backend, {})[other] = (body["same_person"], body["distance"])
    ours, reference = seen["onnxruntime"], seen["dlib"]
    assert ours["obama_2.jpg"][0] is True and ours["biden.jpg"][0] is False
    for other in ours:
        assert ours[other][0] == reference[other][0]
        assert abs(ours[other][1] - reference[other][1]) <= 1e-4


def test_compare_refuses_an_unknown_backend(fixtures_dir: Path) -> None:
    image = str(fixtures_dir / "obama_1.jpg")
    result = runner.invoke(app, ["compare", image, image, "--backend", "tensorflow"])
    assert result.exit_code == 2


def test_compare_different_people(fixtures_dir: Path) -> None:
    result = runner.invoke(
        app,
        ["compare", str(fixtures_dir / "obama_1.jpg"), str(fixtures_dir / "biden.jpg"), "--json"],
    )
    assert result.exit_code == 0
    assert json.loads(result.stdout)["same_person"] is False


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (photos.corrupt(), "image_unreadable"),
        (photos.no_face(), "no_face"),
        (photos.two_people(), "multiple_faces"),
        (photos.encode(photos.photo("obama_2.jpg"), "GIF"), "unsupported_format"),
    ],
    ids=["corrupt", "no_face", "two_faces", "gif"],
)
def test_compare_bad_input_prints_error_json_and_exits_2(
    fixtures_dir: Path, tmp_path: Path, data: bytes, code: str
) -> None:
    bad = tmp_path / "bad.img"
    bad.write_bytes(data)
    result = runner.invoke(app, ["compare", str(fixtures_dir / "obama_1.jpg"), str(bad), "--json"])
    assert result.exit_code == 2
    body = json.loads(result.stdout)
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]


def test_detect_json_lists_faces_with_quality(fixtures_dir: Path) -> None:
    result = runner.invoke(app, ["detect", str(fixtures_dir / "obama_partial.jpg"), "--json"])
    assert result.exit_code == 0
    faces = json.loads(result.stdout)["faces"]
    assert len(faces) == 1
    assert faces[0]["quality"]["ok"] is False
    assert faces[0]["quality"]["failed_checks"] == ["face_cut_off"]
    assert len(faces[0]["landmarks"]) == 5


def test_console_script_runs_as_installed(fixtures_dir: Path) -> None:
    """The real entry point, in a child process, as a user would type it."""
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "facegate",
            "compare",
            str(fixtures_dir / "obama_3.jpg"),
            str(fixtures_dir / "obama_rgba.png"),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["same_person"] is True


def test_check_photos_reports_usable_and_duplicates(fixtures_dir: Path) -> None:
    result = runner.invoke(app, ["check-photos", str(fixtures_dir), "--workers", "1", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    usable = {Path(row["photo"]).name: row for row in body["photos"]}
    assert usable["obama_partial.jpg"]["usable"] is False
    assert usable["obama_partial.jpg"]["reason"] == "face_cut_off"
    assert usable["biden.jpg"]["usable"] is True
    names = {frozenset(Path(p).name for p in pair[:2]) for pair in body["same_person_pairs"]}
    assert frozenset({"obama_1.jpg", "obama_2.jpg"}) in names
    assert not any("biden.jpg" in pair for pair in names)


def test_demo_runs(fixtures_dir: Path) -> None:
    result = runner.invoke(app, ["demo", "--engine-only", "--photos", str(fixtures_dir)])
    assert result.exit_code == 0, result.output
    assert "Barack Obama" in result.stdout
    assert "face_quality_too_low" in result.stdout
