"""Retention, egress, the subject's rights, and the audit chain."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from facegate.cli.common import JsonOption, open_gate, reporting, show
from facegate.cli.output import EXIT_REFUSED, console, emit_json, progress_bars, say

retention_app = typer.Typer(help="Templates expire with their purpose.")
transfer_app = typer.Typer(
    help="Templates leaving the device: separate consent or a law; encrypted to the recipient."
)
rights_app = typer.Typer(help="A person's rights: see what is held, delete everything.")
audit_app = typer.Typer(help="The hash-chained audit log.")
basis_app = typer.Typer(help="Legal bases cited instead of consent (a law and its article).")


@retention_app.command("sweep")
def retention_sweep(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Purge every expired template (they never match even before this runs)."""
    with reporting(as_json):
        gate = open_gate(ctx)
        due = gate.retention_due()
        with progress_bars(console, quiet=as_json, label=say("cli.sweep.progress")) as progress:
            task = progress.add_task("purge", total=due)
            report = gate.sweep(actor="cli", on_progress=lambda n: progress.advance(task, n))
        show(
            report.to_dict(),
            as_json,
            say(
                "cli.sweep.done",
                expired=report.expired_templates,
                keys=report.keys_destroyed,
                not_renewed=report.not_renewed,
                suspended=report.suspended,
            ),
        )


@transfer_app.command("recipient")
def transfer_recipient(
    ctx: typer.Context,
    controller: Annotated[str, typer.Option(help="Controller id.")],
    name: Annotated[str, typer.Option(help="Who receives exports.")],
    public_key: Annotated[
        Path, typer.Option(help="The recipient's X25519 public key (PEM, or base64 of 32 bytes).")
    ],
    as_json: JsonOption = False,
) -> None:
    """Register a recipient and the public key exports to it are encrypted to."""
    with reporting(as_json):
        row = open_gate(ctx).register_recipient(
            controller, name, public_key.read_bytes(), actor="cli"
        )
        show(
            {"id": row.id, "name": row.name, "fingerprint": row.fingerprint},
            as_json,
            say("cli.transfer.recipient", id=row.id, name=row.name, fingerprint=row.fingerprint),
        )


@transfer_app.command("export")
def transfer_export(
    ctx: typer.Context,
    deployment: Annotated[str, typer.Option(help="Deployment id.")],
    subject: Annotated[list[str], typer.Option(help="Subject id (repeatable).")],
    recipient: Annotated[str, typer.Option(help="Registered recipient id.")],
    out: Annotated[Path, typer.Option(help="File to write the encrypted bundle to.")],
    legal_basis: Annotated[
        str,
        typer.Option(help="A listed law code (see `legal-basis list`) or approved:<id>."),
    ] = "",
    as_json: JsonOption = False,
) -> None:
    """Export templates off the device, encrypted to the recipient: refused without each
    person's transfer consent or a legal basis naming a law and article."""
    with reporting(as_json):
        bundle = open_gate(ctx).export_templates(
            deployment, subject, recipient_id=recipient, legal_basis=legal_basis, actor="cli"
        )
        out.write_text(json.dumps(bundle.to_dict()), encoding="utf-8")
        out.chmod(0o600)
        show(
            {
                "out": str(out),
                "templates": bundle.template_count,
                "basis": bundle.legal_basis_label,
            },
            as_json,
            say(
                "cli.transfer.exported",
                count=bundle.template_count,
                recipient=bundle.recipient,
                out=out,
                basis=bundle.legal_basis_label,
            ),
        )


@basis_app.command("list")
def basis_list(
    ctx: typer.Context,
    controller: Annotated[str | None, typer.Option(help="Controller id.")] = None,
    as_json: JsonOption = False,
) -> None:
    """The legal bases that may be cited instead of consent."""
    with reporting(as_json):
        bases = open_gate(ctx).legal_bases(controller)
        lines = [
            say(
                "cli.basis.line" if b["approved"] else "cli.basis.line_awaiting",
                code=b["code"],
                law=b["law"],
                article=b["article"],
                use=b["use"],
            )
            for b in bases
        ]
        show({"bases": bases}, as_json, "\n".join(lines))


@basis_app.command("propose")
def basis_propose(
    ctx: typer.Context,
    controller: Annotated[str, typer.Option(help="Controller id.")],
    use: Annotated[str, typer.Option(help="transfer or no_alternative.")],
    law_name: Annotated[str, typer.Option("--law", help="The law, by its full name.")],
    article: Annotated[str, typer.Option(help="The article of that law.")],
    explanation: Annotated[str, typer.Option(help="Why it applies.")] = "",
    as_json: JsonOption = False,
) -> None:
    """Write down a legal basis; it can be cited once the dpo approved it."""
    from facegate.service.legal_bases import BasisSpec

    with reporting(as_json):
        row = open_gate(ctx).propose_legal_basis(
            controller, BasisSpec(use, law_name, article, explanation), actor="cli"
        )
        show(
            {"code": f"approved:{row.id}", "id": row.id},
            as_json,
            say("cli.basis.proposed", id=row.id),
        )


@basis_app.command("approve")
def basis_approve(
    ctx: typer.Context,
    basis: Annotated[str, typer.Argument(help="Legal basis id.")],
    approver: Annotated[str, typer.Option(help="The data protection officer's name.")],
    as_json: JsonOption = False,
) -> None:
    """The data protection officer approves a legal basis."""
    with reporting(as_json):
        row = open_gate(ctx).approve_legal_basis(basis, approver=approver, role="dpo", actor="cli")
        show(
            {"code": f"approved:{row.id}", "approved_by": row.approved_by},
            as_json,
            say("cli.basis.approved", id=row.id, approver=row.approved_by),
        )


@rights_app.command("show")
def rights_show(
    ctx: typer.Context,
    subject: Annotated[str, typer.Argument(help="Subject id.")],
    controller: Annotated[
        str | None,
        typer.Option(help="Controller whose data to show (needed when several hold some)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """What one controller holds about a person (templates listed, never their content)."""
    with reporting(as_json):
        report = open_gate(ctx).subject_report(subject, controller_id=controller, actor="cli")
        if as_json:
            emit_json(report)
        elif not report["held"]:
            console.print(say("cli.rights.nothing_held", subject=subject), highlight=False)
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
        show(counts, as_json, say("cli.rights.deleted", **counts))


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
            say("cli.audit.intact", checked=result.checked)
            if result.ok
            else say("cli.audit.broken", seq=result.broken_seq, reason=result.reason)
        )
        show(body, as_json, text)
        if not result.ok:
            raise typer.Exit(EXIT_REFUSED)
