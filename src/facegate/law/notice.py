"""The transparency notice (M5, PIPL17, PIPL30, NDSR21): the items it must carry, whether the
published version still tells the truth, and whether a consent was given on it.

A notice is versioned: each published version is identified by the SHA-256 of its rendered
content, and every consent records the hash of the version the person was shown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from facegate.law.decision import Decision, Reason
from facegate.law.facts import ConsentFacts, DeploymentFacts, LocationType, PurposeType

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

CHINESE_TEXT_FIELDS = ("purpose", "necessity", "why_not_verify", "alternatives")
"""The deployment's free text that the notice and the PIPIA quote to the people concerned:
written in Chinese (PIPL 17: 清晰易懂的语言; docs/legal-notes.md), English optional beside it."""


def has_chinese(text: str) -> bool:
    return bool(_CJK.search(text))


def fields_lacking_chinese(values: Mapping[str, Any]) -> list[str]:
    """Which of the free-text fields in ``values`` are filled but hold no Chinese (an empty
    field is the deployment rules' business, not this one's)."""
    lacking: list[str] = []
    for name in CHINESE_TEXT_FIELDS:
        value = values.get(name)
        texts = [value] if isinstance(value, str) else list(value or ())
        if any(isinstance(t, str) and t.strip() and not has_chinese(t) for t in texts):
            lacking.append(name)
    return lacking


@dataclass(frozen=True)
class NoticeFacts:
    """What a notice is generated from: the controller and the deployment as described."""

    controller_name: str
    controller_contact: str
    controller_address: str
    dpo: str
    deployment_name: str
    purpose_type: str
    purpose: str
    necessity: str
    method: str
    why_not_verify: str
    retention_days: int
    alternatives: tuple[str, ...]
    transfer_mode: str
    lawful_basis: str
    public_place: bool
    location_type: str
    entrusted_processor: str
    minors: bool
    capture_mode: str = "explicit_act"
    liveness: str = "passive"  # off, passive or active (M14): the notice says which
    english: Mapping[str, Any] = field(default_factory=dict)  # English beside the free text

    def as_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["alternatives"] = list(self.alternatives)
        return values


REQUIRED_ITEMS: Mapping[str, tuple[str, ...]] = {
    "controller name": ("controller_name",),
    "controller contact": ("controller_contact",),
    "purpose": ("purpose",),
    "method": ("method",),
    "retention period": ("retention_days",),
    "necessity": ("necessity",),
    "how to exercise rights (a contact that handles requests)": ("controller_contact",),
    "the non-face alternative": ("alternatives",),
}
"""Each item the law requires (M5, PIPL17) and the facts it is generated from. The impact on
rights, what happens when retention ends, and the other matters are generated from these."""


def may_enrol_minors(d: DeploymentFacts) -> bool:
    """Can children under 14 be among the people enrolled? Not at a workplace or a driver's
    seat; anywhere else (homes, schools, shops) assume they can, so the notice carries the
    minors' rules."""
    adult_only = {PurposeType.ATTENDANCE, PurposeType.DRIVING_SAFETY}
    return d.purpose_type not in adult_only and d.location_type != LocationType.OFFICE


def _empty(value: object) -> bool:
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return value <= 0
    if isinstance(value, tuple):
        return not any(isinstance(v, str) and v.strip() for v in value)
    return value is None


def missing_items(facts: NoticeFacts) -> list[str]:
    values = facts.as_dict()
    values["alternatives"] = facts.alternatives
    return [item for item, names in REQUIRED_ITEMS.items() if any(_empty(values[n]) for n in names)]


def check_notice_items(facts: NoticeFacts) -> Decision:
    """May a notice be published from these facts? Only with every required item."""
    missing = missing_items(facts)
    if not missing:
        return Decision.allow()
    return Decision.refuse(
        Reason.of(
            "notice.required_items",
            f"the notice lacks required items: {', '.join(missing)}; people must be told these "
            "before their face is processed",
        )
    )


@dataclass(frozen=True)
class PublishedNotice:
    version: int
    sha256: str
    facts: Mapping[str, Any]  # NoticeFacts.as_dict() when it was published


def check_published_notice(
    current: NoticeFacts, published: PublishedNotice | None, due_version: int
) -> Decision:
    """May the deployment be activated or keep processing? Only while a notice with every
    item is published and still says what the deployment now does."""
    missing = check_notice_items(current)
    if not missing.allowed:
        return missing
    if published is None:
        return Decision.refuse(
            Reason.of(
                "notice.required_items",
                "no notice has been published for this deployment; publish it so that people "
                "are told before their face is processed",
            )
        )
    # A fact the published version predates (facegate learnt to say it later) is not a change.
    changed = sorted(
        k for k, v in current.as_dict().items() if k in published.facts and published.facts[k] != v
    )
    if changed:
        return Decision.refuse(
            Reason.of(
                "notice.required_items",
                f"the published notice (version {published.version}) no longer matches the "
                f"deployment: {', '.join(changed)} changed; publish a new version to tell "
                "people again",
            )
        )
    if due_version > published.version:
        return Decision.refuse(
            Reason.of(
                "notice.required_items",
                f"the purpose or method changed: notice version {due_version} is due but "
                f"version {published.version} is the latest published; publish the new version",
            )
        )
    return Decision.allow()


def check_consent_notice(consent: ConsentFacts | None, current: PublishedNotice | None) -> Decision:
    """May a new enrolment rely on this consent? Only if the person consented to the notice
    version now in force: a consent given on what they were told before does not cover what
    changed (PIPL14 para. 2, NDSR22). (No consent at all is ``consent.separate``'s concern.)"""
    if consent is None or current is None or consent.notice_hash == current.sha256:
        return Decision.allow()
    shown = consent.notice_hash[:12] or "none recorded"
    return Decision.refuse(
        Reason.of(
            "consent.purpose_change",
            f"this person consented on a notice ({shown}) that is not the current one "
            f"(version {current.version}, {current.sha256[:12]}); show them the current notice "
            "and record their consent again before enrolling",
        )
    )


_UNLIMITED_GRANTS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\birrevocabl[ey]\b",
        r"\bperpetual(ly)?\b",
        r"\bunlimited\s+(right|licen[cs]e|use|period|time)",
        r"\bsub-?licen[cs](e|able|ing)\b",
        r"\bin\s+perpetuity\b",
        r"\bworldwide,?\s+royalty-free\b",
        r"\bfor\s+any\s+purpose\b",
        r"不可撤销",
        r"无限期",
        r"永久(授权|使用|保存|许可)",
        r"(任意|可)转授权",
        r"再许可",
        r"用于任何目的",
    )
)


def unlimited_grants(text: str) -> list[str]:
    """Wording in ``text`` that would grant unlimited, irrevocable or sub-licensable rights
    over face data (void under SPC art. 11)."""
    return [m.group(0) for p in _UNLIMITED_GRANTS for m in p.finditer(text)]


def check_terms(text: str) -> Decision:
    """May this notice or consent text be shown? Never with such grants."""
    found = unlimited_grants(text)
    if not found:
        return Decision.allow()
    return Decision.refuse(
        Reason.of(
            "terms.no_unlimited_rights",
            "the text would grant unlimited, irrevocable or sub-licensable rights over face "
            f"data, which the law voids: {', '.join(dict.fromkeys(found))}",
        )
    )
