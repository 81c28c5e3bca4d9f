"""The personal information protection impact assessment (PIPIA, 个人信息保护影响评估):
what it must cover, which one counts, and when processing may rely on it (M9, PIPL55, PIPL56).

An assessment is bound to a *snapshot* of the deployment's purpose and method: the SHA-256 of
a canonical encoding of its purpose type, purpose, necessity, method and reason for 1:N. When
any of them changes, the assessment no longer describes the processing and a new one is due.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from facegate.law.dates import china_date
from facegate.law.decision import Decision, Reason
from facegate.law.facts import DeploymentFacts


class PipiaStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    STALE = "stale"


@dataclass(frozen=True)
class AspectSpec:
    """One of the four aspects an assessment must cover (M9; PIPL56 lists three items, which
    the four aspects of the Measures include)."""

    key: str
    title_en: str
    title_zh: str


ASPECTS: tuple[AspectSpec, ...] = (
    AspectSpec(
        "purpose",
        "Lawfulness, legitimacy and necessity of the purpose and method",
        "处理目的、处理方式的合法性、正当性、必要性",
    ),
    AspectSpec(
        "impact",
        "Impact on people's rights and interests, and how well the measures reduce it",
        "对个人权益的影响及降低不利影响的措施的有效性",
    ),
    AspectSpec(
        "risks",
        "Risks of leakage, tampering, loss, damage, illegal acquisition, sale or use, and the "
        "harm they could cause",
        "人脸信息泄露、篡改、丢失、毁损或者被非法获取、出售、使用的风险和可能造成的危害",
    ),
    AspectSpec(
        "safeguards",
        "Whether the protective measures are lawful, effective and proportionate to the risk",
        "所采取的保护措施是否合法、有效并与风险程度相适应",
    ),
)
ASPECT_KEYS: tuple[str, ...] = tuple(a.key for a in ASPECTS)

SNAPSHOT_FIELDS: tuple[str, ...] = (
    "purpose_type",
    "purpose",
    "necessity",
    "method",
    "why_not_verify",
)
"""The deployment's "purpose and method": a change to any of them calls for a new assessment."""

RENEWAL_FIELDS: tuple[str, ...] = (
    *SNAPSHOT_FIELDS,
    "transfer_mode",
    "transfer_legal_basis",
    "processing",
    "retention_days",
    "retention_justification",
    "location_type",
    "public_place",
    "entrusted_processor",
    "lawful_basis",
    "capture_mode",
    "liveness",
    "alternative_legal_basis",
)
"""Everything an assessment weighed (M9): besides the purpose and method, where faces are
processed and whether they travel, how long they are kept, where the devices are, who processes
them for the controller, on what lawful basis, how faces are captured and whether liveness is
checked. A change to any of them makes the assessment stale. (``processing`` and ``liveness``
count once the deployment has them.)"""


@dataclass(frozen=True)
class Statement:
    """One finding or measure, in both languages. A statement facegate drafted is
    ``confirmed=False`` until a person confirms it or writes their own in its place: the draft
    may assert what only people can know (a contract, a risk that does not arise)."""

    en: str
    zh: str
    confirmed: bool = True

    @property
    def blank(self) -> bool:
        return not self.en.strip() and not self.zh.strip()


class RiskLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


RISK_LABELS: Mapping[RiskLevel, tuple[str, str]] = {
    RiskLevel.LOW: ("low", "低"),
    RiskLevel.MEDIUM: ("medium", "中"),
    RiskLevel.HIGH: ("high", "高"),
}


@dataclass(frozen=True)
class Conclusion:
    """The report's overall conclusion: the residual risk, whether processing may proceed,
    and on which conditions."""

    risk_level: RiskLevel
    may_proceed: bool
    conditions: tuple[Statement, ...]
    confirmed: bool = True


@dataclass(frozen=True)
class Aspect:
    findings: tuple[Statement, ...]
    measures: tuple[Statement, ...]

    @property
    def empty(self) -> bool:
        return all(s.blank for s in (*self.findings, *self.measures))


@dataclass(frozen=True)
class PipiaFacts:
    id: str
    deployment_id: str
    number: int
    snapshot_hash: str
    status: PipiaStatus
    aspects: Mapping[str, Aspect]
    created_at: datetime
    approved_at: datetime | None = None
    approver: str = ""
    stale_at: datetime | None = None
    stale_reason: str = ""
    conclusion: Conclusion | None = None


def unconfirmed(pipia: PipiaFacts) -> list[str]:
    """References (``purpose.findings.2``, 1-based; ``conclusion``) of the drafted statements
    nobody has confirmed or replaced yet."""
    refs = [
        f"{spec.key}.{part}.{number}"
        for spec in ASPECTS
        for part in ("findings", "measures")
        for number, statement in enumerate(
            getattr(pipia.aspects.get(spec.key, Aspect((), ())), part), 1
        )
        if not statement.confirmed and not statement.blank
    ]
    if pipia.conclusion is not None and not pipia.conclusion.confirmed:
        refs.append("conclusion")
    return refs


def purpose_snapshot(d: DeploymentFacts) -> dict[str, str]:
    """The deployment's purpose and method, as plain strings."""
    return {
        "purpose_type": str(d.purpose_type),
        "purpose": d.purpose.strip(),
        "necessity": d.necessity.strip(),
        "method": str(d.method),
        "why_not_verify": d.why_not_verify.strip(),
    }


def snapshot_hash(snapshot: Mapping[str, str]) -> str:
    """SHA-256 hex of the canonical JSON (sorted keys, no spaces, UTF-8) of the snapshot."""
    body = {key: snapshot.get(key, "") for key in SNAPSHOT_FIELDS}
    encoded = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()


def deployment_snapshot_hash(d: DeploymentFacts) -> str:
    return snapshot_hash(purpose_snapshot(d))


def check_pipia(current_hash: str, assessments: Sequence[PipiaFacts]) -> Decision:
    """May the deployment be activated, or keep processing? Only with an approved assessment
    of its current purpose and method. ``assessments`` in any order; the newest (highest
    number) explains a refusal."""
    if any(
        p.status == PipiaStatus.APPROVED and p.snapshot_hash == current_hash for p in assessments
    ):
        return Decision.allow("records.three_years")
    newest = max(assessments, key=lambda p: p.number, default=None)
    return Decision.refuse(_why_not(newest, current_hash))


def _why_not(newest: PipiaFacts | None, current_hash: str) -> Reason:
    if newest is None:
        return Reason.of(
            "pipia.before",
            "no personal information protection impact assessment has been made for this "
            "deployment; create one, review it and have it approved before processing faces",
        )
    if newest.status == PipiaStatus.STALE:
        when = f" on {china_date(newest.stale_at).isoformat()}" if newest.stale_at else ""
        why = newest.stale_reason.strip() or "it no longer describes the processing"
        return Reason.of(
            "pipia.renew",
            f"the impact assessment is stale: {why}{when}; a new assessment must be approved "
            "before processing resumes",
        )
    if newest.snapshot_hash != current_hash:
        return Reason.of(
            "pipia.renew",
            "the purpose or method of the deployment changed after its impact assessment was "
            "made; assess the new purpose and method and approve the new assessment",
        )
    return Reason.of(
        "pipia.before",
        "the impact assessment is only a draft; it must be reviewed and approved before "
        "processing faces",
    )


def check_approval(pipia: PipiaFacts, current_hash: str, approver: str) -> Decision:
    """May this assessment be approved now? A draft of the current purpose and method, every
    aspect covered, every drafted statement confirmed or replaced by a person, an overall
    conclusion, a named approver."""
    reasons: list[Reason] = []
    if pipia.status != PipiaStatus.DRAFT:
        reasons.append(
            Reason.of(
                "pipia.before",
                f"only a draft assessment can be approved; this one is {pipia.status}",
            )
        )
    if pipia.snapshot_hash != current_hash:
        reasons.append(
            Reason.of(
                "pipia.renew",
                "this draft assessed an earlier purpose or method of the deployment; create a "
                "new assessment of the current one",
            )
        )
    for spec in ASPECTS:
        aspect = pipia.aspects.get(spec.key)
        if aspect is None or aspect.empty:
            reasons.append(
                Reason.of(
                    "pipia.before",
                    f"the aspect '{spec.title_en}' has no findings or measures; every aspect "
                    "the law lists must be assessed",
                )
            )
    pending = unconfirmed(pipia)
    if pending:
        reasons.append(
            Reason.of(
                "pipia.before",
                f"{len(pending)} statement(s) drafted by facegate are not confirmed by a person "
                f"({', '.join(pending)}); confirm each one or replace it with your own finding",
            )
        )
    if pipia.conclusion is None:
        reasons.append(
            Reason.of(
                "pipia.before",
                "the report has no overall conclusion; state the risk level, whether processing "
                "may proceed and on which conditions",
            )
        )
    if not approver.strip():
        reasons.append(
            Reason.of("pipia.before", "an approval must name the person who approves it")
        )
    return Decision.from_reasons(reasons, "records.three_years")


def report_date(pipia: PipiaFacts) -> datetime:
    """The date of the report, from which it is kept three years: its approval, else its
    creation."""
    return pipia.approved_at or pipia.created_at
