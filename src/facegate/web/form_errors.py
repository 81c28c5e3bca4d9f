"""Refusals beside the fields they are about: each reason of a refused form goes next to the
one field that would fix it, printed once; only a reason that no field can fix stays at the
top of the form.

Reasons are placed by their rule code and the values that were submitted (never by parsing
the English of a message): the law gives its reasons in a fixed order, so where one code
covers several fields (``purpose.specific_necessary``: the purpose, the necessity, the reason
1:1 would not serve), the n-th reason of that code belongs to the n-th field that was left
blank.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from facegate.errors import FacegateError
from facegate.messages import t
from facegate.web.app import problem
from facegate.web.common import Visit

Placer = Callable[[Mapping[str, str], int], str]
"""(submitted values, index of the reason among those of its code) -> field name, or ""."""


def _field(name: str) -> Placer:
    return lambda values, index: name


def _purpose(values: Mapping[str, str], index: int) -> str:
    blank = [f for f in ("purpose", "necessity") if not values.get(f, "").strip()]
    if values.get("method") == "identify" and not values.get("why_not_verify", "").strip():
        blank.append("why_not_verify")
    return blank[index] if index < len(blank) else "purpose"


def _signs(values: Mapping[str, str], index: int) -> str:
    """A device in a public place: without confirmed signs, the first reason is the signs'
    (law.location.public_place_signs comes before public_place_basis)."""
    unsigned = values.get("signage_confirmed") != "on"
    return "signage_confirmed" if unsigned and index == 0 else "location_type"


WIZARD: Mapping[str, Placer] = {
    "purpose.specific_necessary": _purpose,
    "scope.rnd_excluded": _field("purpose_type"),
    "sector.automotive": _field("purpose_type"),
    "alternative.required": _field("alternatives"),
    "consent.not_conditional": _field("alternatives"),
    "location.private_space": _field("location_type"),
    "location.public_place": _field("location_type"),
    "storage.retention_minimum": _field("retention_days"),
    "storage.on_device": _field("transfer_mode"),
    "storage.networked_consent": _field("transfer_mode"),
    "capture.opt_in": _field("capture_mode"),
}
"""The deployment wizard's fields, by the rule that refused."""

DEVICE: Mapping[str, Placer] = {
    "location.private_space": _field("location_type"),
    "location.public_place": _signs,
    "sector.automotive": _field("location_type"),
}
"""The device form's fields, by the rule that refused."""


FieldErrors = dict[str, Any]
"""Field -> the reasons printed beside it (a list of ``{"message", "code", "articles",
"cited"}``, the last three for a legal refusal), or ``{"see": other}`` for a field that the
same sentence, printed beside ``other``, is also about (marked, and pointed at it)."""


def place(
    reasons: Sequence[Mapping[str, Any]],
    values: Mapping[str, str],
    rules: Mapping[str, Placer],
    fields: Sequence[str],
) -> tuple[FieldErrors, list[Mapping[str, Any]]]:
    """Each reason's message beside its field (``fields`` are those the form shows), and the
    reasons no field can fix, in their order. A sentence is printed once: where two reasons
    read the same (the Chinese summary of one rule), the second field points at the first."""
    beside: FieldErrors = {}
    printed: dict[str, str] = {}  # sentence -> the field it is printed beside
    rest: list[Mapping[str, Any]] = []
    seen: dict[str, int] = {}
    for reason in reasons:
        code = str(reason.get("code", ""))
        index = seen.get(code, 0)
        seen[code] = index + 1
        placer = rules.get(code)
        field = placer(values, index) if placer else ""
        if field not in fields:
            rest.append(reason)
            continue
        message = str(reason.get("message", ""))
        if message in printed:
            if printed[message] != field and field not in beside:
                beside[field] = {"see": printed[message]}
            continue
        current = beside.get(field)
        if not isinstance(current, list):
            current = beside[field] = []
        current.append(dict(reason))
        printed[message] = field
    return beside, rest


def missing(values: Mapping[str, str], required: Mapping[str, str]) -> FieldErrors:
    """The required fields left blank, each with its sentence (``required``: field -> the
    sentence in the page's language), checked before anything is sent to the Gate."""
    return {
        f: [{"message": sentence}]
        for f, sentence in required.items()
        if not values.get(f, "").strip()
    }


def refused_form(
    current: Visit,
    exc: FacegateError,
    values: Mapping[str, str],
    rules: Mapping[str, Placer],
    fields: Sequence[str],
) -> FieldErrors:
    """A refused form: each reason beside its field (returned), and a flash at the top that
    says so once, with only the reasons no field can fix."""
    body = problem(exc, current.lang)
    beside, rest = place(body["reasons"], values, rules, fields)
    if beside and not rest:
        current.flash("error", t("console.daily.fix_fields", current.lang))
    else:
        current.flash("error", body["message"], [dict(r) for r in rest])
    return beside
