"""Hand-written SVG charts for the report: no plotting library, no script, no external asset.

Every function returns one ``<svg>`` element as text. Text that comes from the input (group
values, ids, facet names) is escaped here; coordinates are printed with one decimal, so the
same figures give the same bytes. Each chart draws its marks in its own colour (``COLOURS``),
which the browser test looks for in a screenshot.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

__all__ = [
    "COLOURS",
    "FACET_COLOURS",
    "ShareRow",
    "columns",
    "histogram",
    "lines",
    "share_chart",
    "stacked_bar",
]

COLOURS = {
    "share": "#2f6fb0",
    "flagged": "#c0392b",
    "scores": "#2e8b57",
    "load": "#d9822b",
    "utilisation": "#7b4fa0",
    "fairness": "#8a9bb0",
}
"""The fill of each chart's marks (distinct, so a screenshot shows which chart rendered)."""

FACET_COLOURS = ("#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#9c755f")
"""Facet segments of an explanation's bar, in facet order (cycled)."""

_AXIS = "#555555"
_GRID = "#e3e3e3"
_TEXT = "#222222"
_FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def _n(x: float) -> str:
    """A coordinate: one decimal, no ``-0.0``."""
    text = f"{x:.1f}"
    return "0.0" if text == "-0.0" else text


def _t(text: str) -> str:
    return escape(text, quote=True)


def _short(text: str, limit: int = 22) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _open(name: str, width: int, height: int, title: str) -> str:
    return (
        f'<svg class="chart" data-chart="{name}" role="img" aria-label="{_t(title)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg" {_FONT}><title>{_t(title)}</title>'
    )


def _nice_ticks(top: float, count: int = 4) -> list[float]:
    """Round tick values from 0 to at least ``top`` (``count`` steps or so)."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    ticks = [0.0]
    while ticks[-1] < top - 1e-12:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _number(x: float) -> str:
    return f"{x:g}" if abs(x) >= 1e-3 or x == 0 else f"{x:.1e}"


@dataclass(frozen=True, slots=True)
class ShareRow:
    """One bar of :func:`share_chart`: a group's matched share and its 95% interval."""

    label: str
    share: float | None
    interval: tuple[float, float] | None
    flagged: bool


def share_chart(rows: Sequence[ShareRow], threshold: float | None, title: str) -> str:
    """Horizontal bars of matched share (0 to 1), interval whiskers, the four-fifths line.

    ``threshold`` is four fifths of the best group's share (None: no line). Flagged groups are
    drawn in ``COLOURS["flagged"]``.
    """
    left, plot, right, row_h, top = 170, 460, 70, 26, 28
    width, height = left + plot + right, top + row_h * len(rows) + 34
    out = [_open("share", width, height, title)]
    for tick in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0):
        x = left + tick * plot
        out.append(
            f'<line x1="{_n(x)}" y1="{top - 6}" x2="{_n(x)}" y2="{height - 28}" '
            f'stroke="{_GRID}"/><text x="{_n(x)}" y="{height - 12}" text-anchor="middle" '
            f'fill="{_AXIS}">{tick:.1f}</text>'
        )
    for k, row in enumerate(rows):
        y = top + k * row_h
        out.append(
            f'<text x="{left - 8}" y="{_n(y + row_h / 2 + 4)}" text-anchor="end" fill="{_TEXT}">'
            f"<title>{_t(row.label)}</title>{_t(_short(row.label))}</text>"
        )
        if row.share is None:
            out.append(
                f'<text x="{left + 4}" y="{_n(y + row_h / 2 + 4)}" fill="{_AXIS}">no demand</text>'
            )
            continue
        colour = COLOURS["flagged"] if row.flagged else COLOURS["share"]
        w = max(row.share * plot, 0.0)
        out.append(
            f'<rect x="{left}" y="{_n(y + 5)}" width="{_n(w)}" height="{row_h - 10}" '
            f'fill="{colour}"/>'
        )
        if row.interval is not None:
            lo, hi = (left + v * plot for v in row.interval)
            mid = y + row_h / 2
            out.append(
                f'<path d="M{_n(lo)} {_n(mid)}H{_n(hi)}M{_n(lo)} {_n(mid - 5)}V{_n(mid + 5)}'
                f'M{_n(hi)} {_n(mid - 5)}V{_n(mid + 5)}" stroke="{_TEXT}" stroke-width="1.2" '
                'fill="none"/>'
            )
        out.append(
            f'<text x="{left + plot + 8}" y="{_n(y + row_h / 2 + 4)}" fill="{_TEXT}">'
            f"{row.share:.2f}</text>"
        )
    if threshold is not None:
        x = left + threshold * plot
        out.append(
            f'<line x1="{_n(x)}" y1="{top - 8}" x2="{_n(x)}" y2="{height - 28}" '
            f'stroke="{COLOURS["flagged"]}" stroke-width="1.5" stroke-dasharray="5 4"/>'
            f'<text x="{_n(x)}" y="{top - 12}" text-anchor="middle" '
            f'fill="{COLOURS["flagged"]}">four fifths of the best: {threshold:.2f}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def _vertical_bars(
    name: str,
    title: str,
    heights: Sequence[int],
    colour: str,
    x_labels: Sequence[tuple[float, str]],
    x_title: str,
    y_title: str,
    markers: Sequence[tuple[float, str]] = (),
) -> str:
    """Vertical bars (one per slot of ``heights``), y from 0; ``x_labels`` and ``markers``
    sit at slot positions (0: the left edge of the first slot, 0.5: its middle)."""
    left, plot_w, plot_h, top, bottom = 56, 620, 180, 24, 46
    width, height = left + plot_w + 24, top + plot_h + bottom
    out = [_open(name, width, height, title)]
    ticks = _nice_ticks(max(heights, default=0))
    scale = plot_h / ticks[-1]
    for tick in ticks:
        y = top + plot_h - tick * scale
        out.append(
            f'<line x1="{left}" y1="{_n(y)}" x2="{left + plot_w}" y2="{_n(y)}" stroke="{_GRID}"/>'
            f'<text x="{left - 6}" y="{_n(y + 4)}" text-anchor="end" fill="{_AXIS}">'
            f"{tick:g}</text>"
        )
    slots = max(len(heights), 1)
    slot_w = plot_w / slots
    gap = min(2.0, slot_w * 0.15)
    for k, h in enumerate(heights):
        if h <= 0:
            continue
        bar = h * scale
        out.append(
            f'<rect x="{_n(left + k * slot_w + gap / 2)}" y="{_n(top + plot_h - bar)}" '
            f'width="{_n(slot_w - gap)}" height="{_n(bar)}" fill="{colour}"/>'
        )
    base = top + plot_h
    out.append(f'<line x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}" stroke="{_AXIS}"/>')
    for position, label in x_labels:
        x = left + position * slot_w
        out.append(
            f'<line x1="{_n(x)}" y1="{base}" x2="{_n(x)}" y2="{base + 4}" stroke="{_AXIS}"/>'
            f'<text x="{_n(x)}" y="{base + 17}" text-anchor="middle" fill="{_AXIS}">'
            f"{_t(label)}</text>"
        )
    for k, (position, label) in enumerate(markers):  # labels stepped down: no overlap
        x = left + position * slot_w
        out.append(
            f'<line x1="{_n(x)}" y1="{top - 4}" x2="{_n(x)}" y2="{base}" stroke="{_TEXT}" '
            f'stroke-dasharray="3 3"/><text x="{_n(x + 3)}" y="{top + 8 + 14 * k}" '
            f'fill="{_TEXT}">{_t(label)}</text>'
        )
    out.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle" '
        f'fill="{_TEXT}">{_t(x_title)}</text><text x="14" y="{top + plot_h / 2:.1f}" '
        f'text-anchor="middle" fill="{_TEXT}" transform="rotate(-90 14 {top + plot_h / 2:.1f})">'
        f"{_t(y_title)}</text></svg>"
    )
    return "".join(out)


def histogram(
    name: str,
    title: str,
    edges: Sequence[float],
    counts: Sequence[int],
    colour: str,
    x_title: str,
    y_title: str,
    markers: Sequence[tuple[float, str]] = (),
) -> str:
    """A histogram over ``edges`` (``len(counts) + 1`` ascending values); ``markers`` are
    (value, label) lines, e.g. quantiles."""
    bins = len(counts)
    lo, hi = (edges[0], edges[-1]) if edges else (0.0, 1.0)
    span = hi - lo
    labels = [(float(k), f"{edges[k]:.2f}") for k in sorted({0, bins // 2, bins}) if edges]

    def slot(value: float) -> float:
        return bins * (value - lo) / span if span > 0 else bins / 2

    return _vertical_bars(
        name,
        title,
        counts,
        colour,
        labels,
        x_title,
        y_title,
        [(slot(v), label) for v, label in markers],
    )


def columns(
    name: str,
    title: str,
    labels: Sequence[str],
    counts: Sequence[int],
    colour: str,
    x_title: str,
    y_title: str,
) -> str:
    """One bar per category, labelled under its middle (at most about 24 labels shown)."""
    step = max(1, math.ceil(len(labels) / 24))
    ticks = [(k + 0.5, label) for k, label in enumerate(labels) if k % step == 0]
    return _vertical_bars(name, title, counts, colour, ticks, x_title, y_title)


def stacked_bar(parts: Sequence[tuple[str, float]], total: float, title: str) -> str:
    """One horizontal bar of 400 px for a score of 1, split into its facets' contributions."""
    width, height = 420, 22
    out = [_open("explanation", width, height, title)]
    out.append('<rect x="0" y="3" width="400" height="16" fill="#f1f1f1"/>')
    x = 0.0
    for k, (name, value) in enumerate(parts):
        w = max(value, 0.0) * 400
        if w <= 0:
            continue
        out.append(
            f'<rect x="{_n(x)}" y="3" width="{_n(w)}" height="16" '
            f'fill="{FACET_COLOURS[k % len(FACET_COLOURS)]}"><title>{_t(name)} '
            f"{value:.3f}</title></rect>"
        )
        x += w
    out.append(
        f'<line x1="{_n(total * 400)}" y1="0" x2="{_n(total * 400)}" y2="22" stroke="{_TEXT}"/>'
        "</svg>"
    )
    return "".join(out)


def lines(
    name: str,
    title: str,
    series: Sequence[tuple[str, Sequence[tuple[int, float]]]],
    x_title: str,
    y_range: tuple[float, float],
) -> str:
    """One polyline with dots per series (x: integer periods, y within ``y_range``)."""
    left, plot_w, plot_h, top, bottom = 56, 560, 180, 16, 46
    legend_w = 140
    width, height = left + plot_w + legend_w, top + plot_h + bottom
    x_max = max((x for _, pts in series for x, _ in pts), default=1) or 1
    y0, y1 = y_range
    out = [_open(name, width, height, title)]

    def px(x: float) -> float:
        return left + plot_w * x / x_max

    def py(y: float) -> float:
        return top + plot_h * (y1 - y) / (y1 - y0)

    for tick in range(math.ceil(y0), math.floor(y1) + 1):
        out.append(
            f'<line x1="{left}" y1="{_n(py(tick))}" x2="{left + plot_w}" y2="{_n(py(tick))}" '
            f'stroke="{_GRID}"/><text x="{left - 6}" y="{_n(py(tick) + 4)}" text-anchor="end" '
            f'fill="{_AXIS}">{tick}</text>'
        )
    step = max(1, math.ceil(x_max / 12))
    for x in range(0, x_max + 1, step):
        out.append(
            f'<text x="{_n(px(x))}" y="{top + plot_h + 17}" text-anchor="middle" '
            f'fill="{_AXIS}">{x}</text>'
        )
    for k, (label, pts) in enumerate(series):
        colour = FACET_COLOURS[k % len(FACET_COLOURS)]
        path = " ".join(f"{_n(px(x))},{_n(py(y))}" for x, y in pts)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        out.extend(
            f'<circle cx="{_n(px(x))}" cy="{_n(py(y))}" r="3.5" fill="{colour}"/>' for x, y in pts
        )
        ly = top + 12 + 18 * k
        out.append(
            f'<rect x="{left + plot_w + 16}" y="{ly - 9}" width="10" height="10" '
            f'fill="{colour}"/><text x="{left + plot_w + 32}" y="{ly}" fill="{_TEXT}">'
            f"{_t(_short(label, 16))}</text>"
        )
    out.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle" '
        f'fill="{_TEXT}">{_t(x_title)}</text></svg>'
    )
    return "".join(out)
