"""The deadlines on the console's dashboard, with the time left: record-filing obligations
(M15: 30 Chinese working days, counted by ``law.calendar``) and the reports a security
incident calls for (``law.incident``: hours from discovery; PIPL57, NDSR11). Reads only.

A filing is due by the end of its due day in Beijing; an incident report at the exact moment
the reporting rules give. The dashboard lists every open filing and the deadlines of the
incidents that occurred within ``INCIDENT_WINDOW_DAYS`` (the store does not record when a
report was sent, so an older incident's deadlines would only ever read "overdue").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from facegate import law
from facegate.law import authorities
from facegate.law import filing as filing_rules
from facegate.law import incident as incident_rules
from facegate.law.calendar import HolidayOverrides, working_days_between
from facegate.service.context import GateContext
from facegate.service.facts import aware
from facegate.service.holidays import load_overrides
from facegate.store import models as m
from facegate.store.obligation_models import FilingObligation, Incident

INCIDENT_WINDOW_DAYS = 30


@dataclass(frozen=True)
class Deadline:
    """One thing the controller owes, and by when.

    ``kind``: ``filing.threshold``, ``filing.change``, ``filing.cancel`` (a filing), or
    ``incident.initial_report``, ``incident.summary_report``, ``incident.people``.
    ``due``: the instant it falls due (aware), ``None`` when it runs from an event the store
    does not hold (the end of an incident's handling). ``working_days_left``: filings only,
    working days after today up to the due day (negative: working days overdue)."""

    kind: str
    controller: str
    reference: str
    due: datetime | None
    due_day: date | None
    seconds_left: float | None
    working_days_left: int | None
    required: bool
    provisional: bool
    en: str
    zh: str
    basis: str

    @property
    def overdue(self) -> bool:
        return self.seconds_left is not None and self.seconds_left < 0

    @property
    def days_left(self) -> int | None:
        """Whole calendar days left (negative when overdue)."""
        if self.seconds_left is None:
            return None
        return int(self.seconds_left // 86400)

    @property
    def hours_left(self) -> int | None:
        """Whole hours left (negative when overdue)."""
        if self.seconds_left is None:
            return None
        return int(self.seconds_left // 3600)

    @property
    def is_filing(self) -> bool:
        return self.kind.startswith("filing.")


def end_of_day(day: date) -> datetime:
    """The first instant after ``day`` in Beijing: a filing due that day is late from then."""
    return datetime.combine(day + timedelta(days=1), time(), law.CHINA_TZ)


def working_days_left(today: date, due: date, overrides: HolidayOverrides | None) -> int:
    if due >= today:
        return working_days_between(today, due, overrides)
    return -working_days_between(due, today, overrides)


def _filing(
    row: FilingObligation,
    controller: str,
    now: datetime,
    overrides: HolidayOverrides | None,
) -> Deadline:
    kind = filing_rules.RULE_OF_KIND[filing_rules.FilingKind(row.kind)]
    due = end_of_day(row.due)
    return Deadline(
        kind=kind,
        controller=controller,
        reference=row.id,
        due=due,
        due_day=row.due,
        seconds_left=(due - now).total_seconds(),
        working_days_left=working_days_left(law.china_date(now), row.due, overrides),
        required=True,
        provisional=row.due_provisional,
        en="",
        zh="",
        basis=row.due_source,
    )


def _incident(row: Incident, controller: m.Controller, now: datetime) -> list[Deadline]:
    office_zh, office_en = authorities.filing_office(controller.address)
    occurred = aware(row.occurred_at)
    assert occurred is not None
    out = []
    for item in incident_rules.reporting_deadlines(
        row.severity, occurred, province_office_zh=office_zh, province_office_en=office_en
    ):
        due = item.due
        out.append(
            Deadline(
                kind=f"incident.{item.key}",
                controller=controller.name,
                reference=row.description,
                due=due,
                due_day=law.china_date(due) if due else None,
                seconds_left=(due - now).total_seconds() if due else None,
                working_days_left=None,
                required=item.required,
                provisional=False,
                en=item.en,
                zh=item.zh,
                basis=item.basis,
            )
        )
    return out


def deadlines(ctx: GateContext) -> list[Deadline]:
    """Every open filing and the recent incidents' reports, soonest first (those without a
    date last)."""
    now = ctx.now()
    overrides = load_overrides()
    since = now - timedelta(days=INCIDENT_WINDOW_DAYS)
    out: list[Deadline] = []
    with ctx.db.transaction(readonly=True) as session:
        controllers = {c.id: c for c in session.scalars(select(m.Controller))}
        for row in session.scalars(
            select(FilingObligation).where(
                FilingObligation.status == filing_rules.FilingStatus.OPEN.value
            )
        ):
            owner = controllers.get(row.controller_id)
            out.append(_filing(row, owner.name if owner else row.controller_id, now, overrides))
        for incident in session.scalars(select(Incident).where(Incident.occurred_at >= since)):
            owner = controllers.get(incident.controller_id)
            if owner is not None:
                out.extend(_incident(incident, owner, now))
    far = datetime.max.replace(tzinfo=law.CHINA_TZ)
    return sorted(out, key=lambda d: (d.due is None, d.due or far, d.kind))
