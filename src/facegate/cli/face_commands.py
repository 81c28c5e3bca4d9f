"""Enrol, verify and identify through the Gate."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from facegate.cli.common import JsonOption, open_gate, reporting, show
from facegate.cli.output import EXIT_REFUSED, say, shown_time

if TYPE_CHECKING:
    from facegate.service.results import FaceMatch

ImageArgument = Annotated[Path, typer.Argument(help="The photo (kept in memory only).")]


def enrol(
    ctx: typer.Context,
    image: ImageArgument,
    subject: Annotated[str, typer.Option(help="Subject id.")],
    deployment: Annotated[str, typer.Option(help="Deployment id.")],
    device: Annotated[str | None, typer.Option(help="Enrolling device, if any.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Enrol a face: needs the person's valid separate consent and exactly one good face."""
    with reporting(as_json):
        gate = open_gate(ctx)
        result = gate.enrol(subject, deployment, image, device_id=device, actor="cli")
        expires = shown_time(result.expires_at, gate.ctx.time_zone, "date")
        show(
            result.to_dict(),
            as_json,
            say("cli.enrol.done", template_id=result.template_id, expires=expires),
        )


def verify(
    ctx: typer.Context,
    image: ImageArgument,
    device: Annotated[str, typer.Option(help="Device id (fixes the deployment).")],
    subject: Annotated[str, typer.Option(help="The claimed subject.")],
    as_json: JsonOption = False,
) -> None:
    """1:1: is this the claimed person? Exit 1 on no match."""
    with reporting(as_json):
        result = open_gate(ctx).verify(device, subject, image, actor="cli")
        text = (
            say("cli.verify.match", distance=f"{result.distance:.3f}")
            if result.matched
            else say("cli.verify.no_match", reason=result.reason)
        )
        show(result.to_dict(), as_json, text)
        if not result.matched:
            raise typer.Exit(EXIT_REFUSED)


def _face_line(number: int, face: FaceMatch) -> str:
    """``face 1: <subject> (distance 0.412, next 0.655)`` in the CLI's language."""
    if face.subject_id:
        who = face.subject_id
    else:
        who = say(
            "cli.identify.ambiguous" if face.reason == "ambiguous" else "cli.identify.unknown"
        )
    if face.distance is None:
        return say("cli.identify.face", n=number, who=who)
    distances = say("cli.identify.distance", distance=f"{face.distance:.3f}")
    if face.second_distance is not None:
        distances = say(
            "cli.identify.distances",
            distance=f"{face.distance:.3f}",
            next=f"{face.second_distance:.3f}",
        )
    return say("cli.identify.face_at", n=number, who=who, distances=distances)


def identify(
    ctx: typer.Context,
    image: ImageArgument,
    device: Annotated[str, typer.Option(help="Device id (fixes the deployment).")],
    as_json: JsonOption = False,
) -> None:
    """1:N within the device's deployment only. Exit 1 when nobody is recognised."""
    with reporting(as_json):
        result = open_gate(ctx).identify(device, image, actor="cli")
        lines = [_face_line(n, face) for n, face in enumerate(result.faces, 1)]
        if result.unmatched and not any(not f.subject_id for f in result.faces):
            # consent-based: faces that matched nobody are discarded, only counted
            lines.append(say("cli.identify.discarded", count=result.unmatched))
        threshold, size = f"{result.threshold:.3f}", result.gallery_size
        if result.expected_fpir is not None and result.expected_fnir is not None:
            lines.append(
                say(
                    "cli.identify.threshold_rates",
                    threshold=threshold,
                    size=size,
                    fpir=f"{result.expected_fpir:.2g}",
                    fnir=f"{result.expected_fnir:.1%}",
                )
            )
        else:
            lines.append(say("cli.identify.threshold", threshold=threshold, size=size))
        show(result.to_dict(), as_json, "\n".join(lines))
        if not result.matched:
            raise typer.Exit(EXIT_REFUSED)
