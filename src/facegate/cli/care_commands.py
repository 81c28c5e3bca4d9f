"""Retention, egress, the subject's rights, and the audit chain."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from facegate.cli.common import JsonOption, open_gate, reporting, show
from facegate.cli.output import EXIT_REFUSED, console, emit_json

retention_app = typer.Typer(help="Templates expire with their purpose.")
transfer_app = typer.Typer(help="Templates leaving the device (needs separate consent).")
rights_app = typer.Typer(help="A person's rights: see what is held, delete everything.")
audit_app = typer.Typer(help="The hash-chained audit log.")


@retention_app.command("sweep")
def retention_sweep(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Purge every expired template (they never match even before this runs)."""
    with reporting(as_json):
        gate = open_gate(ctx)
        due = gate.retention_due()
        with Progress(
            TextColumn("purging"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            disable=as_json,
        ) as progress:
            task = progress.add_task("purge", total=due)
            report = gate.sweep(actor="cli", on_progress=lambda n: progress.advance(task, n))
        show(
            report.to_dict(),
            as_json,
            f"purged {report.expired_templates} expired template(s), "
            f"destroyed {report.keys_destroyed} key(s)",
        )


@transfer_app.command("export")
def transfer_export(
    ctx: typer.Context,
    deployment: Annotated[str, typer.Option(help="Deployment id.")],
    subject: Annotated[list[str], typer.Option(help="Subject id (repeatable).")],
    destination: Annotated[str, typer.Option(help="Who receives the templates.")],
    out: Annotated[Path, typer.Option(help="File to write the bundle to.")],
    legal_basis: Annotated[str, typer.Option(help="A law requiring the transfer.")] = "",
    as_json: JsonOption = False,
) -> None:
    """Export templates off the device: refused without each person's transfer consent."""
    with reporting(as_json):
        bundle = open_gate(ctx).export_templates(
            deployment, subject, destination=destination, legal_basis=legal_basis, actor="cli"
        )
        out.write_text(json.dumps(bundle.to_dict()), encoding="utf-8")
        out.chmod(0o600)
        show(
            {"out": str(out), "templates": len(bundle.templates)},
            as_json,
            f"wrote {len(bundle.templates)} template(s) to {out}",
        )


@rights_app.command("show")
def rights_show(
    ctx: typer.Context,
    subject: Annotated[str, typer.Argument(help="Subject id.")],
    as_json: JsonOption = False,
) -> None:
    """Everything held about a person (templates listed, never their content)."""
    with reporting(as_json):
        report = open_gate(ctx).subject_report(subject, actor="cli")
        if as_json:
            emit_json(report)
        else:
            console.print_json(json.dumps(report, ensure_ascii=False))


@rights_app.command("delete")
def rights_delete(
    ctx: typer.Context,
    subject: Annotated[str, typer.Argument(help="Subject id.")],
    as_json: JsonOption = False,
) -> None:
    """Delete everything about a person: templates (keys destroyed), identity, credentials."""
    with reporting(as_json):
        counts = open_gate(ctx).delete_subject(subject, actor="cli")
        show(counts, as_json, ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in counts.items()))


@audit_app.command("verify")
def audit_verify(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Walk the hash chain; exit 1 at the first broken link."""
    with reporting(as_json):
        result = open_gate(ctx).verify_audit()
        body = {
            "ok": result.ok,
            "checked": result.checked,
            "broken_seq": result.broken_seq,
            "reason": result.reason,
        }
        text = (
            f"OK: {result.checked} events, chain intact"
            if result.ok
            else f"BROKEN at event {result.broken_seq}: {result.reason}"
        )
        show(body, as_json, text)
        if not result.ok:
            raise typer.Exit(EXIT_REFUSED)
