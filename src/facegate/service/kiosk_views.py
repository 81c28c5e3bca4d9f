"""What a kiosk needs to know of its deployment to draw its pages, read here so that the web
layer never queries the store: how a returning person can be recognised (1:N within the
deployment, or a card or QR credential plus their face) and which non-face alternatives the
deployment offers (Measures art. 10), so the alternative page asks only for what exists."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from facegate import law
from facegate.service.context import GateContext
from facegate.service.registry import get_deployment, get_device
from facegate.store import models as m

ALTERNATIVE_KINDS = ("card", "qr", "pin", "staff_check")
"""The order the alternative page offers them in."""

_WORDS: dict[str, re.Pattern[str]] = {
    "card": re.compile(r"card|badge|门禁卡|卡片|刷卡|一卡通|IC\s*卡|卡", re.IGNORECASE),
    "qr": re.compile(r"\bqr\b|qr[- ]?code|二维码|扫码", re.IGNORECASE),
    "pin": re.compile(r"\bpin\b|pin[- ]?pad|passcode|密码", re.IGNORECASE),
    "staff_check": re.compile(
        r"guard|staff|desk|reception|concierge|security|保安|门卫|前台|人工|工作人员|物业",
        re.IGNORECASE,
    ),
}


def kinds_named(alternatives: list[str] | tuple[str, ...]) -> set[str]:
    """The credential kinds a deployment's own words for its alternatives name ("PIN pad",
    "门禁卡", "guard desk"...)."""
    found: set[str] = set()
    for text in alternatives:
        for kind, pattern in _WORDS.items():
            if pattern.search(text):
                found.add(kind)
    return found


@dataclass(frozen=True)
class KioskFacts:
    deployment_id: str
    identifies: bool  # 1:N allowed here: a returning person is found by their face alone
    alternatives: tuple[str, ...]  # the deployment's own words, as its notice lists them
    alternatives_en: tuple[str, ...]
    kinds: tuple[str, ...]  # what the alternative page offers, in ALTERNATIVE_KINDS order

    @property
    def lookup(self) -> bool:
        """A card or QR credential finds its holder: the way back for a 1:1 deployment."""
        return "card" in self.kinds or "qr" in self.kinds


def kiosk_facts(ctx: GateContext, device_id: str) -> KioskFacts:
    """The kiosk's view of its device's deployment."""
    with ctx.db.transaction(readonly=True) as session:
        deployment = get_deployment(session, get_device(session, device_id).deployment_id)
        held = set(
            session.scalars(
                select(m.Credential.kind)
                .where(
                    m.Credential.deployment_id == deployment.id,
                    m.Credential.revoked_at.is_(None),
                )
                .distinct()
            )
        )
        alternatives = tuple(deployment.alternatives or ())
        english = dict(deployment.english or {}).get("alternatives") or []
        identifies = deployment.method == law.Method.IDENTIFY.value
        deployment_id = deployment.id
    named = kinds_named(alternatives) | kinds_named(tuple(english))
    kinds = tuple(k for k in ALTERNATIVE_KINDS if k in named or k in held)
    return KioskFacts(
        deployment_id=deployment_id,
        identifies=identifies,
        alternatives=alternatives,
        alternatives_en=tuple(str(e) for e in english),
        kinds=kinds or ("staff_check",),
    )


def pin_holder(ctx: GateContext, device_id: str, name: str, unit: str = "") -> str | None:
    """The subject a PIN is claimed for by name (and unit, where the person record has one),
    among the people the front desk recorded for the device's controller: exactly one, or
    nobody. No id to remember; the PIN itself is checked by the alternative's own rule."""
    from facegate.service.persons import find_people

    with ctx.db.transaction(readonly=True) as session:
        controller_id = get_deployment(
            session, get_device(session, device_id).deployment_id
        ).controller_id
    if not name.strip():
        return None
    wanted = "".join(unit.split()).casefold()
    found = [
        p
        for p in find_people(ctx, controller_id, name=name)
        if not wanted or "".join(p.unit.split()).casefold() == wanted
    ]
    return found[0].subject_id if len(found) == 1 else None
