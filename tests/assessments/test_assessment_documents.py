"""The notice, the sign and the assessment report as rendered (notice.accessibility,
terms.no_unlimited_rights, minor.guardian's Document part, Chinese in the PDFs)."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from assessment_sites import DraftSite, assess_and_notice

from facegate.documents.notice import (
    DEMO_PUBLIC_URL,
    PublicUrlInvalid,
    notice_content,
    notice_texts,
    notice_url,
    qr_svg,
    render_notice_html,
    render_sign_pdf,
)
from facegate.documents.pipia import render_pipia_html, render_pipia_pdf
from facegate.law.notice import NoticeFacts, unlimited_grants
from facegate.service import Gate
from facegate.service.assessments import pipia_document

pytestmark = pytest.mark.both_databases

FACTS = NoticeFacts(
    controller_name="Sunrise Property Co.",
    controller_contact="dpo@sunrise.cn",
    controller_address="1 River Road",
    dpo="Li Wei",
    deployment_name="North gate",
    purpose_type="access_control",
    purpose="三号楼住户经北门通行",
    necessity="门卡曾被转借和遗失",
    method="identify",
    why_not_verify="住户通行时不停留",
    retention_days=365,
    alternatives=("密码键盘", "门岗人工核验"),
    transfer_mode="on_device",
    lawful_basis="consent",
    public_place=True,
    location_type="residential_entrance",
    entrusted_processor="Acme Vision Ltd.",
    minors=True,
    english={
        "purpose": "Let residents through the north gate",
        "necessity": "Cards were shared and lost",
        "why_not_verify": "Residents do not stop",
        "alternatives": ["PIN pad", "guard desk"],
    },
)
CONTENT = notice_content(FACTS)


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    assert shutil.which("pdftotext"), "pdftotext is installed by make"
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def visible_text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", re.sub(r"<style>.*?</style>", "", html, flags=re.S))


# -- the notice's items --------------------------------------------------------------------------
def _zh(content: dict[str, object]) -> str:
    return visible_text(render_notice_html(content, lang="zh", version=1, sha256="0" * 64))


def test_notice_required_items_categories_of_personal_information() -> None:
    # PIPL art. 17: the categories processed, each named.
    zh = _zh(CONTENT)
    for category in ("人脸特征数据", "身份信息", "出生日期", "识别的记录", "摘要值", "同意记录",
                     "监护人与未成年人的关系"):  # fmt: skip
        assert category in zh, category


def test_rights_access_delete_every_right_and_both_complaint_channels() -> None:
    # PIPL arts. 44-48; Measures art. 17.
    zh = _zh(CONTENT)
    for right in ("限制或者拒绝", "查阅、复制", "转移", "更正、补充", "删除", "解释说明",
                  "网信部门、公安机关", "第十七条", "行使上述权利的方式"):  # fmt: skip
        assert right in zh, right


def test_minor_guardian_notice_states_the_rules_for_children() -> None:
    minors = next(s for s in CONTENT["sections"] if s["key"] == "minors")
    assert minors["heading"]["zh"] == "不满十四周岁未成年人个人信息处理规则"
    rules = minors["paragraphs"]["zh"]
    assert len(rules) == 5 and rules[0].startswith("一、") and "单独同意" in rules[0]
    assert any("不通过网络对外传输" in r for r in rules)


@pytest.mark.parametrize("basis", ["legal_duty", "contract_necessity"])
def test_consent_separate_wording_follows_the_lawful_basis(basis: str) -> None:
    zh = _zh(notice_content(dataclasses.replace(FACTS, lawful_basis=basis)))
    assert "只有在您就此单独表示同意后" not in zh and "撤回同意" not in zh.split("未成年人")[0]
    assert "而非您的同意" in zh
    assert "只有在您就此单独表示同意后" in _zh(CONTENT)


def test_notice_required_items_the_measures_term_for_the_notice() -> None:
    assert CONTENT["title"]["zh"] == "人脸信息处理告知书"
    assert "辨识特定个人" in _zh(CONTENT)


def test_notice_required_items_all_in_the_rendered_notice() -> None:
    keys = [s["key"] for s in CONTENT["sections"]]
    assert keys == [
        "controller", "purpose", "retention", "necessity", "categories", "rights", "minors",
        "other",
    ]  # fmt: skip
    en = visible_text(render_notice_html(CONTENT, lang="en", version=1, sha256="0" * 64))
    for expected in ("Sunrise Property Co.", "dpo@sunrise.cn", "north gate", "365 days",
                     "deleted automatically", "Cards were shared and lost", "PIN pad",
                     "withdraw", "delete", "Acme Vision Ltd.", "public safety"):  # fmt: skip
        assert expected in en
    zh = visible_text(render_notice_html(CONTENT, lang="zh", version=1, sha256="0" * 64))
    for expected in ("处理者", "保存 365 天", "撤回", "删除", "密码键盘、门岗人工核验",
                     "三号楼住户经北门通行", "门卡曾被转借和遗失"):  # fmt: skip
        assert expected in zh
    assert "PIN pad" not in zh and "north gate" not in zh  # never English in the Chinese


def test_notice_required_items_chinese_free_text_is_never_replaced_by_english() -> None:
    english_only = notice_content(
        dataclasses.replace(FACTS, purpose="Let residents in", english={})
    )
    zh = visible_text(render_notice_html(english_only, lang="zh", version=1, sha256="0" * 64))
    assert "Let residents in" not in zh and "未提供中文表述" in zh
    en = visible_text(render_notice_html(english_only, lang="en", version=1, sha256="0" * 64))
    assert "Let residents in" in en


def test_minor_guardian_rules_in_the_notice_only_where_minors_may_be_enrolled() -> None:
    assert "guardian" in " ".join(notice_texts(CONTENT))
    adults = notice_content(dataclasses.replace(FACTS, minors=False))
    assert "minors" not in [s["key"] for s in adults["sections"]]


# -- terms.no_unlimited_rights ---------------------------------------------------------------
def test_terms_no_unlimited_rights_absent(gate: Gate, draft: DraftSite) -> None:
    """No rendered notice, sign text or report grants unlimited, irrevocable or sub-licensable
    rights, in either language."""
    assess_and_notice(gate, draft.deployment_id)
    notice = gate.notice(draft.deployment_id).notice
    report = gate.pipia(draft.deployment_id)
    doc = pipia_document(report.assessment, report.deployment, report.controller)
    rendered = [
        *(render_notice_html(c, lang=lang, version=1, sha256="0" * 64)
          for c in (CONTENT, notice.content) for lang in ("zh", "en", "bilingual")),
        *(render_pipia_html(doc, lang=lang) for lang in ("zh", "en")),
        *notice_texts(CONTENT),
    ]  # fmt: skip
    for html in rendered:
        assert unlimited_grants(visible_text(html)) == []


def test_terms_no_unlimited_rights_refused_by_the_scanner_when_present() -> None:
    bad = dataclasses.replace(
        FACTS, purpose="an irrevocable, sub-licensable use for any purpose", english={}
    )
    text = visible_text(render_notice_html(notice_content(bad), lang="en", version=1, sha256=""))
    assert len(unlimited_grants(text)) >= 2


# -- notice.accessibility --------------------------------------------------------------------
def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_notice_accessibility_language_and_headings() -> None:
    zh = render_notice_html(CONTENT, lang="zh", version=1, sha256="0" * 64)
    assert '<html lang="zh-CN">' in zh
    assert zh.count("<h1>") == 1 and zh.count("<h2 ") == len(CONTENT["sections"])
    assert "<main" in zh and 'class="skip"' in zh
    both = render_notice_html(CONTENT, lang="bilingual", version=1, sha256="0" * 64)
    assert 'lang="zh-CN"' in both and '<article class="lang-block" lang="en">' in both
    assert both.count("<h1>") == 2


def test_notice_accessibility_large_type_option() -> None:
    normal = render_notice_html(CONTENT, lang="en", version=1, sha256="0" * 64)
    large = render_notice_html(CONTENT, lang="en", version=1, sha256="0" * 64, large=True)
    assert 'class="notice large"' in large and "body.large { font-size: 1.5rem" in large
    assert 'href="?large=1"' in normal and 'href="?large=0"' in large


def test_notice_accessibility_contrast_meets_wcag_aaa() -> None:
    html = render_notice_html(CONTENT, lang="en", version=1, sha256="0" * 64)
    colours = set(re.findall(r"color: (#[0-9a-f]{6})", html))
    assert colours, "the page sets its colours"
    for colour in colours - {"#ffffff"}:
        assert contrast(colour, "#ffffff") >= 7.0, colour


def test_notice_accessibility_refused_contrast_is_detected() -> None:
    assert contrast("#999999", "#ffffff") < 7.0


# -- the sign and the report as PDF ---------------------------------------------------------------
def test_notice_accessibility_sign_needs_a_public_url() -> None:
    for base in ("", "  ", "ftp://x.cn", "/relative", "https://x.cn/?a=1"):
        with pytest.raises(PublicUrlInvalid):
            notice_url("dep-1", base)
    for local in ("http://127.0.0.1:8000", "http://localhost", "http://[::1]:80", "http://0.0.0.0"):
        with pytest.raises(PublicUrlInvalid, match="local address"):
            notice_url("dep-1", local)
        assert notice_url("dep-1", local, demo=True).endswith("/v1/deployments/dep-1/notice")
    assert (
        notice_url("dep-1", "https://faces.example.cn/")
        == "https://faces.example.cn/v1/deployments/dep-1/notice"
    )


def test_sign_pdf_has_chinese_short_form_and_qr(tmp_path: Path) -> None:
    url = notice_url("dep-1", DEMO_PUBLIC_URL, demo=True)
    assert url == "http://127.0.0.1:8000/v1/deployments/dep-1/notice"
    assert (
        notice_url("dep-1", "https://gate.example.cn/n/{id}") == "https://gate.example.cn/n/dep-1"
    )
    assert qr_svg(url).startswith("<svg")
    text = pdf_text(render_sign_pdf(CONTENT, url=url, version=3), tmp_path)
    assert "人脸信息处理告知书" in text
    assert "此处使用人脸识别" in text and "Face recognition in use" in text
    assert "version 3" in text


@pytest.mark.parametrize(("lang", "title"), [("zh", "个人信息保护影响评估报告"),
                                             ("en", "protection impact assessment")])  # fmt: skip
def test_pipia_report_pdf_in_both_languages(
    gate: Gate, draft: DraftSite, tmp_path: Path, lang: str, title: str
) -> None:
    assess_and_notice(gate, draft.deployment_id)
    report = gate.pipia(draft.deployment_id)
    doc = pipia_document(report.assessment, report.deployment, report.controller)
    text = pdf_text(render_pipia_pdf(doc, lang=lang), tmp_path)
    assert title in text
    assert "AES-256-GCM" in text
    if lang == "zh":
        assert "已批准" in text and "国家网络身份认证公共服务" in text


def test_rendering_a_pdf_leaves_pillow_strict_about_truncated_photos(tmp_path: Path) -> None:
    """WeasyPrint's import would switch on Pillow's LOAD_TRUNCATED_IMAGES for the whole
    process; the face engine must keep refusing truncated photos after a sign is printed."""
    from PIL import ImageFile

    render_sign_pdf(CONTENT, url=notice_url("dep-1", "https://faces.example.cn"), version=1)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
