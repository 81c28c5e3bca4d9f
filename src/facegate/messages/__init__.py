"""The one message catalogue: every sentence a person reads, in Simplified Chinese and English.

Sentences live in two gettext catalogues beside this module, ``zh_CN.po`` and ``en.po``.
Each ``msgid`` is a stable key (``kiosk.start.choose_face``), never the English text, so a
sentence can be reworded in one language without touching code; ``msgstr`` is the sentence,
with ``{name}`` placeholders filled by :func:`t`. Both files hold the same keys (a test
checks it) and are kept sorted by key.

Chinese is the default language everywhere (``DEFAULT_LANG``); :func:`negotiate` reads an
``Accept-Language`` header or a ``?lang=`` value.
"""

from __future__ import annotations

from facegate.messages.catalogue import (
    DEFAULT_LANG,
    LANGS,
    Lang,
    UnknownMessage,
    all_keys,
    both,
    has,
    negotiate,
    t,
)

__all__ = [
    "DEFAULT_LANG",
    "LANGS",
    "Lang",
    "UnknownMessage",
    "all_keys",
    "both",
    "has",
    "negotiate",
    "t",
]
