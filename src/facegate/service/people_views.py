"""What the front desk's pages show about a person, read here so that the console never
queries the store: the record, its consents per deployment of the controller (standing,
withdrawn, to renew after a change of purpose), the deployments a code can be issued for, the
codes issued (never a code itself), and whether a face is enrolled (never the template)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from facegate import law
from facegate.service.context import GateContext
from facegate.service.enrolment_codes import CodeView, codes_of_person
from facegate.service.facts import aware, consents_facts, deployment_facts
from facegate.service.persons import PersonView, get_person
from facegate.service.registry import get_controller
from facegate.store import models as m


@dataclass(frozen=True)
class DeploymentChoice:
    id: str
    name: str
    status: str
    written_consent_required: bool
    method: str


@dataclass(frozen=True)
class ConsentLine:
    deployment_id: str
    deployment_name: str
    scope: str
    given_by: str
    guardian_relation: str
    form: str
    given_at: datetime
    withdrawn_at: datetime | None
    current: bool  # given under the deployment's current purpose and method


@dataclass
class PersonDetail:
    person: PersonView
    controller_name: str
    consents: list[ConsentLine] = field(default_factory=list)
    deployments: list[DeploymentChoice] = field(default_factory=list)
    codes: list[CodeView] = field(default_factory=list)
    enrolled_in: list[str] = field(default_factory=list)  # deployment names
    minor: bool = False

    def standing_in(self, deployment_id: str) -> bool:
        return any(
            c.deployment_id == deployment_id
            and c.scope == "processing"
            and c.withdrawn_at is None
            and c.current
            for c in self.consents
        )

    def deployment_name(self, deployment_id: str) -> str:
        for d in self.deployments:
            if d.id == deployment_id:
                return d.name
        return deployment_id

    def to_dict(self) -> dict[str, Any]:
        return {"person": self.person.to_dict(), "controller_name": self.controller_name}


def person_detail(ctx: GateContext, person_id: str) -> PersonDetail:
    """Everything the person page needs, in one read."""
    person = get_person(ctx, person_id)
    codes = codes_of_person(ctx, person_id)
    now = ctx.now()
    with ctx.db.transaction(readonly=True) as session:
        controller = get_controller(session, person.controller_id)
        deployments = list(
            session.scalars(
                select(m.Deployment)
                .where(m.Deployment.controller_id == person.controller_id)
                .order_by(m.Deployment.created_at)
            )
        )
        by_id = {d.id: d for d in deployments}
        rows = list(
            session.scalars(
                select(m.Consent)
                .where(m.Consent.subject_id == person.subject_id)
                .order_by(m.Consent.given_at.desc())
            )
        )
        lines = []
        for row, facts in zip(rows, consents_facts(rows), strict=True):
            deployment = by_id.get(row.deployment_id)
            if deployment is None:
                continue
            current = law.check_consent_current(facts, deployment_facts(deployment)).allowed
            given = aware(row.given_at)
            assert given is not None
            lines.append(
                ConsentLine(
                    row.deployment_id,
                    deployment.name,
                    row.scope,
                    row.given_by,
                    row.guardian_relation,
                    row.form,
                    given,
                    aware(row.withdrawn_at),
                    current,
                )
            )
        enrolled = set(
            session.scalars(
                select(m.Template.deployment_id).where(
                    m.Template.subject_id == person.subject_id, m.Template.expires_at > now
                )
            )
        )
        minor = False
        if person.date_of_birth is not None:
            minor = law.age_on(person.date_of_birth, law.china_date(now)) < law.MINOR_AGE
        return PersonDetail(
            person=person,
            controller_name=controller.name,
            consents=lines,
            deployments=[
                DeploymentChoice(d.id, d.name, d.status, bool(d.written_consent_required), d.method)
                for d in deployments
            ],
            codes=codes,
            enrolled_in=[by_id[d].name for d in sorted(enrolled) if d in by_id],
            minor=minor,
        )
