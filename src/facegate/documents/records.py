"""Processing records (records.processing) as CSV and PDF."""

from __future__ import annotations

import csv
import io
from typing import Any

from facegate.documents.chinese import en_date, en_datetime, zh_date, zh_datetime
from facegate.documents.content import CATEGORIES, ProcessingRecords
from facegate.documents.labels import ROLES
from facegate.documents.render import html_to_pdf, render_html

_ACTORS = {
    **ROLES,
    "cli": ("command line", "命令行"),
    "system": ("system", "系统"),
    "demo": ("demo", "演示"),
    "subject": ("the person", "本人"),
    "kiosk": ("kiosk", "现场终端"),
}


def _actor(actor: str, lang: str) -> str:
    """Who acted, named: a role or channel by its label; ``role:id`` as the label and the id."""
    head, _, rest = actor.partition(":")
    pair = _ACTORS.get(head)
    if pair is None:
        return actor
    name = pair[1] if lang == "zh" else pair[0]
    return f"{name} {rest}".strip()


_LABELS: dict[str, dict[str, Any]] = {
    "zh": {
        "title": "人脸信息处理情况记录",
        "controller": "处理者",
        "deployment": "应用场景",
        "all": "全部",
        "period": "期间",
        "generated": "生成时间",
        "basis": "依据《人脸识别技术应用安全管理办法》第九条；记录至少保存三年。"
        "数据来源：哈希链审计日志。",
        "day": "日期",
        "actor": "操作者",
        "total": "合计",
        "cat": {
            "enrolments": "录入",
            "verifications": "验证",
            "identifications": "识别",
            "alternatives": "替代方式",
            "withdrawals": "撤回同意",
            "deletions": "删除",
            "transfers": "传输",
            "refusals": "拒绝",
        },
    },
    "en": {
        "title": "Records of face information processing",
        "controller": "Controller",
        "deployment": "Deployment",
        "all": "all",
        "period": "Period",
        "generated": "Generated",
        "basis": "Measures art. 9; kept at least three years. Source: the hash-chained audit log.",
        "day": "Day",
        "actor": "Actor",
        "total": "Total",
        "cat": {c: c for c in CATEGORIES},
    },
}


def records_csv(records: ProcessingRecords) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["day", "deployment_id", "actor", *CATEGORIES, "transfer_legal_bases"])
    for row in records.rows:
        writer.writerow(
            [
                row.day.isoformat(),
                row.deployment_id,
                row.actor,
                *(row.counts[c] for c in CATEGORIES),
                "; ".join(row.transfer_bases),
            ]
        )
    return buffer.getvalue()


def records_html(records: ProcessingRecords, lang: str = "zh") -> str:
    day = zh_date if lang == "zh" else en_date
    moment = zh_datetime if lang == "zh" else en_datetime
    return render_html(
        "records.html",
        lang=lang,
        t=_LABELS[lang],
        records=records,
        categories=CATEGORIES,
        day=day,
        generated=moment(records.generated_at),
        actor=lambda a: _actor(a, lang),
    )


def records_pdf(records: ProcessingRecords, lang: str = "zh") -> bytes:
    return html_to_pdf(records_html(records, lang))
