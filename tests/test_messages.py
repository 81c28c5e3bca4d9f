"""The message catalogue: one sentence per key in both languages, placeholders that agree,
Chinese that is Chinese, and a language negotiated the way a browser asks."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from facegate import messages
from facegate.messages.catalogue import HERE

CJK = re.compile(r"[\u4e00-\u9fff]")


def _po_keys(name: str) -> list[str]:
    text = (HERE / name).read_text(encoding="utf-8")
    return [k for k in re.findall(r'^msgid "(.*)"$', text, flags=re.M) if k]


def _fields(sentence: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(sentence) if f}


def test_both_languages_hold_the_same_keys() -> None:
    assert messages.all_keys("zh") == messages.all_keys("en")


@pytest.mark.parametrize("name", ["zh_CN.po", "en.po"])
def test_catalogue_files_are_sorted_without_duplicates(name: str) -> None:
    found = _po_keys(name)
    assert found == sorted(found)
    assert len(found) == len(set(found))


def test_every_sentence_is_filled_and_placeholders_agree() -> None:
    for key in messages.all_keys():
        zh, en = (messages.catalogue._catalogue(lang)[key] for lang in ("zh", "en"))
        assert zh.strip() and en.strip(), key
        assert _fields(zh) == _fields(en), key


def test_chinese_sentences_are_written_in_chinese() -> None:
    exempt = {"common.lang_toggle"}  # the toggle names the other language
    for key in messages.all_keys() - exempt:
        assert CJK.search(messages.t(key, "zh")), f"{key} has no Chinese"


def test_unknown_key_is_a_programming_error() -> None:
    with pytest.raises(messages.UnknownMessage):
        messages.t("no.such.key", "zh")


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        (None, "zh"),
        ("", "zh"),
        ("en-US,en;q=0.9", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("en;q=0.5, zh-Hans;q=0.8", "zh"),
        ("fr-FR, en;q=0.3", "en"),
        ("fr-FR", "zh"),
        ("en;q=0", "zh"),
        ("en;q=abc, zh", "zh"),
    ],
)
def test_negotiate_prefers_the_highest_quality(header: str | None, lang: str) -> None:
    assert messages.negotiate(header) == lang


def test_sentences_come_from_the_package_files() -> None:
    assert Path(messages.catalogue.__file__).parent == HERE
    assert messages.t("common.language_name", "en") == "English"
    assert messages.both("common.language_name") == ("中文", "English")
