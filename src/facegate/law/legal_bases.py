"""Legal bases a controller may rely on instead of consent, each naming a law and an article.

Two uses: a transfer of face data off the device that a law requires (M8 "unless a law
provides otherwise"), and a deployment without a non-face alternative because state rules
provide otherwise (M10). A basis is either one of ``LEGAL_BASES`` (by its code) or a basis the
controller wrote down and its data protection officer approved (``approved:<id>``, checked by
the service against the store). Free text is never a legal basis.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from facegate.law.decision import Decision, Reason


class BasisUse(StrEnum):
    TRANSFER = "transfer"  # face data leaves the device (M8)
    NO_ALTERNATIVE = "no_alternative"  # face recognition without a non-face way (M10)


@dataclass(frozen=True)
class LegalBasis:
    code: str
    law_zh: str
    law_en: str
    article: str  # as the law numbers it, e.g. "第五十四条"
    article_en: str
    summary_en: str
    uses: frozenset[BasisUse]

    def label(self, lang: str = "en") -> str:
        if lang == "zh":
            return f"{self.law_zh}{self.article}"
        return f"{self.law_en} art. {self.article_en}"


_TRANSFER = frozenset({BasisUse.TRANSFER})

LEGAL_BASES: tuple[LegalBasis, ...] = (
    LegalBasis(
        "CPL54",
        "《中华人民共和国刑事诉讼法》",
        "Criminal Procedure Law",
        "第五十四条",
        "54",
        "courts, procuratorates and public security organs may collect evidence from any unit, "
        "which must provide it truthfully",
        _TRANSFER,
    ),
    LegalBasis(
        "CSL28",
        "《中华人民共和国网络安全法》",
        "Cybersecurity Law",
        "第二十八条",
        "28",
        "network operators support and assist public security and state security organs in "
        "protecting national security and investigating crimes",
        _TRANSFER,
    ),
    LegalBasis(
        "DSL35",
        "《中华人民共和国数据安全法》",
        "Data Security Law",
        "第三十五条",
        "35",
        "public security and state security organs may obtain data needed for national security "
        "or criminal investigation, after strict approval; organisations must cooperate",
        _TRANSFER,
    ),
)
"""Laws that may require face data to be handed over. No state rule is listed for M10's
exception: a deployment without an alternative needs a basis its data protection officer
approved (see docs/legal-notes.md)."""

APPROVED_PREFIX = "approved:"


def legal_basis(code: str) -> LegalBasis | None:
    return next((b for b in LEGAL_BASES if b.code == code.strip()), None)


def bases_for(use: BasisUse) -> tuple[LegalBasis, ...]:
    return tuple(b for b in LEGAL_BASES if use in b.uses)


def is_approved_reference(code: str) -> bool:
    return code.strip().startswith(APPROVED_PREFIX) and len(code.strip()) > len(APPROVED_PREFIX)


def basis_form(code: str, use: BasisUse, rule_code: str) -> list[Reason]:
    """Is ``code`` a legal basis for ``use`` in form: a listed code for that use, or a
    reference to an approved basis (whose approval the service checks)? Blank is no basis and
    is not checked here."""
    text = code.strip()
    if not text or is_approved_reference(text):
        return []
    known = legal_basis(text)
    if known is not None and use in known.uses:
        return []
    listed = ", ".join(b.code for b in bases_for(use)) or "none listed"
    return [
        Reason.of(
            rule_code,
            f"{text!r} is not a legal basis facegate knows for this ({use}): name one of "
            f"{listed}, or have the data protection officer approve a basis that names the law "
            "and article, and cite it as approved:<id>",
        )
    ]


def check_basis(code: str, use: BasisUse, rule_code: str) -> Decision:
    return Decision.from_reasons(basis_form(code, use, rule_code))
