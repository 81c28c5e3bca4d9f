"""Impact assessments (PIPIA) and transparency notices: create, approve, publish, render."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from facegate.cli.common import JsonOption, decision_text, open_gate, reporting, show
from facegate.cli.output import cli_lang, say, term
from facegate.law.pipia import ASPECT_KEYS

pipia_app = typer.Typer(help="Personal information protection impact assessment (PIPIA).")
notice_app = typer.Typer(help="The transparency notice and the public sign.")

DeploymentArg = Annotated[str, typer.Argument(help="Deployment id.")]
OutOption = Annotated[Path, typer.Option("--out", help="File to write.")]


class Format(StrEnum):
    HTML = "html"
    PDF = "pdf"


class RiskChoice(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class ReportLang(StrEnum):
    ZH = "zh"
    EN = "en"


class NoticeLang(StrEnum):
    ZH = "zh"
    EN = "en"
    BILINGUAL = "bilingual"


def _write(out: Path, data: str | bytes) -> int:
    from facegate.service import BadRequest

    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            out.write_text(data, encoding="utf-8")
        else:
            out.write_bytes(data)
    except OSError as exc:
        raise BadRequest(f"cannot write {out}: {exc}") from exc
    return out.stat().st_size


# -- PIPIA ----------------------------------------------------------------------------------
@pipia_app.command("create")
def pipia_create(
    ctx: typer.Context, deployment: DeploymentArg, as_json: JsonOption = False
) -> None:
    """A new draft, pre-filled from the deployment and the security settings in force."""
    from facegate.service.assessment_views import pipia_view

    with reporting(as_json):
        row = open_gate(ctx).create_pipia(deployment, actor="cli")
        status = term("cli.pipia_status.", row.status)
        text = say("cli.pipia.created", number=row.number, id=row.id, status=status)
        show(pipia_view(row), as_json, text)


@pipia_app.command("show")
def pipia_show(ctx: typer.Context, deployment: DeploymentArg, as_json: JsonOption = False) -> None:
    """The newest assessment, and whether processing may rely on it now."""
    from facegate.service.assessment_views import decision_view, pipia_view

    with reporting(as_json):
        report = open_gate(ctx).pipia(deployment)
        row = report.assessment
        body = {**pipia_view(row), "decision": decision_view(report.decision)}
        status = term("cli.pipia_status.", row.status)
        decision = decision_text(report.decision)
        text = say("cli.pipia.state", number=row.number, status=status, decision=decision)
        show(body, as_json, text)


@pipia_app.command("edit")
def pipia_edit(
    ctx: typer.Context,
    deployment: DeploymentArg,
    aspect: Annotated[str, typer.Option(help=f"One of: {', '.join(ASPECT_KEYS)}.")],
    finding: Annotated[list[str] | None, typer.Option(help="A finding (repeatable).")] = None,
    measure: Annotated[list[str] | None, typer.Option(help="A measure (repeatable).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Replace the findings and/or measures of one aspect of the draft (the same text serves
    both languages)."""
    from facegate.law.pipia import Statement
    from facegate.service.assessment_views import pipia_view

    with reporting(as_json):
        row = open_gate(ctx).edit_pipia(
            deployment,
            aspect,
            findings=[Statement(t, t) for t in finding] if finding else None,
            measures=[Statement(t, t) for t in measure] if measure else None,
            actor="cli",
        )
        show(pipia_view(row), as_json, say("cli.pipia.edited", number=row.number, aspect=aspect))


@pipia_app.command("review")
def pipia_review(
    ctx: typer.Context, deployment: DeploymentArg, as_json: JsonOption = False
) -> None:
    """Every statement of the draft with its reference, marking those drafted by facegate
    that no person has confirmed yet."""
    from facegate.service.assessment_views import pipia_view

    with reporting(as_json):
        view = pipia_view(open_gate(ctx).pipia(deployment).assessment)
        pending = set(view["unconfirmed"])
        first, other = ("zh", "en") if cli_lang() == "zh" else ("en", "zh")
        lines = []
        for aspect, body in view["aspects"].items():
            for part in ("findings", "measures"):
                for number, item in enumerate(body.get(part, []), 1):
                    ref = f"{aspect}.{part}.{number}"
                    mark = "[ ]" if ref in pending else "[x]"
                    lines.append(f"{mark} {ref}: {item.get(first) or item.get(other)}")
        conclusion = view["conclusion"]
        if conclusion:
            mark = "[ ]" if "conclusion" in pending else "[x]"
            proceed = say(
                "cli.pipia.may_proceed" if conclusion["may_proceed"] else "cli.pipia.may_not"
            )
            risk = conclusion["risk_level"]
            lines.append(f"{mark} " + say("cli.pipia.conclusion", risk=risk, proceed=proceed))
        else:
            lines.append("[ ] " + say("cli.pipia.no_conclusion"))
        lines.append(say("cli.pipia.to_confirm", count=len(pending)))
        show(
            {"deployment_id": deployment, "unconfirmed": view["unconfirmed"], "pipia": view},
            as_json,
            "\n".join(lines),
        )


@pipia_app.command("confirm")
def pipia_confirm(
    ctx: typer.Context,
    deployment: DeploymentArg,
    statements: Annotated[
        list[str],
        typer.Argument(
            metavar="REF...", help="Statements checked, e.g. purpose.findings.1 conclusion."
        ),
    ],
    as_json: JsonOption = False,
) -> None:
    """Confirm drafted statements you have checked, one reference each (see pipia review)."""
    from facegate.service.assessment_views import pipia_view

    with reporting(as_json):
        row = open_gate(ctx).confirm_pipia(deployment, statements, actor="cli")
        view = pipia_view(row)
        show(view, as_json, say("cli.pipia.left", count=len(view["unconfirmed"])))


@pipia_app.command("conclude")
def pipia_conclude(
    ctx: typer.Context,
    deployment: DeploymentArg,
    risk_level: Annotated[
        RiskChoice, typer.Option(metavar="LEVEL", help="Residual risk: low, medium or high.")
    ],
    proceed: Annotated[
        bool, typer.Option("--proceed/--no-proceed", help="May processing proceed?")
    ],
    condition: Annotated[
        list[str] | None, typer.Option(help="A condition of proceeding (repeatable).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Write the report's overall conclusion (the same text serves both languages)."""
    from facegate.law.pipia import Statement
    from facegate.service.assessment_views import pipia_view

    with reporting(as_json):
        row = open_gate(ctx).conclude_pipia(
            deployment,
            risk_level=risk_level.value,
            may_proceed=proceed,
            conditions=[Statement(t, t) for t in condition or []],
            actor="cli",
        )
        show(pipia_view(row), as_json, say("cli.pipia.concluded", number=row.number))


@pipia_app.command("approve")
def pipia_approve(
    ctx: typer.Context,
    deployment: DeploymentArg,
    approver: Annotated[str, typer.Option(help="Name of the person approving.")],
    role: Annotated[str, typer.Option(help="Their role.")] = "dpo",
    as_json: JsonOption = False,
) -> None:
    """Approve the draft (refused while an aspect is empty, a drafted statement is
    unconfirmed, the conclusion is missing, or the purpose changed)."""
    from facegate.service.assessment_views import pipia_view

    with reporting(as_json):
        row = open_gate(ctx).approve_pipia(deployment, approver=approver, role=role, actor="cli")
        text = say("cli.pipia.approved", number=row.number, approver=row.approver)
        show(pipia_view(row), as_json, text)


@pipia_app.command("render")
def pipia_render(
    ctx: typer.Context,
    deployment: DeploymentArg,
    out: OutOption,
    lang: Annotated[ReportLang, typer.Option(help="zh or en.")] = ReportLang.ZH,
    fmt: Annotated[Format, typer.Option("--format", help="html or pdf.")] = Format.HTML,
    as_json: JsonOption = False,
) -> None:
    """Write the assessment report."""
    from facegate.documents.pipia import render_pipia_html, render_pipia_pdf
    from facegate.service.assessments import pipia_document

    with reporting(as_json):
        report = open_gate(ctx).pipia(deployment)
        doc = pipia_document(report.assessment, report.deployment, report.controller)
        data: str | bytes = (
            render_pipia_pdf(doc, lang=lang.value)
            if fmt == Format.PDF
            else render_pipia_html(doc, lang=lang.value)
        )
        size = _write(out, data)
        show({"path": str(out), "bytes": size}, as_json, say("cli.wrote", path=out))


# -- notice ---------------------------------------------------------------------------------
@notice_app.command("publish")
def notice_publish(
    ctx: typer.Context, deployment: DeploymentArg, as_json: JsonOption = False
) -> None:
    """Publish the notice as the deployment now is (a new version only if it changed)."""
    from facegate.service.assessment_views import notice_view

    with reporting(as_json):
        row = open_gate(ctx).publish_notice(deployment, actor="cli")
        text = say("cli.notice.published", version=row.version, sha256=row.sha256)
        show(notice_view(row), as_json, text)


@notice_app.command("show")
def notice_show(ctx: typer.Context, deployment: DeploymentArg, as_json: JsonOption = False) -> None:
    """The current notice version, and whether it still matches the deployment."""
    from facegate.service.assessment_views import decision_view, notice_view

    with reporting(as_json):
        state = open_gate(ctx).notice(deployment)
        body = {**notice_view(state.notice), "decision": decision_view(state.decision)}
        show(
            body,
            as_json,
            say(
                "cli.notice.state",
                version=state.notice.version,
                sha256=state.notice.sha256,
                decision=decision_text(state.decision),
            ),
        )


@notice_app.command("render")
def notice_render(
    ctx: typer.Context,
    deployment: DeploymentArg,
    out: OutOption,
    lang: Annotated[NoticeLang, typer.Option(help="zh, en or bilingual.")] = NoticeLang.ZH,
    fmt: Annotated[Format, typer.Option("--format", help="html or pdf.")] = Format.HTML,
    large: Annotated[bool, typer.Option(help="Large type.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Write the full notice page."""
    from facegate.documents.notice import render_notice_html, render_notice_pdf

    with reporting(as_json):
        row = open_gate(ctx).notice(deployment).notice
        data: str | bytes = (
            render_notice_pdf(row.content, lang=lang.value, version=row.version, sha256=row.sha256)
            if fmt == Format.PDF
            else render_notice_html(
                row.content, lang=lang.value, version=row.version, sha256=row.sha256, large=large
            )
        )
        size = _write(out, data)
        show({"path": str(out), "bytes": size}, as_json, say("cli.wrote", path=out))


@notice_app.command("sign")
def notice_sign(
    ctx: typer.Context,
    deployment: DeploymentArg,
    out: OutOption,
    public_url: Annotated[
        str | None,
        typer.Option(
            "--public-url",
            "--base-url",
            help="The service's public address (default: public_url of the configuration, "
            "FACEGATE_PUBLIC_URL); the QR code points to the notice page under it.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Write the printable A4 sign (PDF) with the short form and a QR code to the notice;
    refused without a public address people can reach."""
    from facegate.documents.notice import render_sign_pdf
    from facegate.service.notices import public_notice_url

    with reporting(as_json):
        gate = open_gate(ctx)
        url = public_notice_url(gate.ctx, deployment, public_url)
        row = gate.notice(deployment).notice
        size = _write(out, render_sign_pdf(row.content, url=url, version=row.version))
        body = {"path": str(out), "bytes": size, "url": url}
        show(body, as_json, say("cli.wrote_url", path=out, url=url))


@notice_app.command("stale-consents")
def notice_stale_consents(
    ctx: typer.Context, deployment: DeploymentArg, as_json: JsonOption = False
) -> None:
    """Consents given on an older notice version: these people must be told again."""
    with reporting(as_json):
        report = open_gate(ctx).stale_consents(deployment)
        lines = [
            say(
                "cli.notice.stale_line",
                subject_id=c.subject_id,
                consent_id=c.consent_id,
                version=c.notice_version or "?",
            )
            for c in report.consents
        ]
        head = say("cli.notice.stale_head", version=report.current_version, count=len(lines))
        text = "\n".join([head, *lines])
        show(report.to_dict(), as_json, text)
