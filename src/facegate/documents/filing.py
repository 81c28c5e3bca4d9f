"""The filing package (filing.materials): HTML and PDF in Chinese and English, and a ZIP of
everything, rendered from ``documents.content.FilingPackageData``."""

from __future__ import annotations

import json
import zipfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from facegate.documents.chinese import en_date, zh_date, zh_level, zh_number, zh_text
from facegate.documents.content import FilingPackageData
from facegate.documents.labels import (
    CAPTURE_MODES,
    DEPLOYMENT_STATUSES,
    FILING_KINDS,
    FILING_STATUSES,
    LAWFUL_BASIS_NAMES,
    LIVENESS,
    LOCATION_TYPES,
    METHOD_NAMES,
    PIPIA_STATUSES,
    PURPOSE_TYPES,
    TRANSFER_MODES,
    label,
    label_or,
)
from facegate.documents.render import html_to_pdf, render_html
from facegate.law import filing as rules
from facegate.law.authorities import filing_office

LANGS = ("zh", "en")

_LABELS: dict[str, dict[str, Any]] = {
    "zh": {
        "title": "人脸识别技术应用备案材料",
        "generated": "生成时间",
        "basis": "依据《人脸识别技术应用安全管理办法》第十五条",
        "contents": "材料目录",
        "name": "名称",
        "id": "编号",
        "address": "地址",
        "contact": "联系方式",
        "dpo": "个人信息保护负责人",
        "deployment": "应用场景",
        "status": "状态",
        "purpose": "处理目的",
        "necessity": "必要性",
        "method": "处理方式",
        "methods": {"verify": "一对一验证", "identify": "一对多识别"},
        "location": "安装位置",
        "public_place": "公共场所",
        "devices": "设备数量",
        "lawful_basis": "处理依据",
        "written": "需书面同意",
        "alternatives": "替代方式",
        "individuals": "存储人脸信息的个人数量（去重）",
        "threshold": "备案门槛",
        "people": "人",
        "retention": "保存期限",
        "days": "天",
        "transfer": "传输方式",
        "security": [
            "人脸特征数据以 AES-GCM 加密存储，每人每场景独立数据密钥，"
            "由主密钥封装；删除即销毁密钥。",
            "不保存原始人脸图像；人脸信息与身份信息分表、分密钥存储。",
            "哈希链式安全审计日志，记录每次处理及其法律依据。",
            "访问控制与授权管理；设备身份认证；异常告警。",
        ],
        "procedures": [
            "处理前告知并取得单独同意（不满十四周岁的取得监护人同意），同时提供非人脸识别的替代方式。",
            "撤回同意或行使删除权时立即删除人脸信息（销毁密钥）。",
            "保存期限届满的人脸信息不再用于比对，并定期清除。",
            "未经单独同意或法定依据，不向设备外传输人脸信息。",
        ],
        "entrusted": "受托处理者",
        "pipia_placeholder": (
            "【待补充】个人信息保护影响评估报告未随本系统生成，请附上已批准的报告。"
        ),
        "pipia_status": "评估状态",
        "checklist": "扫描件清单",
        "item": "材料",
        "ready": "已备齐",
        "obligations": "备案义务",
        "kind": "类型",
        "due": "截止日期",
        "triggered": "起算日",
        "provisional": "暂定：该年度国务院尚未公布放假安排，按法定节假日推算",
        "to": "致",
        "c": "：",
        "sc": "；",
        "lp": "（",
        "rp": "）",
        "mlps": "网络安全等级保护",
        "liveness": "活体检测",
        "capture": "采集方式",
        "processing": "处理地点",
        "not_graded": "未登记",
        "sign": "签字盖章",
        "sign_rep": "法定代表人或主要负责人（签字）",
        "sign_seal": "个人信息处理者（盖章）",
        "sign_date": "日期",
        "date_blank": "　　　　年　　月　　日",
        "yes": "是",
        "none": "无",
    },
    "en": {
        "title": "Facial recognition record-filing package",
        "generated": "Generated",
        "basis": "Under article 15 of the Measures for the Security Management of the "
        "Application of Facial Recognition Technology",
        "contents": "Contents",
        "name": "Name",
        "id": "Id",
        "address": "Address",
        "contact": "Contact",
        "dpo": "Person in charge of personal information",
        "deployment": "Deployment",
        "status": "status",
        "purpose": "Purpose",
        "necessity": "Necessity",
        "method": "Method",
        "methods": {"verify": "1:1 verification", "identify": "1:N identification"},
        "location": "Location",
        "public_place": "public place",
        "devices": "devices",
        "lawful_basis": "Lawful basis",
        "written": "written consent required",
        "alternatives": "Alternatives",
        "individuals": "Individuals whose face information is stored (de-duplicated)",
        "threshold": "filing threshold",
        "people": "people",
        "retention": "retention",
        "days": "days",
        "transfer": "transfer",
        "security": [
            "Face templates encrypted with AES-GCM under a data key per person and deployment, "
            "wrapped by the master key; deletion destroys the key.",
            "No raw face images kept; face data and identity data in separate tables and keys.",
            "Hash-chained security audit log of every operation and its legal basis.",
            "Access control and authorisation management; device authentication; alerts.",
        ],
        "procedures": [
            "Tell people first and obtain separate consent (a guardian's under 14), always "
            "offering a non-face alternative.",
            "On withdrawal or a deletion request, the face data is deleted at once (key "
            "destroyed).",
            "Face data past its retention period never matches and is purged by the sweep.",
            "No face data leaves the device without separate consent or a legal basis.",
        ],
        "entrusted": "entrusted processor",
        "pipia_placeholder": "PLACEHOLDER: the PIPIA report is not generated by this build; "
        "attach the approved report.",
        "pipia_status": "PIPIA status",
        "checklist": "checklist of scanned documents",
        "item": "Document",
        "ready": "Ready",
        "obligations": "Filing obligations",
        "kind": "Kind",
        "due": "due",
        "triggered": "from",
        "provisional": "provisional: the State Council has not arranged that year's holidays; "
        "counted from the statutory holidays",
        "to": "To",
        "c": ": ",
        "sc": "; ",
        "lp": " (",
        "rp": ")",
        "mlps": "Graded protection (MLPS)",
        "liveness": "Liveness",
        "capture": "Capture",
        "processing": "Where faces are processed",
        "not_graded": "not recorded",
        "sign": "Signature and seal",
        "sign_rep": "Legal representative or principal person in charge (signature)",
        "sign_seal": "Personal information processor (seal)",
        "sign_date": "Date",
        "date_blank": "",
        "yes": "yes",
        "none": "none",
    },
}


def _deployment(d: dict[str, Any], lang: str) -> dict[str, Any]:
    """A deployment as the filing states it: labels, never raw codes."""
    zh = lang == "zh"
    level = d.get("mlps_level")
    english = d.get("english") or {}

    def free(key: str) -> str:
        return zh_text(str(d.get(key) or "")) if zh else str(english.get(key) or d.get(key) or "")

    names = (
        [zh_text(a) for a in d.get("alternatives") or []]
        if zh
        else (english.get("alternatives") or d.get("alternatives") or [])
    )
    return {
        **d,
        "purpose": free("purpose"),
        "necessity": free("necessity"),
        "why_not_verify": free("why_not_verify"),
        "status_label": label_or(DEPLOYMENT_STATUSES, d["status"], lang, "—"),
        "purpose_type_label": label(PURPOSE_TYPES, d["purpose_type"], lang),
        "method_label": label(METHOD_NAMES, d["method"], lang),
        "location_label": label(LOCATION_TYPES, d["location_type"], lang),
        "basis_label": label(LAWFUL_BASIS_NAMES, d["lawful_basis"], lang),
        "transfer_label": label(TRANSFER_MODES, d["transfer_mode"], lang),
        "liveness_label": label_or(LIVENESS, str(d.get("liveness", "")), lang, "—"),
        "capture_label": label_or(CAPTURE_MODES, str(d.get("capture_mode", "")), lang, ""),
        "processing_label": label_or(TRANSFER_MODES, str(d.get("processing", "")), lang, ""),
        "mlps_label": (zh_level(level) if zh else f"level {level}")
        if level
        else _LABELS[lang]["not_graded"],
        "retention_label": f"{zh_number(d['retention_days'])}日"
        if zh
        else f"{d['retention_days']} days",
        "alternatives_label": ("、" if zh else ", ").join(names) or _LABELS[lang]["none"],
    }


def _obligation(o: dict[str, Any], lang: str) -> dict[str, Any]:
    when = zh_date if lang == "zh" else en_date
    return {
        **o,
        "kind_label": label(FILING_KINDS, o["kind"], lang),
        "status_label": label(FILING_STATUSES, o["status"], lang),
        "triggered_label": when(o["triggered_on"]),
        "due_label": when(o["due"]),
    }


def _pipia_status(status: str, lang: str) -> str:
    if lang != "zh":
        return status
    return label_or(PIPIA_STATUSES, status.split(" ")[0], lang, "未知")


def filing_html(data: FilingPackageData, lang: str) -> str:
    materials = [{"key": mat.key, "label": getattr(mat, lang)} for mat in rules.MATERIALS]
    when = zh_date if lang == "zh" else en_date
    office_zh, office_en = filing_office(data.controller.get("address", ""))
    return render_html(
        "filing_package.html",
        lang=lang,
        t=_LABELS[lang],
        data=data,
        materials=materials,
        generated=when(data.generated_at),
        office=office_zh if lang == "zh" else office_en,
        deployments=[_deployment(d, lang) for d in data.deployments],
        obligations=[_obligation(o, lang) for o in data.obligations],
        pipia_status=lambda status: _pipia_status(status, lang),
        ticked_on=lambda at: when(at) if at else "",
    )


def write_package(data: FilingPackageData, out_dir: Path) -> dict[str, Path]:
    """HTML and PDF in both languages, the checklist as JSON, and a ZIP of them all."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"filing-{data.controller['id']}"
    written: dict[str, Path] = {}
    for lang in LANGS:
        html = filing_html(data, lang)
        html_path = out_dir / f"{stem}.{lang}.html"
        html_path.write_text(html, encoding="utf-8")
        pdf_path = out_dir / f"{stem}.{lang}.pdf"
        pdf_path.write_bytes(html_to_pdf(html))
        written[f"html_{lang}"] = html_path
        written[f"pdf_{lang}"] = pdf_path
    checklist_path = out_dir / f"{stem}.checklist.json"
    checklist_path.write_text(
        json.dumps(
            {"checklist": data.checklist, "pipia": [asdict(p) for p in data.pipia]},
            ensure_ascii=False,
            indent=2,
        ),
        encoding="utf-8",
    )
    written["checklist"] = checklist_path
    zip_path = out_dir / f"{stem}.zip"
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in written.values():
            archive.write(path, path.name)
    written["zip"] = zip_path
    return written
