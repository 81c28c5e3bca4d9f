"""Obligations: record-filing, processing records, incidents."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from facegate.cli.common import JsonOption, open_gate, reporting, show
from facegate.cli.output import cli_lang, emit_json, say, shown_time, term

filing_app = typer.Typer(help="Record-filing with the cyberspace office (M15).")
records_app = typer.Typer(help="Processing records (M9), from the audit log.")
incident_app = typer.Typer(help="Security incidents and their notifications (PIPL57).")

FilingOption = Annotated[str, typer.Option("--filing", help="Filing obligation id.")]
ControllerOption = Annotated[str, typer.Option("--controller", help="Controller id.")]


def _day(value: str, name: str) -> date:
    from facegate.service import BadRequest

    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"{name} must be a date YYYY-MM-DD, not {value!r}") from None


def _obligation_line(o: dict[str, Any]) -> str:
    kind = term("console.filing_kind.", o["kind"])
    status = term("console.filing_status.", o["status"])
    key = "cli.filing.obligation_provisional" if o["provisional"] else "cli.filing.obligation"
    return "  " + say(key, id=o["id"], kind=f"{kind:<9}", status=f"{status:<9}", due=o["due"])


@filing_app.command("status")
def filing_status(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Stored individuals per controller, the threshold, and filing obligations with their
    due dates (runs the change and cancellation detectors first)."""
    from facegate.service import filing as filing_service

    with reporting(as_json):
        gate = open_gate(ctx)
        filing_service.check(gate.ctx, actor="cli")
        controllers = gate.filing_status()
        lines = []
        for c in controllers:
            lines.append(
                say(
                    "cli.filing.count",
                    controller_id=c["controller_id"],
                    controller=c["controller"],
                    individuals=c["individuals"],
                    threshold=c["threshold"],
                )
            )
            lines += [_obligation_line(o) for o in c["obligations"]]
        none = say("cli.rows.none", what=say("cli.rows.controllers"))
        show({"controllers": controllers}, as_json, "\n".join(lines) or none)


@filing_app.command("due")
def filing_due(
    start: Annotated[str, typer.Option("--from", help="The day the period starts (YYYY-MM-DD).")],
    holidays: Annotated[
        Path | None,
        typer.Option(
            help="Holiday file (JSON/TOML) for years without official data.", exists=False
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """The 30th working day after --from (the day itself not counted)."""
    from facegate.service import filing as filing_service
    from facegate.service.holidays import load_overrides

    with reporting(as_json):
        day = _day(start, "--from")
        due = filing_service.due_from(day, load_overrides(holidays))
        if as_json:
            emit_json(
                {
                    "from": day.isoformat(),
                    "due": due.due.isoformat(),
                    "provisional": due.provisional,
                }
            )
        else:
            params = {"start": day.isoformat(), "due": due.due.isoformat()}
            if due.provisional:
                typer.echo(say("cli.filing.due_provisional", **params, source=due.source))
            else:
                typer.echo(say("cli.filing.due", **params))


@filing_app.command("submit")
def filing_submit(
    ctx: typer.Context,
    filing: FilingOption,
    reference: Annotated[str, typer.Option(help="The office's reference for the filing.")],
    as_json: JsonOption = False,
) -> None:
    """Mark a filing submitted, with the office's reference."""
    with reporting(as_json):
        view = open_gate(ctx).submit_filing(filing, reference, actor="cli")
        show(view, as_json, say("cli.filing.submitted", id=view["id"], reference=view["reference"]))


@filing_app.command("accept")
def filing_accept(ctx: typer.Context, filing: FilingOption, as_json: JsonOption = False) -> None:
    """Mark a submitted filing accepted by the office."""
    with reporting(as_json):
        view = open_gate(ctx).accept_filing(filing, actor="cli")
        show(view, as_json, say("cli.filing.accepted", id=view["id"]))


@filing_app.command("checklist")
def filing_checklist(
    ctx: typer.Context,
    controller: ControllerOption,
    tick: Annotated[list[str] | None, typer.Option(help="Item now ready (repeatable).")] = None,
    untick: Annotated[list[str] | None, typer.Option(help="Item no longer ready.")] = None,
    as_json: JsonOption = False,
) -> None:
    """The scanned documents the provincial office asks for; tick off those ready."""
    from facegate.service import filing as filing_service

    with reporting(as_json):
        gate = open_gate(ctx)
        items = filing_service.checklist(gate.ctx, controller)
        for item in tick or []:
            items = filing_service.tick(gate.ctx, controller, item, actor="cli")
        for item in untick or []:
            items = filing_service.tick(gate.ctx, controller, item, ticked=False, actor="cli")
        lang = cli_lang()
        text = "\n".join(
            f"[{'x' if i['ticked'] else ' '}] {i['item']}: {i.get(lang) or i['en']}" for i in items
        )
        show({"controller_id": controller, "checklist": items}, as_json, text)


@filing_app.command("package")
def filing_package(
    ctx: typer.Context,
    controller: ControllerOption,
    out: Annotated[Path, typer.Option(help="Directory to write into.")],
    as_json: JsonOption = False,
) -> None:
    """The filing package from live data: HTML and PDF (zh, en), checklist and a ZIP."""
    from facegate.documents.filing import write_package
    from facegate.service import filing as filing_service

    with reporting(as_json):
        data = filing_service.package_data(open_gate(ctx).ctx, controller)
        written = write_package(data, out)
        show(
            {k: str(v) for k, v in written.items()},
            as_json,
            "\n".join(str(p) for p in written.values()),
        )


@filing_app.command("dispose")
def filing_dispose(
    ctx: typer.Context, controller: ControllerOption, as_json: JsonOption = False
) -> None:
    """After stopping face recognition: destroy every key of the controller's face data."""
    with reporting(as_json):
        result = open_gate(ctx).dispose_face_data(controller, actor="cli")
        show(result, as_json, say("cli.filing.disposed", count=result["templates_destroyed"]))


@records_app.command("export")
def records_export(
    ctx: typer.Context,
    deployment: Annotated[str, typer.Option(help="Deployment id.")],
    start: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option("--to", help="Last day (YYYY-MM-DD).")],
    out: Annotated[Path, typer.Option(help="File to write.")],
    fmt: Annotated[str, typer.Option("--format", help="csv or pdf.")] = "csv",
    lang: Annotated[str, typer.Option(help="zh or en (PDF).")] = "zh",
    as_json: JsonOption = False,
) -> None:
    """Processing records per day and actor for one deployment."""
    from facegate.documents.records import records_csv, records_pdf
    from facegate.service import BadRequest

    with reporting(as_json):
        if fmt not in ("csv", "pdf") or lang not in ("zh", "en"):
            raise BadRequest("--format is csv or pdf; --lang is zh or en")
        data = open_gate(ctx).processing_records(
            deployment, _day(start, "--from"), _day(end, "--to")
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "csv":
            out.write_text(records_csv(data), encoding="utf-8")
        else:
            out.write_bytes(records_pdf(data, lang))
        body = {"out": str(out), "rows": len(data.rows), "totals": data.totals}
        show(body, as_json, say("cli.records.written", count=len(data.rows), out=out))


@records_app.command("prune")
def records_prune(
    ctx: typer.Context,
    before: Annotated[str, typer.Option(help="Prune the records of days before this one.")],
    as_json: JsonOption = False,
) -> None:
    """Prune old processing records; refused for records younger than three years."""
    with reporting(as_json):
        result = open_gate(ctx).prune_records(_day(before, "--before"), actor="cli")
        show(result, as_json, say("cli.records.pruned", before=result["pruned_before"]))


@incident_app.command("record")
def incident_record(
    ctx: typer.Context,
    controller: ControllerOption,
    severity: Annotated[str, typer.Option(help="minor or major.")],
    description: Annotated[str, typer.Option(help="What happened.")],
    categories: Annotated[str, typer.Option(help="Categories of personal information.")],
    cause: Annotated[str, typer.Option()],
    harm: Annotated[str, typer.Option(help="Possible harm.")],
    measures: Annotated[str, typer.Option(help="Remedial measures taken.")],
    remedies: Annotated[str, typer.Option(help="What people can do.")],
    contact: Annotated[str, typer.Option()],
    occurred_at: Annotated[str, typer.Option(help="ISO time with offset.")] = "",
    deployment: Annotated[list[str] | None, typer.Option(help="Deployment touched.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Record an incident; a major one stales the PIPIA of every deployment it touches."""
    from facegate.service import BadRequest
    from facegate.service.incidents import IncidentSpec

    with reporting(as_json):
        gate = open_gate(ctx)
        try:
            when = datetime.fromisoformat(occurred_at) if occurred_at else gate.ctx.now()
        except ValueError:
            raise BadRequest(
                "--occurred-at must be an ISO time, e.g. 2026-10-02T08:30+08:00"
            ) from None
        spec = IncidentSpec(
            controller_id=controller,
            severity=severity,
            description=description,
            occurred_at=when,
            categories=categories,
            cause=cause,
            harm=harm,
            measures=measures,
            remedies=remedies,
            contact=contact,
            deployment_ids=tuple(deployment or ()),
        )
        view = gate.record_incident(spec, actor="cli")
        severity = term("console.severity.", view["severity"])
        show(view, as_json, say("cli.incident.recorded", id=view["id"], severity=severity))


@incident_app.command("list")
def incident_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Every recorded incident."""
    from facegate.service.incidents import list_incidents

    with reporting(as_json):
        gate = open_gate(ctx)
        rows = list_incidents(gate.ctx)
        text = "\n".join(
            f"{r['id']} {term('console.severity.', r['severity'])} "
            f"{shown_time(r['occurred_at'], gate.ctx.time_zone)}"
            for r in rows
        )
        show(
            {"incidents": rows},
            as_json,
            text or say("cli.rows.none", what=say("cli.rows.incidents")),
        )


@incident_app.command("letters")
def incident_letters(
    ctx: typer.Context,
    incident: Annotated[str, typer.Argument(help="Incident id.")],
    out: Annotated[Path, typer.Option(help="Directory to write into.")],
    as_json: JsonOption = False,
) -> None:
    """Notification letters to the authority and to the people affected (zh, en; HTML, PDF)."""
    from facegate.documents.incident import write_letters
    from facegate.service.incidents import get_incident

    with reporting(as_json):
        written = write_letters(get_incident(open_gate(ctx).ctx, incident), out)
        show({"files": [str(p) for p in written]}, as_json, "\n".join(str(p) for p in written))


@incident_app.command("deadlines")
def incident_deadlines(
    ctx: typer.Context,
    incident: Annotated[str, typer.Argument(help="Incident id.")],
    as_json: JsonOption = False,
) -> None:
    """The reports an incident calls for and by when (national incident-reporting rules in
    force 2025-11-01, art. 4; PIPL art. 57), in Beijing time."""
    from facegate.service.incidents import incident_deadlines as deadlines

    with reporting(as_json):
        gate = open_gate(ctx)
        rows = deadlines(gate.ctx, incident)
        lang = cli_lang()
        lines = []
        for d in rows:
            due = (
                shown_time(d["due"], gate.ctx.time_zone)
                if d["due"]
                else say("cli.incident.after_handling")
            )
            key = "cli.incident.deadline" if d["required"] else "cli.incident.deadline_if_major"
            lines.append(say(key, key=d["key"], due=due))
            lines.append(f"  {d.get(lang) or d['en']} [{d['basis']}]")
        show({"incident_id": incident, "deadlines": rows}, as_json, "\n".join(lines))
