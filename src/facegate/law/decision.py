"""What the law says about one operation: allowed, or refused with reasons and their articles."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from facegate.law.catalogue import RULES, format_articles

OPERATIONAL_CODES: frozenset[str] = frozenset(
    {
        "deployment.inactive",
        "device.wrong_deployment",
        "device.inactive",
    }
)
"""Reason codes that are not legal rules (and so cite no article): the state of the system."""


@dataclass(frozen=True)
class Reason:
    """Why an operation is refused: the rule's code, its articles, and a message for people."""

    code: str
    articles: tuple[str, ...]
    message: str

    @classmethod
    def of(cls, code: str, message: str) -> Reason:
        """A reason citing the catalogue's articles for ``code`` (none for operational codes).

        ``ValueError`` for a code that is neither a rule nor an operational code, so a typo
        cannot produce a legal refusal without its articles.
        """
        if code in RULES:
            return cls(code, RULES[code].articles, message)
        if code in OPERATIONAL_CODES:
            return cls(code, (), message)
        raise ValueError(f"unknown reason code {code!r}")

    def explain(self) -> str:
        """``(Measures art. 6; PIPL art. 14): message``, or just the message without articles."""
        if self.articles:
            return f"({format_articles(self.articles)}): {self.message}"
        return self.message


@dataclass(frozen=True)
class Decision:
    """Allowed (with the obligations that follow) or refused (with at least one reason)."""

    allowed: bool
    reasons: tuple[Reason, ...] = ()
    obligations: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.allowed and self.reasons:
            raise ValueError("an allowed decision carries no reasons")
        if not self.allowed and not self.reasons:
            raise ValueError("a refusal must give at least one reason")

    @classmethod
    def allow(cls, *obligations: str) -> Decision:
        return cls(True, (), _unique(obligations))

    @classmethod
    def refuse(cls, *reasons: Reason) -> Decision:
        return cls(False, tuple(reasons))

    @classmethod
    def from_reasons(cls, reasons: Iterable[Reason], *obligations: str) -> Decision:
        """Refused when there is any reason, else allowed with the obligations."""
        found = tuple(reasons)
        if found:
            return cls(False, found, _unique(obligations))
        return cls.allow(*obligations)

    @classmethod
    def combine(cls, *decisions: Decision) -> Decision:
        """Allowed only if every decision is; reasons and obligations gathered in order."""
        reasons = tuple(r for d in decisions for r in d.reasons)
        obligations = _unique(o for d in decisions for o in d.obligations)
        return cls(not reasons, reasons, obligations)

    @property
    def codes(self) -> tuple[str, ...]:
        return _unique(r.code for r in self.reasons)

    @property
    def articles(self) -> tuple[str, ...]:
        return _unique(a for r in self.reasons for a in r.articles)

    def explain(self) -> str:
        """One line for people, e.g. ``refused (Measures art. 6; PIPL art. 14): no consent``.

        Several reasons are joined by ``"; "``, each starting with ``refused``.
        """
        if self.allowed:
            if self.obligations:
                return f"allowed; obligations: {', '.join(self.obligations)}"
            return "allowed"
        return "; ".join(_refusal_line(r) for r in self.reasons)


def _refusal_line(reason: Reason) -> str:
    return f"refused {reason.explain()}" if reason.articles else f"refused: {reason.message}"


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
