"""Processing records (records.processing) as CSV and PDF."""

from __future__ import annotations

import csv
import io
from typing import Any

from facegate.documents.content import CATEGORIES, ProcessingRecords
from facegate.documents.render import html_to_pdf, render_html

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
    return render_html(
        "records.html", lang=lang, t=_LABELS[lang], records=records, categories=CATEGORIES
    )


def records_pdf(records: ProcessingRecords, lang: str = "zh") -> bytes:
    return html_to_pdf(records_html(records, lang))
