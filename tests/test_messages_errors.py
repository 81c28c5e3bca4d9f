"""Typed errors read in Chinese: one catalogue sentence per error code, sizes in human units,
refusal reasons from the law's own summaries, citations written the Chinese way."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest

import facegate
from facegate.engine.errors import (
    FaceQualityTooLow,
    ImageTooLarge,
    ImageUnreadable,
    MultipleFaces,
    NoFace,
    UnsupportedFormat,
)
from facegate.errors import FacegateError
from facegate.law import Decision, Reason, Refused
from facegate.law.catalogue import RULES
from facegate.messages import has, t
from facegate.messages.errors import (
    error_text,
    format_articles,
    human_bytes,
    localized,
    reason_text,
)
from facegate.service.access import Forbidden
from facegate.service.errors import UnknownDevice

CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
ALLOWED_LATIN = {
    *("JPEG", "PNG", "GIF", "WebP", "BMP", "facegate", "init", "toml", "FACEGATE"),
    *("public_url", "details", "UTC", "admin", "dpo", "operator", "PIPIA"),
}


def _all_error_classes() -> set[type[FacegateError]]:
    for module in pkgutil.walk_packages(facegate.__path__, "facegate."):
        if ".__main__" in module.name or ".migrations" in module.name:
            continue
        importlib.import_module(module.name)
    found: set[type[FacegateError]] = set()
    todo: list[type[FacegateError]] = [FacegateError]
    while todo:
        kind = todo.pop()
        found.add(kind)
        todo.extend(kind.__subclasses__())
    return found


def test_every_typed_error_code_has_its_own_sentence() -> None:
    codes = {kind.code for kind in _all_error_classes()}
    assert len(codes) > 40  # the walk found the package's errors
    missing = sorted(c for c in codes if not has(f"error.{c}"))
    assert not missing, f"error codes without a catalogue sentence: {missing}"


def _english_words(text: str) -> set[str]:
    return {w for w in LATIN_WORD.findall(text) if w not in ALLOWED_LATIN}


@pytest.mark.parametrize(
    "exc",
    [
        ImageUnreadable("not a readable image (unknown or corrupt data)"),
        ImageTooLarge("the photo is over 15728640 bytes", details={"max_bytes": 15728640}),
        ImageTooLarge("x", details={"width": 9000, "height": 9000, "max_pixels": 40_000_000}),
        NoFace("no face found: face the camera in good light, one person at a time"),
        MultipleFaces(3),
        FaceQualityTooLow(["too_dark", "face_too_small"], ["dark", "small"]),
        UnsupportedFormat("GIF images are not supported", details={"format": "GIF"}),
        UnknownDevice("device 1234 not found"),
        Forbidden("the admin role may not do this; allowed: dpo"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_chinese_error_sentences_carry_no_english(exc: FacegateError) -> None:
    zh = error_text(exc, "zh")
    assert CJK.search(zh), zh
    assert not _english_words(zh), zh
    # English: the exact message where it is precise (API, CLI), the catalogue's on a page.
    assert error_text(exc, "en") == exc.message
    assert error_text(exc, "en", precise=False) != ""


def test_sizes_and_counts_in_human_units() -> None:
    too_big = ImageTooLarge("the photo is over 15728640 bytes", details={"max_bytes": 15728640})
    assert error_text(too_big, "zh") == "照片超过 15 MB 的上限，请换一张较小的照片。"
    assert "15 MB" in error_text(too_big, "en", precise=False)
    assert "15728640" not in error_text(too_big, "en", precise=False)
    assert human_bytes(512) == "512 字节" and human_bytes(1536, "en") == "1.5 KB"
    assert "3 张人脸" in error_text(MultipleFaces(3), "zh")
    quality = FaceQualityTooLow(["too_dark"], ["the face is too dark"])
    assert error_text(quality, "zh") == "照片质量不够：光线太暗"


def test_a_raise_site_names_its_own_sentence() -> None:
    exc = Forbidden(
        "the operator role may not do this; allowed: dpo",
        key="error.forbidden.roles",
        params={"role": "operator", "allowed": "dpo"},
    )
    assert error_text(exc, "zh") == "您的角色（operator）无权执行此操作，仅限：dpo。"
    assert error_text(exc, "en") == exc.message
    assert localized(exc, "zh")["code"] == "forbidden"


def test_a_subclass_without_a_sentence_reads_its_parents() -> None:
    class OddDevice(UnknownDevice):
        code = "odd_device_not_in_catalogue"

    assert error_text(OddDevice("x"), "zh") == t("error.unknown_device", "zh")


def test_refusals_use_the_law_catalogues_summaries() -> None:
    decision = Decision.refuse(
        Reason.of("consent.separate", "no consent recorded for this deployment"),
        Reason.of("deployment.inactive", "the deployment is a draft"),
    )
    exc = Refused(decision)
    body = localized(exc, "zh")
    assert body["code"] == "refused"
    assert [r["code"] for r in body["reasons"]] == ["consent.separate", "deployment.inactive"]
    assert body["reasons"][0]["message"] == RULES["consent.separate"].summary_zh
    assert body["reasons"][0]["articles"] == list(RULES["consent.separate"].articles)
    assert CJK.search(body["reasons"][1]["message"])
    assert "《人脸识别技术应用安全管理办法》第6条" in body["message"]
    english = localized(exc, "en")
    assert english == exc.to_dict()  # English unchanged: the API's and CLI's contract


def test_every_operational_reason_has_a_sentence() -> None:
    from facegate.law.decision import OPERATIONAL_CODES

    for code in OPERATIONAL_CODES:
        assert reason_text(code, "x", "zh") != t("error.reason.other", "zh"), code


def test_citations_in_chinese() -> None:
    cited = format_articles(("M6", "PIPL14 para. 2", "SPC2(3)", "GB/T 35273 6.3"), "zh")
    assert cited.startswith(
        "《人脸识别技术应用安全管理办法》第6条；《个人信息保护法》第14条第2款；"
    )
    assert "第2条第（3）项" in cited and cited.endswith("GB/T 35273 6.3")
    assert format_articles(("M6", "M7"), "zh") == "《人脸识别技术应用安全管理办法》第6条、第7条"
    assert format_articles(("M6",), "en") == "Measures art. 6"
