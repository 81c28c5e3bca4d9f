"""Charts drawn on the server as inline SVG: no script (the Content-Security-Policy allows
none inline), no style attribute (colours come from classes in ``web.css``), nothing fetched
from another host. Each chart is an image with a title and a description for screen readers;
the page prints the same numbers in a table beside it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape


@dataclass(frozen=True)
class Bar:
    """One stacked bar: its label and a count per series."""

    label: str
    counts: Mapping[str, int]
    hint: str = ""  # the bar's full label for its tooltip (a date, a device and deployment)


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten that is at least ``value`` (at least 1)."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def _ticks(top: int) -> list[int]:
    """Four or five round values from 0 to ``top`` (a ``nice_ceiling``)."""
    if top <= 4:
        return list(range(top + 1))
    part = top // 4 if top % 4 == 0 else top // 5
    return list(range(0, top + 1, max(1, part)))


def _svg_open(chart_id: str, width: int, height: int, title: str, description: str) -> str:
    return (
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMinYMin meet">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>'
    )


def _segments(
    bar: Bar, series: Sequence[tuple[str, str]], names: Mapping[str, str]
) -> list[tuple[str, int, str]]:
    """(series key, count, tooltip) for each non-zero part of a bar, bottom or left first."""
    out = []
    for key, _ in series:
        count = int(bar.counts.get(key, 0))
        if count:
            out.append((key, count, f"{bar.hint or bar.label} · {names[key]}: {count}"))
    return out


def column_chart(
    chart_id: str,
    bars: Sequence[Bar],
    series: Sequence[tuple[str, str]],
    *,
    title: str,
    description: str,
    width: int = 720,
    height: int = 260,
) -> Markup:
    """Stacked columns, one per bar (a day), series bottom to top in ``series`` order.
    ``series``: (key, name) pairs; each part is drawn with class ``s-<key>``."""
    names = dict(series)
    left, right, top, bottom = 44, 8, 10, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = nice_ceiling(max((sum(b.counts.values()) for b in bars), default=0))
    parts = [_svg_open(chart_id, width, height, title, description)]
    for tick in _ticks(peak):
        y = top + plot_h - plot_h * tick / peak
        parts.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>'
        )
    slot = plot_w / max(len(bars), 1)
    bar_w = max(2.0, min(40.0, slot * 0.7))
    every = max(1, round(len(bars) / 12))  # at most about a dozen labels under the axis
    for i, bar in enumerate(bars):
        x = left + slot * i + (slot - bar_w) / 2
        base = float(top + plot_h)
        for key, count, tip in _segments(bar, series, names):
            h = plot_h * count / peak
            base -= h
            parts.append(
                f'<rect class="s-{escape(key)}" x="{x:.1f}" y="{base:.1f}" width="{bar_w:.1f}" '
                f'height="{h:.1f}"><title>{escape(tip)}</title></rect>'
            )
        if i % every == 0:
            parts.append(
                f'<text class="axis" x="{x + bar_w / 2:.1f}" y="{height - bottom + 16}" '
                f'text-anchor="middle">{escape(bar.label)}</text>'
            )
    parts.append(
        f'<line class="baseline" x1="{left}" x2="{width - right}" '
        f'y1="{top + plot_h}" y2="{top + plot_h}"/></svg>'
    )
    return Markup("".join(parts))


def row_chart(
    chart_id: str,
    bars: Sequence[Bar],
    series: Sequence[tuple[str, str]],
    *,
    title: str,
    description: str,
    width: int = 720,
    row_height: int = 28,
    label_width: int = 200,
) -> Markup:
    """Stacked horizontal bars, one per row (a device), its label on the left and its
    total on the right."""
    names = dict(series)
    right, top = 48, 6
    height = top * 2 + row_height * max(len(bars), 1)
    plot_w = width - label_width - right
    peak = nice_ceiling(max((sum(b.counts.values()) for b in bars), default=0))
    parts = [_svg_open(chart_id, width, height, title, description)]
    for i, bar in enumerate(bars):
        y = top + row_height * i
        mid = y + row_height / 2 + 4
        parts.append(
            f'<text class="axis" x="{label_width - 8}" y="{mid:.1f}" text-anchor="end">'
            f"{escape(bar.label)}</text>"
        )
        x = float(label_width)
        for key, count, tip in _segments(bar, series, names):
            w = plot_w * count / peak
            parts.append(
                f'<rect class="s-{escape(key)}" x="{x:.1f}" y="{y + 5}" width="{w:.1f}" '
                f'height="{row_height - 10}"><title>{escape(tip)}</title></rect>'
            )
            x += w
        total = sum(bar.counts.values())
        parts.append(f'<text class="axis" x="{x + 6:.1f}" y="{mid:.1f}">{total}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
