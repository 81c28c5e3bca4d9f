"""Enrol, verify and identify through the Gate."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from facegate.cli.common import JsonOption, open_gate, reporting, show
from facegate.cli.output import EXIT_REFUSED

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
        result = open_gate(ctx).enrol(subject, deployment, image, device_id=device, actor="cli")
        show(
            result.to_dict(),
            as_json,
            f"enrolled template {result.template_id}, expires {result.expires_at:%Y-%m-%d}",
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
            f"match: distance {result.distance:.3f}"
            if result.matched
            else f"no match ({result.reason})"
        )
        show(result.to_dict(), as_json, text)
        if not result.matched:
            raise typer.Exit(EXIT_REFUSED)


def identify(
    ctx: typer.Context,
    image: ImageArgument,
    device: Annotated[str, typer.Option(help="Device id (fixes the deployment).")],
    as_json: JsonOption = False,
) -> None:
    """1:N within the device's deployment only. Exit 1 when nobody is recognised."""
    with reporting(as_json):
        result = open_gate(ctx).identify(device, image, actor="cli")
        lines = [
            f"face {n}: "
            + (face.subject_id or ("ambiguous" if face.reason == "ambiguous" else "not recognised"))
            + (f" (distance {face.distance:.3f}" if face.distance is not None else "")
            + (f", next {face.second_distance:.3f}" if face.second_distance is not None else "")
            + (")" if face.distance is not None else "")
            for n, face in enumerate(result.faces, 1)
        ]
        if result.unmatched and not any(not f.subject_id for f in result.faces):
            # consent-based: faces that matched nobody are discarded, only counted
            lines.append(f"not recognised: {result.unmatched} face(s), discarded")
        lines.append(
            f"threshold {result.threshold:.3f} for a gallery of {result.gallery_size}"
            + (
                f"; expected FPIR {result.expected_fpir:.2g}, FNIR {result.expected_fnir:.1%}"
                if result.expected_fpir is not None and result.expected_fnir is not None
                else ""
            )
        )
        show(result.to_dict(), as_json, "\n".join(lines))
        if not result.matched:
            raise typer.Exit(EXIT_REFUSED)
