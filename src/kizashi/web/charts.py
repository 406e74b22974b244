"""Monthly charts as inline SVG, drawn on the server: no JavaScript, no network, printable.

A chart is a plain function of its data and returns markup; each bar or point carries a
``<title>`` (the browser's tooltip and what a screen reader reads), the whole chart a title
and a one-line summary. Missing months are gaps, never zeros.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import count

from markupsafe import Markup, escape

from .i18n import EN_MONTHS, Translator

WIDTH, HEIGHT = 540, 230
LEFT, RIGHT, TOP, BOTTOM = 72, 10, 16, 44
_ids = count(1)


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[int | None]
    color: str
    dashed: bool = False


def nice_ticks(lo: float, hi: float, target: int = 4) -> list[float]:
    """Round tick values (1, 2, 2.5, 5 × 10^k) covering [lo, hi]."""
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / target
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.floor(lo / step) * step
    ticks = []
    t = first
    while t < hi + step * 0.999:
        ticks.append(round(t, 6))
        t += step
    return ticks


class _Frame:
    def __init__(self, months: Sequence[date], lo: float, hi: float) -> None:
        self.months = months
        self.ticks = nice_ticks(min(lo, 0.0), max(hi, 0.0))
        self.lo, self.hi = self.ticks[0], self.ticks[-1]
        self.plot_w = WIDTH - LEFT - RIGHT
        self.plot_h = HEIGHT - TOP - BOTTOM
        self.slot = self.plot_w / max(1, len(months))

    def x(self, i: int) -> float:
        return LEFT + self.slot * (i + 0.5)

    def y(self, v: float) -> float:
        return TOP + self.plot_h * (1 - (v - self.lo) / (self.hi - self.lo))


FONT_PX = 12.5  # svg.chart text in kizashi.css


def label_width(text: str, *, bold: bool = False) -> float:
    """A generous width of an axis label in chart units: full-width characters (年, 月) take
    one em, digits and Latin letters about 0.62 em; bold about 6% more."""
    em = sum(1.0 if ord(ch) > 0x2E7F else 0.62 for ch in text)
    return em * FONT_PX * (1.06 if bold else 1.0)


def _with_first(
    frame: _Frame, regular: list[int], label: Callable[[int], str], *, bold: bool
) -> list[int]:
    """The regular label positions, with the first month in front when it fits."""
    if regular and regular[0] == 0:
        return regular
    if not regular:
        return [0]
    gap = frame.x(regular[0]) - frame.x(0)
    needed = (label_width(label(0), bold=bold) + label_width(label(regular[0]), bold=bold)) / 2
    return ([0] if gap >= needed + 4 else []) + regular


def _axes(frame: _Frame, t: Translator) -> list[str]:
    out = []
    for v in frame.ticks:
        y = frame.y(v)
        cls = "zero" if v == 0 else "grid"
        out.append(
            f'<line class="{cls}" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
        )
        out.append(
            f'<text class="ylab" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(t.yen_compact(v))}</text>"
        )
    quarter = [i for i, m in enumerate(frame.months) if m.month in (1, 4, 7, 10)]
    januaries = [i for i, m in enumerate(frame.months) if m.month == 1]

    def month_label(i: int) -> str:
        m = frame.months[i]
        return f"{m.month}月" if t.locale == "ja" else EN_MONTHS[m.month - 1]

    def year_label(i: int) -> str:
        m = frame.months[i]
        return f"{m.year}年" if t.locale == "ja" else str(m.year)

    # The first month is labelled too, unless the next regular label is too close to fit
    # beside it (measured in the chart's own units, so it holds at any rendered width).
    ticks = _with_first(frame, quarter, month_label, bold=False)
    years = _with_first(frame, januaries, year_label, bold=True)
    for i in ticks:
        x = frame.x(i)
        label = month_label(i)
        out.append(
            f'<line class="tick" x1="{x:.1f}" x2="{x:.1f}" y1="{HEIGHT - BOTTOM}" '
            f'y2="{HEIGHT - BOTTOM + 4}"/>'
        )
        out.append(
            f'<text class="xlab" x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" '
            f'text-anchor="middle">{label}</text>'
        )
    for i in years:
        x = frame.x(i)
        label = year_label(i)
        out.append(
            f'<text class="xyear" x="{x:.1f}" y="{HEIGHT - BOTTOM + 32}" '
            f'text-anchor="middle">{label}</text>'
        )
    return out


def _summary(
    label: str, months: Sequence[date], values: Sequence[int | None], t: Translator
) -> str:
    known = [(m, v) for m, v in zip(months, values, strict=True) if v is not None]
    if not known:
        return t.gettext("No data")
    m, v = known[-1]
    return t.gettext(
        "{label}, latest {month}: {amount}", label=label, month=t.month(m), amount=t.yen(v)
    )


def _svg(title: str, desc: str, body: list[str], legend: list[str] | None = None) -> Markup:
    n = next(_ids)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="chart-t{n} chart-d{n}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-t{n}">{escape(title)}</title>',
        f'<desc id="chart-d{n}">{escape(desc)}</desc>',
        *body,
        *(legend or []),
        "</svg>",
    ]
    return Markup("\n".join(parts))


def bar_chart(
    title: str,
    months: Sequence[date],
    values: Sequence[int | None],
    t: Translator,
    *,
    css_class: str = "bar",
) -> Markup:
    """Monthly bars; negative months are drawn below the zero line in their own colour."""
    known = [v for v in values if v is not None]
    frame = _Frame(months, min(known, default=0), max(known, default=0))
    body = _axes(frame, t)
    bar_w = frame.slot * 0.68
    zero = frame.y(0)
    for i, (m, v) in enumerate(zip(months, values, strict=True)):
        if v is None:
            continue
        y = frame.y(v)
        top, h = (y, zero - y) if v >= 0 else (zero, y - zero)
        cls = css_class if v >= 0 else f"{css_class} neg"
        body.append(
            f'<rect class="{cls}" x="{frame.x(i) - bar_w / 2:.1f}" y="{top:.1f}" '
            f'width="{bar_w:.1f}" height="{max(h, 0.5):.1f}"><title>{escape(t.month(m))}: '
            f"{escape(t.yen(v))}</title></rect>"
        )
    return _svg(title, _summary(title, months, values, t), body)


def line_chart(
    title: str, months: Sequence[date], series: Sequence[Series], t: Translator
) -> Markup:
    """One or more monthly lines (balances such as 現預金 and 借入金) with a legend."""
    known = [v for s in series for v in s.values if v is not None]
    frame = _Frame(months, min(known, default=0), max(known, default=0))
    body = _axes(frame, t)
    for s in series:
        path: list[str] = []
        pen_down = False
        for i, v in enumerate(s.values):
            if v is None:
                pen_down = False
                continue
            path.append(f"{'L' if pen_down else 'M'}{frame.x(i):.1f},{frame.y(v):.1f}")
            pen_down = True
        dash = ' stroke-dasharray="6 4"' if s.dashed else ""
        body.append(f'<path class="line" d="{" ".join(path)}" stroke="{s.color}"{dash}/>')
        for i, (m, v) in enumerate(zip(months, s.values, strict=True)):
            if v is not None:
                body.append(
                    f'<circle class="pt" cx="{frame.x(i):.1f}" cy="{frame.y(v):.1f}" r="2.6" '
                    f'fill="{s.color}"><title>{escape(s.label)} {escape(t.month(m))}: '
                    f"{escape(t.yen(v))}</title></circle>"
                )
    legend = []
    x = LEFT + 8
    for s in series if len(series) > 1 else ():
        dash = ' stroke-dasharray="6 4"' if s.dashed else ""
        legend.append(
            f'<line x1="{x}" x2="{x + 18}" y1="{TOP + 2}" y2="{TOP + 2}" stroke="{s.color}" '
            f'stroke-width="2.5"{dash}/>'
        )
        legend.append(f'<text class="legend" x="{x + 24}" y="{TOP + 6}">{escape(s.label)}</text>')
        x += 24 + 14 * len(s.label) + 24
    desc = " / ".join(_summary(s.label, months, s.values, t) for s in series)
    return _svg(title, desc, body, legend)
