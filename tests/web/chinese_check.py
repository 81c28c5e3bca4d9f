"""A checker for pages shown in Chinese: every visible text node must contain Chinese, unless
it is a code, a number, an identifier or a name on the allow-list.

Skipped: ``<script>``, ``<style>``, ``<code>`` (codes, ids, articles' short forms), the values
of form fields (``<textarea>``: what the person typed), and whatever is explicitly marked
``lang="en"`` (the language toggle, the English half of the bilingual notice preview): those are
counted, so a page cannot hide English behind the attribute.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
LETTER = re.compile(r"[A-Za-z]")
PUNCTUATION = "·,;:()[]<>\"'.!?%"
ALLOWED = {
    # names and abbreviations that are the same in Chinese text
    "facegate", "PIPIA", "API", "CSV", "PDF", "SHA-256", "JPEG", "PNG", "WebP", "BMP", "UTC",
    "English", "MB", "KB",
    # role codes (a staff member's role is named by its code in keys and in the API)
    "admin", "dpo", "operator",
}  # fmt: skip
SKIPPED = {"script", "style", "code", "textarea"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip
CODE_LIKE = re.compile(
    r"^(v?\d[\w.\-:]*|[0-9a-f]{8,}|fgk_[\w.\-]+|[\w.+\-]+@[\w.\-]+|/[\w/\-.?=&]+|[A-Z]{1,4}\d*)$"
)


class _Texts(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []  # (tag, skipping)
        self.texts: list[str] = []
        self.english_marked = 0

    def _skipping(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        marked_en = dict(attrs).get("lang") == "en" and tag != "html"
        if marked_en and not self._skipping():
            self.english_marked += 1
        if tag in VOID:
            return
        self.stack.append((tag, self._skipping() or tag in SKIPPED or marked_en))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text and not self._skipping():
            self.texts.append(text)


def english_only(html: str) -> list[str]:
    """The visible text nodes of ``html`` that are English only."""
    parser = _Texts()
    parser.feed(html)
    found = []
    for text in parser.texts:
        if CJK.search(text):
            continue
        words = [w.strip(PUNCTUATION) for w in text.split()]
        if all(not LETTER.search(w) or w in ALLOWED or CODE_LIKE.match(w) for w in words):
            continue
        found.append(text)
    return found


def english_marked(html: str) -> int:
    """How many elements (other than ``<html>``) say ``lang="en"``."""
    parser = _Texts()
    parser.feed(html)
    return parser.english_marked
