"""The impact assessment report (PIPIA), Chinese or English, HTML or PDF, from the same data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from facegate.documents.chinese import en_date, zh_date, zh_text
from facegate.documents.labels import METHOD_NAMES, PURPOSE_TYPES, ROLES, label
from facegate.documents.render import html_to_pdf, render_html
from facegate.law.pipia import ASPECTS, RISK_LABELS, Aspect, Conclusion, Statement

HTML_LANG = {"zh": "zh-CN", "en": "en"}

_TEXT: dict[str, dict[str, Any]] = {
    "en": {
        "title": "Personal information protection impact assessment report",
        "controller": "Controller",
        "deployment": "Deployment",
        "number": "Assessment no.",
        "status": "Status",
        "statuses": {"draft": "draft", "approved": "approved", "stale": "no longer valid"},
        "created": "Prepared on",
        "approved": "Approved by",
        "snapshot": "Purpose-and-method snapshot (SHA-256)",
        "keep": "Kept at least until",
        "subject": "What was assessed: purpose and method",
        "fields": {
            "purpose_type": "Purpose type",
            "purpose": "Purpose",
            "necessity": "Necessity",
            "method": "Method",
            "why_not_verify": "Why 1:1 verification does not serve",
        },
        "findings": "Findings",
        "measures": "Measures",
        "basis": "Legal basis of this assessment",
        "basis_text": "Facial Recognition Measures art. 9; PIPL arts. 55 and 56. The assessment "
        "is renewed when the purpose or method changes or after a major security incident, "
        "and the report is kept for at least three years.",
        "conclusion": "Overall conclusion",
        "risk": "Residual risk",
        "proceed": "May processing proceed",
        "yes": "yes, on the conditions below",
        "no": "no",
        "conditions": "Conditions",
        "none": "no conclusion has been recorded",
        "unconfirmed": "drafted, not yet confirmed by a person",
        "stale_generic": "",
        "sign": "Signatures",
        "sign_assessor": "Person in charge of the assessment (signature)",
        "sign_controller": "Personal information processor (seal)",
        "sign_date": "Date",
    },
    "zh": {
        "title": "个人信息保护影响评估报告",
        "controller": "个人信息处理者",
        "deployment": "应用场景",
        "number": "评估编号",
        "status": "状态",
        "statuses": {"draft": "草稿", "approved": "已批准", "stale": "已失效"},
        "created": "编制日期",
        "approved": "批准人",
        "snapshot": "处理目的和方式摘要（SHA-256）",
        "keep": "至少保存至",
        "subject": "评估对象：处理目的和方式",
        "fields": {
            "purpose_type": "目的类型",
            "purpose": "处理目的",
            "necessity": "必要性",
            "method": "处理方式",
            "why_not_verify": "不采用人脸验证而辨识特定个人的理由",
        },
        "findings": "评估发现",
        "measures": "保护措施",
        "basis": "评估依据",
        "conclusion": "评估结论",
        "risk": "剩余风险等级",
        "proceed": "是否可以开展处理",
        "yes": "可以，应满足下列条件",
        "no": "不可以",
        "conditions": "条件",
        "none": "尚未作出评估结论",
        "unconfirmed": "系统草拟，尚未经人工确认",
        "stale_generic": "处理目的、方式或其他评估事项发生变化，或发生重大安全事件，本评估不再适用",
        "sign": "签字盖章",
        "sign_assessor": "评估负责人（签字）",
        "sign_controller": "个人信息处理者（盖章）",
        "sign_date": "日期",
        "basis_text": "《人脸识别技术应用安全管理办法》第九条；"
        "《个人信息保护法》第五十五条、第五十六条。"
        "处理目的、方式变化或发生重大安全事件后重新评估；评估报告至少保存三年。",
    },
}


@dataclass(frozen=True)
class PipiaDocument:
    """Everything the report shows, as plain values."""

    controller_name: str
    controller_contact: str
    deployment_id: str
    deployment_name: str
    number: int
    status: str
    stale_reason: str
    created_on: date
    approver: str
    approver_role: str
    approved_on: date | None
    snapshot_hash: str
    snapshot: Mapping[str, str]
    aspects: Mapping[str, Aspect]
    keep_until: date
    conclusion: Conclusion | None = None


def _snapshot_rows(doc: PipiaDocument, lang: str) -> list[tuple[str, str]]:
    rows = []
    for key, value in doc.snapshot.items():
        if key not in _TEXT[lang]["fields"]:
            continue  # a snapshot field this build does not describe (no raw codes)
        if key == "purpose_type":
            value = label(PURPOSE_TYPES, value, lang)
        elif key == "method":
            value = label(METHOD_NAMES, value, lang)
        elif key == "why_not_verify" and not value:
            continue
        elif lang == "zh":
            value = zh_text(value)  # free text: never English inside the Chinese report
        rows.append((key, value))
    return rows


def _aspects(doc: PipiaDocument, lang: str) -> Sequence[dict[str, Any]]:
    out = []
    for spec in ASPECTS:
        aspect = doc.aspects.get(spec.key, Aspect((), ()))
        out.append(
            {
                "title": spec.title_zh if lang == "zh" else spec.title_en,
                "findings": [_said(s, lang) for s in aspect.findings],
                "measures": [_said(s, lang) for s in aspect.measures],
            }
        )
    return out


def _said(statement: Statement, lang: str) -> dict[str, Any]:
    """A statement in ``lang``: a Chinese report never shows the English text."""
    text = getattr(statement, lang) or ("" if lang == "zh" else statement.zh)
    return {"text": text or "—", "unconfirmed": not statement.confirmed}


def _conclusion(doc: PipiaDocument, lang: str) -> dict[str, Any] | None:
    c = doc.conclusion
    if c is None:
        return None
    en, zh = RISK_LABELS[c.risk_level]
    return {
        "risk": zh if lang == "zh" else en,
        "may_proceed": c.may_proceed,
        "conditions": [_said(s, lang) for s in c.conditions],
        "unconfirmed": not c.confirmed,
    }


def pipia_values(doc: PipiaDocument, *, lang: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The report's labels and values in ``lang``: what the HTML and PDF report render, and
    what the console shows when the report is read there (the same words from the same data)."""
    if lang not in _TEXT:
        raise ValueError(f"language must be zh or en, not {lang!r}")
    zh = lang == "zh"
    controller = (
        f"{doc.controller_name}（{doc.controller_contact}）"
        if zh
        else (f"{doc.controller_name} ({doc.controller_contact})")
    )
    approval = ""
    when = zh_date if zh else en_date
    if doc.approved_on is not None:
        role = label(ROLES, doc.approver_role, lang)
        approval = (
            f"{doc.approver}（{role}），{when(doc.approved_on)}"
            if zh
            else f"{doc.approver} ({role}), {when(doc.approved_on)}"
        )
    values = {
        "controller_line": controller,
        "approval_line": approval,
        "deployment_name": doc.deployment_name,
        "deployment_id": doc.deployment_id,
        "number": doc.number,
        "status": doc.status,
        "stale_reason": _TEXT[lang]["stale_generic"] if zh else doc.stale_reason,
        "created_on": when(doc.created_on),
        "snapshot_hash": doc.snapshot_hash,
        "keep_until": when(doc.keep_until),
        "snapshot": _snapshot_rows(doc, lang),
        "aspects": _aspects(doc, lang),
        "conclusion": _conclusion(doc, lang),
        "controller_name": doc.controller_name,
    }
    return _TEXT[lang], values


def render_pipia_html(doc: PipiaDocument, *, lang: str) -> str:
    labels, values = pipia_values(doc, lang=lang)
    return render_html("pipia.html", t=labels, d=values, html_lang=HTML_LANG[lang])


def render_pipia_pdf(doc: PipiaDocument, *, lang: str) -> bytes:
    return html_to_pdf(render_pipia_html(doc, lang=lang))
