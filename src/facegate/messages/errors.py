"""Typed errors in the reader's language: ``error.<code>`` sentences, refusal reasons from the
law's catalogue, and citations written the Chinese way.

Every :class:`~facegate.errors.FacegateError` has a stable ``code``; the catalogue holds one
sentence per code (``error.image_too_large``), with variants where the error carries the
figures a person needs (``error.image_too_large.bytes`` names the limit in MB). English keeps
the error's own message (precise, and what engineers and the existing tests read) unless the
caller asks for the catalogue's English (``precise=False``: the kiosk and the console, where a
person reads it). A refusal's reasons are the law catalogue's ``summary_zh`` / ``summary_en``
for legal rules and ``error.reason.<code>`` for the system's own states; they are never
duplicated into the ``.po`` files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from facegate.errors import FacegateError
from facegate.messages.catalogue import DEFAULT_LANG, as_lang, has, t

GENERIC = "error.error"
# Codes whose catalogue sentence is generic: without a raise-site key, English readers get the
# error's own (specific) message even on a page.
GENERIC_CODES = frozenset(
    {
        *("error", "bad_request", "conflict", "forbidden", "not_found", "maintenance_refused"),
        *("config_invalid", "store_error", "sync_rejected", "control_plane_error"),
    }
)
CJK = re.compile(r"[\u4e00-\u9fff]")


def human_bytes(size: int | float, lang: str = DEFAULT_LANG) -> str:
    """``15728640`` -> ``15 MB``; below a megabyte in KB."""
    size = float(size)
    if size >= 1024 * 1024:
        value, unit = size / (1024 * 1024), "MB"
    elif size >= 1024:
        value, unit = size / 1024, "KB"
    else:
        return t("common.unit.bytes", lang, count=int(size))
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{text} {unit}"


def _codes(exc: FacegateError) -> list[str]:
    """The error's code, then its parents' codes (a subclass without its own sentence reads
    its parent's)."""
    codes: list[str] = []
    for kind in type(exc).__mro__:
        code = getattr(kind, "code", None)
        if isinstance(code, str) and code not in codes:
            codes.append(code)
    return codes


def _params(exc: FacegateError, lang: str) -> tuple[str, dict[str, Any]]:
    """A variant suffix and the placeholders for it, from the error's details."""
    d = exc.details
    if exc.code in ("image_too_large", "body_too_large"):
        if "max_pixels" in d and "width" in d and "height" in d:
            return ".pixels", {
                "width": d["width"],
                "height": d["height"],
                "limit": f"{d['max_pixels'] / 1e6:.0f}",
            }
        if "max_bytes" in d:
            return ".bytes", {"limit": human_bytes(d["max_bytes"], lang)}
    if exc.code == "multiple_faces" and "faces" in d:
        return ".count", {"count": d["faces"]}
    if exc.code in ("rate_limited", "locked_out", "enrolment_code_locked") and "retry_after" in d:
        return ".retry", {"seconds": d["retry_after"]}
    if exc.code == "unsupported_format" and d.get("format"):
        return ".format", {"format": d["format"]}
    if exc.code == "face_quality_too_low" and d.get("failed_checks"):
        checks = [c for c in d["failed_checks"] if has(f"error.quality.{c}")]
        if checks:
            sep = "；" if as_lang(lang) == "zh" else "; "
            return ".checks", {"checks": sep.join(t(f"error.quality.{c}", lang) for c in checks)}
    return "", {}


def error_key(exc: FacegateError) -> str:
    """The catalogue key of the sentence for ``exc`` (without a variant)."""
    for code in _codes(exc):
        if has(f"error.{code}"):
            return f"error.{code}"
    return GENERIC


def error_text(exc: FacegateError, lang: str = DEFAULT_LANG, *, precise: bool = True) -> str:
    """What a person reads for ``exc`` in ``lang``.

    Chinese always comes from the catalogue. English is the error's own message when
    ``precise`` (the API and the CLI: it names the exact value or setting), else the
    catalogue's English sentence.
    """
    from facegate.law.refusal import Refused

    lang = as_lang(lang)
    if isinstance(exc, Refused):
        return refusal_text(exc, lang) if lang == "zh" or not precise else exc.message
    if lang == "en" and precise:
        return exc.message
    if exc.key and has(exc.key):
        return t(exc.key, lang, **exc.params)
    if lang == "en" and not exc.key and exc.code in GENERIC_CODES:
        return exc.message  # the code alone says too little: the raise site's own English
    if lang == "zh" and not exc.key and CJK.search(exc.message):
        return exc.message  # written bilingual at the raise site ("中文 · English")
    key = error_key(exc)
    suffix, params = _params(exc, lang)
    if suffix and key == f"error.{exc.code}" and has(key + suffix):
        return t(key + suffix, lang, **params)
    return t(key, lang)


# -- refusals -----------------------------------------------------------------------------------
_SHORT = re.compile(r"^(M|PIPL|NDSR|SPC)(\d+)(?:-(\d+))?(?:\((\d+)\))?(?: para\. (\d+))?$")


def format_articles(articles: Iterable[str], lang: str = DEFAULT_LANG) -> str:
    """Citations for people: English as :func:`facegate.law.catalogue.format_articles`;
    Chinese as ``《人脸识别技术应用安全管理办法》第6条；《个人信息保护法》第14条第2款``."""
    from facegate.law.catalogue import format_articles as format_en

    items = tuple(articles)
    if as_lang(lang) == "en":
        return format_en(items)
    groups: dict[str, list[str]] = {}
    for article in items:
        match = _SHORT.match(article)
        if match is None:
            groups.setdefault(article, [])
            continue
        law, number, until, item, para = match.groups()
        text = f"第{number}条" if until is None else f"第{number}至{until}条"
        if para:
            text += f"第{para}款"
        if item:
            text += f"第（{item}）项"
        cited = groups.setdefault(t(f"common.law.{law}", "zh"), [])
        if text not in cited:
            cited.append(text)
    return "；".join(f"{name}{'、'.join(nums)}" if nums else name for name, nums in groups.items())


def reason_text(code: str, message: str, lang: str = DEFAULT_LANG) -> str:
    """One refusal reason in ``lang``: the rule's own summary (law/catalogue.py) in Chinese,
    ``error.reason.<code>`` for the system's own states; English keeps the reason's message
    (it says exactly what is missing)."""
    from facegate.law.catalogue import RULES

    if as_lang(lang) == "en":
        return message
    if code in RULES:
        return RULES[code].summary_zh
    key = "error.reason." + code.replace(".", "_")
    return t(key, "zh") if has(key) else t("error.reason.other", "zh")


def refusal_text(exc: Any, lang: str = DEFAULT_LANG) -> str:
    """A whole refusal in one line: ``未获准：原因（条款）；原因``."""
    lang = as_lang(lang)
    parts = []
    for reason in exc.decision.reasons:
        text = reason_text(reason.code, reason.message, lang)
        if reason.articles:
            text = t(
                "common.cited", lang, text=text, articles=format_articles(reason.articles, lang)
            )
        parts.append(text)
    sep = "；" if lang == "zh" else "; "
    return t("error.refused.because", lang, reasons=sep.join(parts))


def localized(
    exc: FacegateError, lang: str = DEFAULT_LANG, *, precise: bool = True
) -> dict[str, Any]:
    """``exc.to_dict()`` with its ``message`` (and each reason's) in ``lang``; codes,
    articles and details unchanged."""
    from facegate.law.refusal import Refused

    body = exc.to_dict()
    body["message"] = error_text(exc, lang, precise=precise)
    if isinstance(exc, Refused):
        body["reasons"] = [
            {
                "code": r.code,
                "articles": list(r.articles),
                "message": reason_text(r.code, r.message, lang),
            }
            for r in exc.decision.reasons
        ]
    return body
