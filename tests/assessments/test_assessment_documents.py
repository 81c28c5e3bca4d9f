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

FACTS = NoticeFacts(
    controller_name="Sunrise Property Co.",
    controller_contact="dpo@sunrise.cn",
    controller_address="1 River Road",
    dpo="Li Wei",
    deployment_name="North gate",
    purpose_type="access_control",
    purpose="Let residents through the north gate",
    necessity="Cards were shared and lost",
    method="identify",
    why_not_verify="Residents do not stop",
    retention_days=365,
    alternatives=("PIN pad", "guard desk"),
    transfer_mode="on_device",
    lawful_basis="consent",
    public_place=True,
    location_type="residential_entrance",
    entrusted_processor="Acme Vision Ltd.",
    minors=True,
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
def test_notice_required_items_all_in_the_rendered_notice() -> None:
    keys = [s["key"] for s in CONTENT["sections"]]
    assert keys == ["controller", "purpose", "retention", "necessity", "rights", "minors", "other"]
    en = visible_text(render_notice_html(CONTENT, lang="en", version=1, sha256="0" * 64))
    for expected in ("Sunrise Property Co.", "dpo@sunrise.cn", "north gate", "365 days",
                     "deleted automatically", "Cards were shared and lost", "PIN pad",
                     "withdraw", "delete", "Acme Vision Ltd.", "public safety"):  # fmt: skip
        assert expected in en
    zh = visible_text(render_notice_html(CONTENT, lang="zh", version=1, sha256="0" * 64))
    for expected in ("处理者", "保存 365 天", "撤回", "删除", "PIN pad、guard desk"):
        assert expected in zh


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
    bad = dataclasses.replace(FACTS, purpose="an irrevocable, sub-licensable use for any purpose")
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
    assert "人脸识别告知" in text
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
