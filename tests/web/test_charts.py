"""The console's charts: SVG drawn on the server, with no script and no style attribute (the
Content-Security-Policy allows neither inline), escaped labels and a title for screen
readers."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest

from facegate.web.charts import Bar, column_chart, nice_ceiling, row_chart

SERIES = [("match", "Match"), ("no_match", "No match"), ("alternative", "Alt"), ("refused", "No")]


@pytest.mark.parametrize(
    ("value", "ceiling"), [(0, 1), (1, 1), (3, 5), (7, 10), (11, 20), (240, 500), (1000, 1000)]
)
def test_nice_ceiling(value: int, ceiling: int) -> None:
    assert nice_ceiling(value) == ceiling


def _parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)


def test_column_chart_stacks_each_day_and_needs_no_script_or_style() -> None:
    bars = [
        Bar("09-18", {"match": 3, "no_match": 1, "alternative": 0, "refused": 1}, "2026-09-18"),
        Bar("09-19", {"match": 0, "no_match": 0, "alternative": 0, "refused": 0}, "2026-09-19"),
    ]
    svg = str(column_chart("c", bars, SERIES, title="Per day <b>", description="3 matches"))
    root = _parse(svg)  # well-formed XML
    ns = "{http://www.w3.org/2000/svg}"
    assert root.get("role") == "img" and root.get("aria-labelledby") == "c-title c-desc"
    assert root.find(f"{ns}title").text == "Per day <b>"  # escaped in the markup
    rects = root.findall(f"{ns}rect")
    assert [r.get("class") for r in rects] == ["s-match", "s-no_match", "s-refused"]
    heights = [float(r.get("height")) for r in rects]
    assert heights[0] == pytest.approx(3 * heights[1])  # to scale
    assert rects[0].find(f"{ns}title").text == "2026-09-18 · Match: 3"
    assert (
        "<script" not in svg
        and "style=" not in svg
        and "http://" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
    )


def test_row_chart_labels_each_device_with_its_total() -> None:
    bars = [Bar("Gate <1>", {"match": 2, "refused": 2}, "Gate <1> · North")]
    svg = str(row_chart("r", bars, SERIES, title="Devices", description="1 device"))
    root = _parse(svg)
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert texts == ["Gate <1>", "4"]
    assert re.search(r"&lt;1&gt;", svg)


def test_an_empty_chart_is_still_drawn() -> None:
    root = _parse(str(column_chart("e", [], SERIES, title="t", description="d")))
    assert root.findall("{http://www.w3.org/2000/svg}rect") == []
