"""Every rule code the law cites has a refusal test and an allowed-path test named after it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from facegate.law import OPERATIONAL_CODES, RULES

SOURCES = Path(__file__).parents[2] / "src" / "facegate" / "law"
TESTS = Path(__file__).parent


def cited_codes() -> set[str]:
    text = "\n".join(p.read_text(encoding="utf-8") for p in SOURCES.glob("*.py"))
    return set(re.findall(r'Reason\.of\(\s*"([a-z_.]+)"', text)) - OPERATIONAL_CODES


def test_law_cites_only_catalogued_codes() -> None:
    assert cited_codes() <= set(RULES)


@pytest.mark.parametrize("code", sorted(cited_codes()))
def test_every_cited_code_is_tested_both_ways(code: str) -> None:
    names = "\n".join(p.read_text(encoding="utf-8") for p in TESTS.glob("test_law_*.py"))
    stem = code.replace(".", "_")
    assert re.search(rf"def test_{stem}_refused\w*\(", names), f"no refusal test for {code}"
    assert re.search(rf"def test_{stem}_allowed\w*\(", names), f"no allowed test for {code}"
