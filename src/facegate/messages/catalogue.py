"""Loading the two ``.po`` files and looking sentences up in them."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, Literal

from babel.messages.pofile import read_po

HERE = Path(__file__).resolve().parent

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
DEFAULT_LANG: Lang = "zh"

_FILES: dict[Lang, str] = {"zh": "zh_CN.po", "en": "en.po"}


class UnknownMessage(KeyError):
    """A key that the catalogue does not hold (a programming error, caught by the tests)."""


@cache
def _catalogue(lang: Lang) -> dict[str, str]:
    path = HERE / _FILES[lang]
    with path.open("rb") as handle:
        catalog = read_po(handle, locale="zh_Hans_CN" if lang == "zh" else "en")
    sentences: dict[str, str] = {}
    for message in catalog:
        if not message.id or not isinstance(message.id, str):
            continue
        if not isinstance(message.string, str):
            raise ValueError(f"{path.name}: {message.id} has plural forms; use two keys")
        sentences[message.id] = message.string
    return sentences


def as_lang(value: str | None) -> Lang:
    """``zh``, ``zh-CN``, ``zh_Hans`` … are Chinese; ``en``, ``en-GB`` … English; anything
    else is the default (Chinese)."""
    if value:
        primary = value.strip().lower().replace("_", "-").split("-")[0]
        if primary == "en":
            return "en"
    return DEFAULT_LANG


def negotiate(header: str | None, default: Lang = DEFAULT_LANG) -> Lang:
    """The language an ``Accept-Language`` header prefers among Chinese and English: the
    highest ``q`` wins, ties go to the first listed; no header or neither language gives
    ``default``."""
    if not header:
        return default
    best: tuple[float, int, Lang] | None = None
    for position, part in enumerate(header.split(",")):
        fields = part.strip().split(";")
        tag = fields[0].strip().lower()
        quality = 1.0
        for field in fields[1:]:
            name, _, value = field.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.replace("_", "-").split("-")[0]
        if primary not in LANGS or quality <= 0:
            continue
        candidate = (-quality, position, as_lang(primary))
        if best is None or candidate < best:
            best = candidate
    return best[2] if best is not None else default


def t(key: str, lang: str = DEFAULT_LANG, /, **params: Any) -> str:
    """The sentence ``key`` in ``lang`` (``zh`` or ``en``; other values mean Chinese), with
    its ``{placeholders}`` filled from ``params``."""
    sentences = _catalogue(as_lang(lang))
    try:
        text = sentences[key]
    except KeyError:
        raise UnknownMessage(key) from None
    return text.format(**params) if params else text


def both(key: str, /, **params: Any) -> tuple[str, str]:
    """The sentence in Chinese and in English, in that order."""
    return t(key, "zh", **params), t(key, "en", **params)


def has(key: str) -> bool:
    return key in _catalogue("zh")


def all_keys(lang: Lang = DEFAULT_LANG) -> frozenset[str]:
    return frozenset(_catalogue(lang))
