"""`facegate preview --as-of DATE`: what will have happened by a date, changing nothing."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer

from facegate.cli.common import JsonOption, open_gate, reporting, show


def _lines(body: dict[str, Any]) -> list[str]:
    lines = [f"as of {body['as_of']} (today {body['today']}), if nothing else changes:", ""]
    lines.append("retention (templates past their period; a sweep that day purges them):")
    for r in body["retention"]:
        lines.append(
            f"  {r['deployment_id']} {r['deployment']}: {r['templates_expired']} of "
            f"{r['templates_held']} template(s) expired, {r['people_expired']} person(s); "
            f"period {r['retention_days']} days"
        )
    lines += ["", "impact assessments (PIPIA):"]
    for p in body["pipia"]:
        if p["number"] is None:
            lines.append(f"  {p['deployment_id']} {p['deployment']}: none")
            continue
        stale = f" ({p['stale_reason']})" if p.get("stale_reason") else ""
        keep = "may be deleted" if p["may_be_deleted"] else "must be kept"
        lines.append(
            f"  {p['deployment_id']} {p['deployment']}: no. {p['number']} {p['status']}{stale}; "
            f"kept until {p['keep_until']} ({keep})"
        )
    lines += ["", "filing deadlines:"]
    for o in body["filing"]:
        state = "OVERDUE" if o["overdue"] else f"{o['working_days_left']} working day(s) left"
        flag = " (provisional)" if o["provisional"] else ""
        lines.append(f"  {o['id']} {o['kind']} due {o['due']}{flag}: {state}")
    if not body["filing"]:
        lines.append("  none open")
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
