"""Incident notification letters (incident.notify): to the authority and to the people
affected, in Chinese and English, as HTML and PDF."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from facegate.documents.chinese import en_datetime, zh_datetime
from facegate.documents.labels import SEVERITIES, label
from facegate.documents.render import html_to_pdf, render_html
from facegate.law.incident import NOTIFY_FIELDS

AUDIENCES = ("authority", "people")
LANGS = ("zh", "en")

_COMMON: dict[str, dict[str, Any]] = {
    "zh": {
        "what": "事件经过",
        "when": "发生时间",
        "severity": "严重程度",
        "severities": {"minor": "一般", "major": "重大"},
        "deployments": "涉及的应用场景",
        "dpo": "联系人",
        "basis": "依据《个人信息保护法》第五十七条、《网络数据安全管理条例》第十一条、"
        "《国家网络安全事件报告管理办法》第四条",
        "deadlines": "报告和通知时限",
        "by": "截止时间",
        "if_graded": "（经研判属于较大以上网络安全事件的）",
        "sign_person": "负责人（签字）",
        "sign_seal": "个人信息处理者（盖章）",
        "sign_date": "日期",
        "date_blank": "　　　　年　　月　　日",
        "c": "：",
    },
    "en": {
        "what": "What happened",
        "when": "When",
        "severity": "Severity",
        "severities": {"minor": "minor", "major": "major"},
        "deployments": "Deployments concerned",
        "dpo": "Contact",
        "basis": "PIPL art. 57; Network Data Security Regulation art. 11; national rules on "
        "reporting cybersecurity incidents (in force 2025-11-01) art. 4",
        "deadlines": "Reporting and notification deadlines",
        "by": "Due",
        "if_graded": " (if graded relatively major or above)",
        "sign_person": "Person in charge (signature)",
        "sign_seal": "Personal information processor (seal)",
        "sign_date": "Date",
        "date_blank": "",
        "c": ": ",
    },
}
_AUDIENCE: dict[tuple[str, str], dict[str, str]] = {
    ("zh", "authority"): {
        "title": "个人信息安全事件报告",
        "to": "致：{office}",
        "opening": "我单位发生个人信息安全事件，已立即采取补救措施，现将有关情况报告如下。",
    },
    ("zh", "people"): {
        "title": "个人信息安全事件告知书",
        "to": "致：受影响的个人",
        "opening": "我们发生了一起可能涉及您个人信息的安全事件，"
        "已立即采取补救措施，现将有关情况告知如下。",
    },
    ("en", "authority"): {
        "title": "Report of a personal information security incident",
        "to": "To: {office}",
        "opening": "A personal information security incident has occurred. We took remedial "
        "measures at once and report it as follows.",
    },
    ("en", "people"): {
        "title": "Notice of a personal information security incident",
        "to": "To: the people affected",
        "opening": "A security incident may have affected your personal information. We took "
        "remedial measures at once; here is what you need to know.",
    },
}


def letter_html(incident: dict[str, Any], audience: str, lang: str) -> str:
    labels = {**_COMMON[lang], **_AUDIENCE[(lang, audience)]}
    authority = incident.get("authority") or {}
    labels["to"] = labels["to"].replace(
        "{office}",
        str(authority.get(lang, ""))
        or ("省级网信部门" if lang == "zh" else "the provincial cyberspace office"),
    )
    fields = [{"key": f.key, "label": getattr(f, lang)} for f in NOTIFY_FIELDS]
    when = zh_datetime if lang == "zh" else en_datetime
    deadlines = [
        {
            "text": d[lang],
            "due": when(d["due"]) if d.get("due") else "",
            "conditional": not d["required"],
            "basis": d["basis"],
        }
        for d in incident.get("deadlines", [])
        if audience == "authority" or d["key"] == "people"
    ]
    return render_html(
        "incident_letter.html",
        lang=lang,
        t=labels,
        incident=incident,
        audience=audience,
        fields=fields,
        occurred=when(incident["occurred_at"]),
        severity=label(SEVERITIES, incident["severity"], lang),
        deadlines=deadlines,
    )


def write_letters(incident: dict[str, Any], out_dir: Path) -> list[Path]:
    """Both letters in both languages, HTML and PDF."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for audience in AUDIENCES:
        for lang in LANGS:
            html = letter_html(incident, audience, lang)
            stem = f"incident-{incident['id']}-{audience}.{lang}"
            html_path = out_dir / f"{stem}.html"
            html_path.write_text(html, encoding="utf-8")
            pdf_path = out_dir / f"{stem}.pdf"
            pdf_path.write_bytes(html_to_pdf(html))
            written += [html_path, pdf_path]
    return written
