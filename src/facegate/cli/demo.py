"""`facegate demo`: enrol the fixture faces in memory and recognise the others."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from facegate.cli.output import EXIT_BAD_INPUT, console
from facegate.engine import EngineError, FaceEngine

GALLERY = {"obama_1.jpg": "Barack Obama", "biden.jpg": "Joe Biden"}
PROBES = ("obama_2.jpg", "obama_3.jpg", "obama_rgba.png", "obama_partial.jpg")


def demo(
    photos: Annotated[Path, typer.Option(help="Folder holding the fixture photos.")] = Path(
        "tests/fixtures"
    ),
) -> None:
    """Enrol two people from the fixture photos (in memory only) and recognise the rest."""
    if not all((photos / name).is_file() for name in (*GALLERY, *PROBES)):
        console.print(f"[red]error[/]: the fixture photos are not in {photos}")
        raise typer.Exit(EXIT_BAD_INPUT)
    console.print("[bold]facegate demo[/]: the face engine on public-domain portraits\n")
    engine = FaceEngine()
    gallery = {}
    for name, person in GALLERY.items():
        gallery[person] = engine.single_face(photos / name).embedding
        console.print(f"enrolled [cyan]{person}[/] from {name} (model {engine.model_id})")

    table = Table(title=f"1:N identification (threshold {engine.threshold})")
    for column in ("probe", "result", "distance", "similarity"):
        table.add_column(column)
    for name in PROBES:
        try:
            probe = engine.single_face(photos / name)
        except EngineError as exc:
            table.add_row(name, f"refused: {exc.code} ({exc.message})", "", "")
            continue
        person, result = min(
            ((p, engine.compare(probe.embedding, e)) for p, e in gallery.items()),
            key=lambda pair: pair[1].distance,
        )
        verdict = person if result.same_person else "nobody enrolled"
        table.add_row(name, verdict, f"{result.distance:.3f}", f"{result.similarity:.2f}")
    console.print(table)
    console.print("\nNothing was written to disk. Try: facegate compare A.jpg B.jpg --json")
