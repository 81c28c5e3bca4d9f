"""`facegate preview --as-of DATE`: what will have happened by a date, changing nothing."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer

from facegate.cli.common import JsonOption, open_gate, reporting, show
from facegate.cli.output import say, term


def _lines(body: dict[str, Any]) -> list[str]:
    lines = [say("cli.preview.head", as_of=body["as_of"], today=body["today"]), ""]
    lines.append(say("cli.preview.retention"))
    for r in body["retention"]:
        line = say(
            "cli.preview.retention_line",
            deployment_id=r["deployment_id"],
            deployment=r["deployment"],
            expired=r["templates_expired"],
            held=r["templates_held"],
            people=r["people_expired"],
            days=r["retention_days"],
        )
        lines.append(f"  {line}")
    lines += ["", say("cli.preview.pipia")]
    for p in body["pipia"]:
        where = {"deployment_id": p["deployment_id"], "deployment": p["deployment"]}
        if p["number"] is None:
            lines.append("  " + say("cli.preview.pipia_none", **where))
            continue
        stale = say("cli.preview.stale", reason=p["stale_reason"]) if p.get("stale_reason") else ""
        keep = say("cli.preview.may_delete" if p["may_be_deleted"] else "cli.preview.must_keep")
        line = say(
            "cli.preview.pipia_line",
            **where,
            number=p["number"],
            status=term("cli.pipia_status.", p["status"]) + stale,
            keep_until=p["keep_until"],
            keep=keep,
        )
        lines.append(f"  {line}")
    lines += ["", say("cli.preview.filing")]
    for o in body["filing"]:
        if o["overdue"]:
            state = say("cli.preview.overdue")
        else:
            state = say("cli.preview.days_left", days=o["working_days_left"])
        line = say(
            "cli.preview.filing_line_provisional"
            if o["provisional"]
            else "cli.preview.filing_line",
            id=o["id"],
            kind=term("console.filing_kind.", o["kind"]),
            due=o["due"],
            state=state,
        )
        lines.append(f"  {line}")
    if not body["filing"]:
        lines.append("  " + say("cli.preview.none_open"))
    return lines


def preview(
    ctx: typer.Context,
    as_of: Annotated[
        str, typer.Option("--as-of", metavar="DATE", help="The day to look at, YYYY-MM-DD.")
    ],
    as_json: JsonOption = False,
) -> None:
    """Preview retention, impact assessments and filing deadlines on a date, without
    changing anything."""
    from facegate.service import BadRequest
    from facegate.service.preview import preview as run_preview

    with reporting(as_json):
        try:
            day = date.fromisoformat(as_of)
        except ValueError:
            raise BadRequest(f"--as-of must be a date YYYY-MM-DD, not {as_of!r}") from None
        body = run_preview(open_gate(ctx).ctx, day)
        show(body, as_json, "\n".join(_lines(body)))
