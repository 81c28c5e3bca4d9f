"""Security incidents (PIPL57, NDSR11) and their effect on impact assessments (M9).

After a leak, tampering or loss, remedy at once and notify the authorities and the people
affected of: what happened (categories of data, cause, possible harm), the measures taken,
what people can do, and a contact. A major incident makes every PIPIA it touches stale.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from facegate.law.dates import CHINA_TZ


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


# -- reporting deadlines (incident.notify) ----------------------------------------------------

REPORTING_RULES_ZH = "《国家网络安全事件报告管理办法》"
REPORTING_RULES_EN = "Measures for the Administration of National Cybersecurity Incident Reporting"
REPORTING_RULES_IN_FORCE = "2025-11-01"
"""Issued by the Cyberspace Administration of China on 2025-09-11, in force 2025-11-01. Art. 4:
an operator that discovers or learns of a cybersecurity incident grades it under the annexed
grading guide; an incident graded 较大 (relatively major) or above is reported at once, and at
the latest within 1 hour (critical information infrastructure: to its protection department
and the public security organ), 2 hours (central and state organs: to their own cyberspace
body) or 4 hours (every other operator: to the cyberspace office of its province). After the
incident has been handled, a summary report (cause, measures, harm, accountability,
rectification, lessons) goes the same way within 5 working days. PIPL art. 57 and NDSR art. 11
add: notify the people affected promptly."""


class OperatorKind(StrEnum):
    CII = "cii"  # critical information infrastructure operator
    CENTRAL_ORGAN = "central_organ"  # central and state organs and their direct units
    OTHER = "other"


INITIAL_REPORT_HOURS: Mapping[OperatorKind, int] = {
    OperatorKind.CII: 1,
    OperatorKind.CENTRAL_ORGAN: 2,
    OperatorKind.OTHER: 4,
}
SUMMARY_REPORT_WORKING_DAYS = 5


@dataclass(frozen=True)
class ReportingDeadline:
    """One report the rules require, and by when."""

    key: str  # "initial_report", "summary_report", "people"
    due: datetime | None  # None when it runs from an event not recorded (end of handling)
    required: bool  # False: due only if the incident is graded 较大 or above
    en: str
    zh: str
    basis: str

    def to_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "due": self.due.isoformat() if self.due else None,
            "due_beijing": self.due.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
            if self.due
            else None,
            "required": self.required,
            "en": self.en,
            "zh": self.zh,
            "basis": self.basis,
        }


def reporting_deadlines(
    severity: str,
    discovered_at: datetime,
    *,
    operator: OperatorKind = OperatorKind.OTHER,
    province_office_zh: str = "属地省级网信部门",
    province_office_en: str = "the provincial cyberspace office",
) -> tuple[ReportingDeadline, ...]:
    """The reports an incident calls for. The clock runs from discovery; where only the time
    it occurred is known, the caller passes that (the earlier time: the protective reading).
    A major incident is taken as graded 较大 or above; a minor one owes the report only if the
    grading guide puts it there, so its deadline is shown but not marked required."""
    major = Severity(severity) is Severity.MAJOR
    hours = INITIAL_REPORT_HOURS[operator]
    if operator is OperatorKind.CII:
        to_zh, to_en = (
            "保护工作部门和公安机关",
            "the protection department and the public security organ",
        )
    elif operator is OperatorKind.CENTRAL_ORGAN:
        to_zh, to_en = "本部门网信工作机构", "the department's own cyberspace body"
    else:
        to_zh, to_en = province_office_zh, province_office_en
    article4 = f"{REPORTING_RULES_ZH}第四条"
    return (
        ReportingDeadline(
            "initial_report",
            discovered_at + timedelta(hours=hours),
            major,
            f"Report to {to_en} within {hours} hour(s) of discovery (incidents graded "
            "relatively major or above)",
            f"发现后{_zh_number(hours)}小时内向{to_zh}报告（较大以上网络安全事件）",
            article4,
        ),
        ReportingDeadline(
            "summary_report",
            None,
            major,
            f"Summary report to {to_en} within {SUMMARY_REPORT_WORKING_DAYS} working days "
            "after the incident has been handled",
            f"应急处置结束后{_zh_number(SUMMARY_REPORT_WORKING_DAYS)}个工作日内向{to_zh}报送总结报告",
            REPORTING_RULES_ZH,
        ),
        ReportingDeadline(
            "people",
            discovered_at,
            True,
            "Notify the people affected at once, with what happened, the measures taken, "
            "what they can do and a contact",
            "立即通知受影响的个人：事件情况、已采取的补救措施、个人可以采取的措施及联系方式",
            "《个人信息保护法》第五十七条；《网络数据安全管理条例》第十一条",
        ),
    )


_DIGITS = "零一二三四五六七八九"


def _zh_number(n: int) -> str:
    """Small whole numbers as Chinese legal texts write them (一, 十二, 二十四)."""
    if n < 10:
        return _DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")
