"""What will have happened by a date, without changing anything: templates past their
retention, impact assessments and their keeping period, filing deadlines. A read function for
the compliance officer (``facegate preview --as-of DATE``) and the console."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from facegate import law
from facegate.law.calendar import working_days_between
from facegate.law.pipia import report_date
from facegate.service.assessments import latest, pipia_facts
from facegate.service.context import GateContext
from facegate.service.filing import obligation_view
from facegate.service.holidays import load_overrides
from facegate.store import models as m
from facegate.store.assessment_models import Assessment
from facegate.store.obligation_models import FilingObligation


def end_of_day(day: date) -> datetime:
    """The first instant after ``day`` in China (what "by that day" means)."""
    return datetime.combine(day + timedelta(days=1), time(0), law.CHINA_TZ)


def preview(ctx: GateContext, as_of: date) -> dict[str, Any]:
    """Retention, PIPIA and filing as they will stand at the end of ``as_of`` (Beijing time),
    if nothing else changes. Reads only."""
    today = law.china_date(ctx.now())
    cutoff = end_of_day(as_of)
    overrides = load_overrides()
    with ctx.db.transaction(readonly=True) as session:
        deployments = list(session.scalars(select(m.Deployment).order_by(m.Deployment.created_at)))
        retention = []
        assessments = []
        for d in deployments:
            expiring = session.execute(
                select(func.count(), func.count(func.distinct(m.Template.subject_id))).where(
                    m.Template.deployment_id == d.id, m.Template.expires_at < cutoff
                )
            ).one()
            held = session.scalar(
                select(func.count()).select_from(m.Template).where(m.Template.deployment_id == d.id)
            )
            retention.append(
                {
                    "deployment_id": d.id,
                    "deployment": d.name,
                    "retention_days": d.retention_days,
                    "templates_held": int(held or 0),
                    "templates_expired": int(expiring[0]),
                    "people_expired": int(expiring[1]),
                }
            )
            row = latest(session, d.id)
            entry: dict[str, Any] = {"deployment_id": d.id, "deployment": d.name}
            if row is None:
                entry |= {"number": None, "status": "none", "keep_until": None}
            else:
                facts = pipia_facts(row)
                keep = law.china_date(law.add_years(report_date(facts), law.RECORD_KEEPING_YEARS))
                entry |= {
                    "number": row.number,
                    "status": row.status,
                    "stale_reason": row.stale_reason,
                    "keep_until": keep.isoformat(),
                    "may_be_deleted": as_of >= keep,
                    "reports": int(
                        session.scalar(
                            select(func.count())
                            .select_from(Assessment)
                            .where(Assessment.deployment_id == d.id)
                        )
                        or 0
                    ),
                }
            assessments.append(entry)
        obligations = []
        for o in session.scalars(
            select(FilingObligation)
            .where(FilingObligation.status == "open")
            .order_by(FilingObligation.due)
        ):
            view = obligation_view(o)
            left = working_days_between(as_of, o.due, overrides) if o.due > as_of else 0
            view |= {"overdue": as_of > o.due, "working_days_left": left}
            obligations.append(view)
    return {
        "as_of": as_of.isoformat(),
        "today": today.isoformat(),
        "retention": retention,
        "pipia": assessments,
        "filing": obligations,
    }
