"""Security incidents (PIPL57, NDSR11) and their effect on impact assessments (M9).

After a leak, tampering or loss, remedy at once and notify the authorities and the people
affected of: what happened (categories of data, cause, possible harm), the measures taken,
what people can do, and a contact. A major incident makes every PIPIA it touches stale.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    MINOR = "minor"
    MAJOR = "major"


@dataclass(frozen=True)
class NoticeField:
    key: str
    en: str
    zh: str


NOTIFY_FIELDS: tuple[NoticeField, ...] = (
    NoticeField("categories", "Categories of personal information involved", "涉及的个人信息种类"),
    NoticeField("cause", "Cause of the incident", "事件发生的原因"),
    NoticeField("harm", "Possible harm", "可能造成的危害"),
    NoticeField("measures", "Remedial measures taken", "已采取的补救措施"),
    NoticeField("remedies", "What you can do to reduce the harm", "个人可以采取的减轻危害的措施"),
    NoticeField("contact", "Contact", "处理者的联系方式"),
)
"""What a notification must tell (PIPL57)."""


def missing_notice_fields(values: Mapping[str, str]) -> list[str]:
    """The notification fields that are empty; a notification cannot go out without them."""
    return [f.key for f in NOTIFY_FIELDS if not values.get(f.key, "").strip()]


def stales_pipia(severity: str) -> bool:
    """``pipia.renew``: a major security incident calls for a new assessment."""
    return Severity(severity) is Severity.MAJOR
