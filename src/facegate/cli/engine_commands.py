"""Engine commands: look at faces without storing anything (no embedding is written to disk)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.table import Table

from facegate.cli.output import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    EXIT_REFUSED,
    console,
    emit_json,
    fail,
    progress_bars,
    say,
)
from facegate.engine import EngineConfig, EngineError, FaceEngine, embed_many
from facegate.engine.compare import compare
from facegate.engine.dlib_models import ResNetEmbedder
from facegate.engine.engine import BACKENDS
from facegate.engine.liveness import PassiveLiveness, check_single_face

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp"}

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
DetectorOption = Annotated[
    str, typer.Option("--detector", help="hog (fast) or cnn (dlib's MMOD CNN, slower).")
]
BackendOption = Annotated[
    str,
    typer.Option(
        "--backend", help="onnxruntime (dlib's models converted to ONNX) or dlib (the reference)."
    ),
]


def _bad_input(message: str) -> NoReturn:
    console.print(
        say("cli.error", code="bad_input", message=message),
        style="red",
        highlight=False,
        markup=False,
    )
    raise typer.Exit(EXIT_BAD_INPUT)


def _engine(
    detector: str = "hog", threshold: float | None = None, backend: str = "onnxruntime"
) -> FaceEngine:
    if backend not in BACKENDS:
        _bad_input(say("cli.engine.backend", backends=", ".join(BACKENDS)))
    return FaceEngine(EngineConfig(detector=detector, threshold=threshold, backend=backend))


def detect(
    image: Annotated[Path, typer.Argument(help="A JPEG, PNG, WebP or BMP photo.")],
    as_json: JsonOption = False,
    detector: DetectorOption = "hog",
    backend: BackendOption = "onnxruntime",
) -> None:
    """Find faces: boxes, five landmarks and quality checks."""
    try:
        faces = _engine(detector, backend=backend).detect(image)
    except EngineError as exc:
        fail(exc, as_json=as_json)
    if as_json:
        emit_json({"image": str(image), "faces": [face.to_dict() for face in faces]})
        return
    if not faces:
        console.print(say("cli.detect.none", image=image), highlight=False)
        return
    table = Table(title=say("cli.detect.title", image=image, count=len(faces)))
    for column in ("number", "box", "eyes", "sharpness", "light", "quality"):
        table.add_column(say(f"cli.detect.column.{column}"))
    for number, face in enumerate(faces, 1):
        q = face.quality
        b = face.box
        table.add_row(
            str(number),
            f"{b.left},{b.top},{b.right},{b.bottom}",
            f"{q.eye_distance:.0f}",
            f"{q.sharpness:.0f}",
            f"{q.brightness:.0f}",
            say("cli.detect.ok") if q.ok else "; ".join(q.hints),
        )
    console.print(table)


def compare_images(
    image_a: Annotated[Path, typer.Argument(help="Photo of one person.")],
    image_b: Annotated[Path, typer.Argument(help="Photo of one person.")],
    as_json: JsonOption = False,
    threshold: Annotated[
        float | None, typer.Option(help="Distance at or below which it is the same person.")
    ] = None,
    detector: DetectorOption = "hog",
    backend: BackendOption = "onnxruntime",
) -> None:
    """Compare the faces of two photos (each must show exactly one face)."""
    engine = _engine(detector, threshold, backend)
    try:
        result = engine.compare_images(image_a, image_b)
    except EngineError as exc:
        fail(exc, as_json=as_json)
    if as_json:
        emit_json({**result.to_dict(), "backend": engine.backend})
        return
    console.print(
        say(
            "cli.compare.same" if result.same_person else "cli.compare.different",
            distance=f"{result.distance:.3f}",
            threshold=result.threshold,
            similarity=f"{result.similarity:.2f}",
            model=result.model,
            backend=engine.backend,
        ),
        style="green" if result.same_person else "yellow",
        highlight=False,
        markup=False,
    )


def liveness(
    image: Annotated[Path, typer.Argument(help="A photo of one face, as the camera took it.")],
    as_json: JsonOption = False,
    threshold: Annotated[
        float | None, typer.Option(help="Live-class probability at or above which it is live.")
    ] = None,
) -> None:
    """Is the face a live person, or a printed or on-screen photo? (exit 0 live, 1 attack)"""
    try:
        checker = PassiveLiveness() if threshold is None else PassiveLiveness(threshold=threshold)
        result = check_single_face(_engine(), checker, image)
    except EngineError as exc:
        fail(exc, as_json=as_json)
    if as_json:
        emit_json(result.to_dict())
    else:
        console.print(
            say(
                "cli.liveness.live" if result.live else "cli.liveness.attack",
                score=f"{result.score:.3f}",
                threshold=result.threshold,
                model=result.model,
            ),
            style="green" if result.live else "red",
            highlight=False,
            markup=False,
        )
    raise typer.Exit(EXIT_OK if result.live else EXIT_REFUSED)


def check_photos(
    folder: Annotated[Path, typer.Argument(help="A folder of enrolment photos.")],
    workers: Annotated[int, typer.Option(help="Processes (one per core).")] = 2,
    as_json: JsonOption = False,
    backend: BackendOption = "onnxruntime",
) -> None:
    """Check a folder of enrolment photos: usable or why not, and the same person twice.

    A photo is usable with exactly one face of good quality. Embeddings stay in memory.
    """
    if not folder.is_dir():
        _bad_input(say("cli.engine.not_a_folder", folder=folder))
    paths = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if backend not in BACKENDS:
        _bad_input(say("cli.engine.backend", backends=", ".join(BACKENDS)))
    engine_config = EngineConfig(backend=backend)
    items = []
    with progress_bars(console, quiet=as_json, label=say("cli.check.progress")) as progress:
        task = progress.add_task("photos", total=len(paths))
        for item in embed_many(paths, workers=workers, config=engine_config):
            items.append(item)
            progress.advance(task)

    threshold = engine_config.threshold or ResNetEmbedder.default_threshold
    rows = []
    usable = []
    for item in items:
        if not item.ok:
            rows.append({"photo": str(item.path), "usable": False, "reason": item.error_code})
        elif len(item.faces) != 1:
            reason = "no_face" if not item.faces else "multiple_faces"
            rows.append({"photo": str(item.path), "usable": False, "reason": reason})
        elif not item.faces[0].face.quality.ok:
            failed = ",".join(item.faces[0].face.quality.failed)
            rows.append({"photo": str(item.path), "usable": False, "reason": failed})
        else:
            rows.append({"photo": str(item.path), "usable": True, "reason": ""})
            usable.append(item)
    same = []
    for i, first in enumerate(usable):
        for second in usable[i + 1 :]:
            result = compare(first.faces[0].embedding, second.faces[0].embedding, threshold)
            if result.same_person:
                same.append([str(first.path), str(second.path), round(result.distance, 3)])
    if as_json:
        emit_json({"photos": rows, "same_person_pairs": same})
        raise typer.Exit(EXIT_OK)
    table = Table(title=say("cli.check.title", usable=len(usable), total=len(rows)))
    for column in ("photo", "usable", "reason"):
        table.add_column(say(f"cli.check.column.{column}"))
    for row in rows:
        usable_cell = say("cli.yes") if row["usable"] else say("cli.no")
        table.add_row(str(row["photo"]), usable_cell, str(row["reason"]))
    console.print(table)
    for a, b, d in same:
        console.print(say("cli.check.same", a=a, b=b, distance=d), highlight=False)
