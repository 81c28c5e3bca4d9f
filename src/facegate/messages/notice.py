"""A sentence the service has for the operator, said as a catalogue key and its parameters.

The service layer states what happened (``gate.journal_replayed`` with its counts); each
interface renders it in its reader's language with :meth:`Notice.text`. ``str(notice)`` is the
English sentence, for log lines and engineers; :meth:`Notice.to_dict` is the machine form
(the key and its parameters) that JSON carries beside the English.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from facegate.messages.catalogue import DEFAULT_LANG, t


@dataclass(frozen=True)
class Notice:
    key: str
    """The catalogue key of the sentence (checked when it is rendered)."""
    params: Mapping[str, str | int] = field(default_factory=dict)
    """The sentence's placeholders: counts, paths, modes (never a sentence of their own)."""

    def text(self, lang: str = DEFAULT_LANG) -> str:
        """The sentence in ``lang`` (``zh`` or ``en``)."""
        return t(self.key, lang, **self.params)

    def __str__(self) -> str:
        return self.text("en")

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "params": dict(self.params)}
