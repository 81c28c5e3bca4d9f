"""The catalogue holds every rule of measures.md, with its sources as written there."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from facegate.law import RULES, Rule, format_articles, rule
from facegate.law.catalogue import split_articles

MEASURES = Path("/work/shared/measures.md")
ROW = re.compile(r"^\|\s*`(?P<code>[a-z_.]+)`\s*\|[^|]*\|(?P<source>[^|]*)\|(?P<kind>[^|]*)\|")


def measures_rows() -> dict[str, tuple[tuple[str, ...], str]]:
    rows = {}
    for line in MEASURES.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            articles = split_articles(match["source"])
            rows[match["code"]] = (articles, match["kind"].strip())
    return rows


@pytest.mark.skipif(not MEASURES.exists(), reason="measures.md not available")
def test_catalogue_covers_every_code_of_measures_md() -> None:
    rows = measures_rows()
    assert len(rows) >= 30
    assert set(RULES) == set(rows)
    for code, (articles, kind) in rows.items():
        assert rule(code).sources == articles, code
        assert rule(code).kind == kind, code


@pytest.mark.parametrize("entry", list(RULES.values()), ids=list(RULES))
def test_catalogue_entries_are_complete(entry: Rule) -> None:
    assert entry is rule(entry.code)
    assert entry.articles and all(a and a.strip() == a for a in entry.articles)
    assert entry.summary_en.endswith(".") and entry.summary_zh.endswith("。")


def test_rule_unknown_code_raises_value_error() -> None:
    with pytest.raises(ValueError, match="unknown rule code"):
        rule("consent.implied")


@pytest.mark.parametrize(
    ("articles", "text"),
    [
        (("M6", "PIPL14", "PIPL29"), "Measures art. 6; PIPL art. 14, 29"),
        (("M2", "M19"), "Measures art. 2, 19"),
        (("NDSR22",), "Network Data Security Regulation art. 22"),
        (("SPC4", "SPC10"), "SPC Provisions art. 4, 10"),
        (("PIPL44-47", "PIPL50"), "PIPL art. 44-47, 50"),
        (("M15", "CAC 2025-05-28"), "Measures art. 15; CAC 2025-05-28"),
        (("GB/T 35273 6.3", "GB/T 41819-2022 7"), "GB/T 35273 6.3; GB/T 41819-2022 7"),
        (
            ("《汽车数据安全管理若干规定（试行）》 arts. 3, 6, 10",),
            "《汽车数据安全管理若干规定（试行）》 arts. 3, 6, 10",
        ),
        (("M2 para. 2",), "Measures art. 2 para. 2"),
        (
            ("PIPL14 para. 2", "NDSR22"),
            "PIPL art. 14 para. 2; Network Data Security Regulation art. 22",
        ),
        (("SPC2(3)", "SPC4"), "SPC Provisions art. 2(3), 4"),
        (("M9", "PIPL55", "M14", "M9"), "Measures art. 9, 14; PIPL art. 55"),
        ((), ""),
    ],
)
def test_format_articles(articles: tuple[str, ...], text: str) -> None:
    assert format_articles(articles) == text


def test_format_articles_of_consent_separate() -> None:
    assert format_articles(rule("consent.separate").articles) == (
        "Measures art. 6; PIPL art. 14, 29; Network Data Security Regulation art. 22; "
        "SPC Provisions art. 2(3), 4"
    )


@pytest.mark.parametrize(
    ("code", "articles"),
    [
        # the review of issue 12: the precise citation of each rule
        ("scope.rnd_excluded", ("M2 para. 2",)),
        ("purpose.specific_necessary", ("M4", "PIPL6", "PIPL28 para. 2")),
        ("consent.separate", ("M6", "PIPL14", "PIPL29", "NDSR22", "SPC2(3)", "SPC4")),
        ("consent.purpose_change", ("PIPL14 para. 2", "NDSR22")),
        ("data.no_raw_images", ("GB/T 41819-2022 7", "GB/T 35273 6.3")),
        ("data.separate_identity", ("GB/T 35273 6.3", "GB/T 41819-2022 7")),
        ("sector.automotive", ("《汽车数据安全管理若干规定（试行）》 arts. 3, 6, 10",)),
    ],
)
def test_catalogue_cites_precisely(code: str, articles: tuple[str, ...]) -> None:
    assert rule(code).articles == articles
    assert not any("GB 41819" in a or a == "M19" for r in RULES.values() for a in r.articles)


def test_catalogue_automotive_is_not_a_ban() -> None:
    summary = rule("sector.automotive").summary_en
    assert "unless truly necessary" in summary and "driving safety only" not in summary


def test_split_articles_keeps_a_citation_of_several_articles_whole() -> None:
    assert split_articles("M6, PIPL14") == ("M6", "PIPL14")
    assert split_articles("《汽车数据安全管理若干规定（试行）》 arts. 3, 6, 10") == (
        "《汽车数据安全管理若干规定（试行）》 arts. 3, 6, 10",
    )
