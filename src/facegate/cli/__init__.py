"""The `facegate` command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from facegate.cli import (
    assessment_commands,
    care_commands,
    demo,
    edge_commands,
    engine_commands,
    face_commands,
    obligation_commands,
    people_commands,
    registry_commands,
    serve_commands,
    setup_commands,
)
from facegate.cli.common import CliState

app = typer.Typer(
    name="facegate",
    help="Face recognition with China's facial recognition Measures in its data path.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def root(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir", envvar="FACEGATE_DATA_DIR", help="Data directory (default facegate-data)."
        ),
    ] = None,
) -> None:
    ctx.obj = CliState(data_dir=data_dir)


app.command("init")(setup_commands.init)
app.command("detect")(engine_commands.detect)
app.command("compare")(engine_commands.compare_images)
app.command("check-photos")(engine_commands.check_photos)
app.command("enrol")(face_commands.enrol)
app.command("verify")(face_commands.verify)
app.command("identify")(face_commands.identify)
app.add_typer(registry_commands.controller_app, name="controller")
app.add_typer(registry_commands.deployment_app, name="deployment")
app.add_typer(registry_commands.device_app, name="device")
app.add_typer(people_commands.subject_app, name="subject")
app.add_typer(people_commands.consent_app, name="consent")
app.add_typer(people_commands.alternative_app, name="alternative")
app.add_typer(care_commands.retention_app, name="retention")
app.add_typer(care_commands.transfer_app, name="transfer")
app.add_typer(care_commands.rights_app, name="rights")
app.add_typer(care_commands.audit_app, name="audit")
app.add_typer(obligation_commands.filing_app, name="filing")
app.add_typer(obligation_commands.records_app, name="records")
app.add_typer(obligation_commands.incident_app, name="incident")
app.add_typer(assessment_commands.pipia_app, name="pipia")
app.add_typer(assessment_commands.notice_app, name="notice")
app.command("demo")(demo.demo)
app.command("serve")(serve_commands.serve)
app.command("edge")(edge_commands.edge)
app.add_typer(serve_commands.key_app, name="key")


def main() -> None:
    app()
