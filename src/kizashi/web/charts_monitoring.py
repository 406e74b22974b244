"""Monitoring charts as inline SVG: an indicator against its peer band, and the ロカベン radar.

Like ``charts``, each is a plain function of its data returning markup with a ``<title>`` and a
one-line ``<desc>`` (what a screen reader reads); nothing needs JavaScript. Colour is never the
only signal: the table beside each band says the value and the peers' quartiles in words.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import count

from markupsafe import Markup, escape

from .i18n import Translator

BAND_W, BAND_H = 220, 26
BAND_PAD = 10
MIN_PEERS = 3  # fewer peers than this: no band (a "band" of one or two businesses says nothing)
RADAR_W, RADAR_H = 440, 290
_ids = count(1)


def band_status(value: float | None, p25: float | None, p75: float | None, better: str) -> str:
    """Where the value sits for its direction: ``good`` (the better quarter), ``watch`` (the
    worse quarter), ``mid`` (between the quartiles), ``none`` (no direction or no band)."""
    if value is None or p25 is None or p75 is None or better not in ("higher", "lower"):
        return "none"
    if better == "higher":
        return "good" if value > p75 else "watch" if value < p25 else "mid"
    return "good" if value < p25 else "watch" if value > p75 else "mid"


def _svg(css: str, w: int, h: int, title: str, desc: str, body: list[str]) -> Markup:
    n = next(_ids)
    return Markup(
        "\n".join(
            [
                f'<svg class="{css}" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
                f'aria-labelledby="{css}-t{n} {css}-d{n}" xmlns="http://www.w3.org/2000/svg">',
                f'<title id="{css}-t{n}">{escape(title)}</title>',
                f'<desc id="{css}-d{n}">{escape(desc)}</desc>',
                *body,
                "</svg>",
            ]
        )
    )


def peer_band(
    label: str,
    value: float | None,
    p25: float | None,
    median: float | None,
    p75: float | None,
    peer_n: int | None,
    better: str,
    unit: str,
    t: Translator,
) -> Markup | None:
    """A small bullet: the peers' p25–p75 band, their median tick and the business's marker.

    None when there is nothing to compare (no value, or fewer than ``MIN_PEERS`` peers). The
    scale shows the band with room either side; a value far outside it sits at the edge as a
    triangle pointing the way it lies (its number is in the table beside it).
    """
    if value is None or None in (p25, median, p75) or (peer_n or 0) < MIN_PEERS:
        return None
    assert p25 is not None and median is not None and p75 is not None
    spread = max(p75 - p25, abs(median) * 0.2, 1e-9)
    lo = min(p25 - spread, value)
    hi = max(p75 + spread, value)
    lo, hi = max(lo, p25 - 2.5 * spread), min(hi, p75 + 2.5 * spread)
    plot = BAND_W - 2 * BAND_PAD

    def x(v: float) -> float:
        return BAND_PAD + plot * (min(max(v, lo), hi) - lo) / (hi - lo)

    mid_y = BAND_H / 2
    status = band_status(value, p25, p75, better)
    body = [
        f'<line class="track" x1="{BAND_PAD}" x2="{BAND_W - BAND_PAD}" y1="{mid_y}" y2="{mid_y}"/>',
        f'<rect class="band" x="{x(p25):.1f}" y="{mid_y - 7}" width="{max(x(p75) - x(p25), 1.5):.1f}"'
        ' height="14" rx="3"/>',
        f'<line class="median" x1="{x(median):.1f}" x2="{x(median):.1f}" y1="{mid_y - 9}" '
        f'y2="{mid_y + 9}"/>',
    ]
    vx = x(value)
    if value < lo or value > hi:
        d = -1 if value < lo else 1
        body.append(
            f'<path class="marker {status}" d="M{vx + 6 * d:.1f},{mid_y} L{vx - 3 * d:.1f},'
            f'{mid_y - 6} L{vx - 3 * d:.1f},{mid_y + 6} Z"/>'
        )
    else:
        body.append(f'<circle class="marker {status}" cx="{vx:.1f}" cy="{mid_y}" r="5.5"/>')
    desc = t.gettext(
        "This business {value}; peers ({n}): quartiles {p25} to {p75}, median {median}",
        value=t.indicator(value, unit),
        n=peer_n,
        p25=t.indicator(p25, unit),
        median=t.indicator(median, unit),
        p75=t.indicator(p75, unit),
    )
    return _svg("band", BAND_W, BAND_H, label, desc, body)


@dataclass(frozen=True)
class RadarAxis:
    label: str
    score: int | None  # 1–5, None when not computable


def _polar(i: int, n: int, r: float, cx: float, cy: float) -> tuple[float, float]:
    angle = -math.pi / 2 + 2 * math.pi * i / n
    return cx + r * math.cos(angle), cy + r * math.sin(angle)


def locaben_radar(
    title: str, axes: Sequence[RadarAxis], rating: str | None, total: int | None, t: Translator
) -> Markup:
    """ローカルベンチマーク's six 1–5 scores as a radar, with the A–D rating in the middle.

    Rings at 1…5; the shape is drawn only when every score is known (a shape with a missing
    corner would mislead), otherwise the known scores are dots and the centre says why.
    """
    cx, cy, radius = RADAR_W / 2, RADAR_H / 2 + 4, 98
    n = len(axes)
    body: list[str] = []
    for ring in range(1, 6):
        pts = " ".join(
            f"{px:.1f},{py:.1f}"
            for px, py in (_polar(i, n, radius * ring / 5, cx, cy) for i in range(n))
        )
        body.append(f'<polygon class="ring{" outer" if ring == 5 else ""}" points="{pts}"/>')
    for i, axis in enumerate(axes):
        ex, ey = _polar(i, n, radius, cx, cy)
        body.append(f'<line class="spoke" x1="{cx}" y1="{cy}" x2="{ex:.1f}" y2="{ey:.1f}"/>')
        lx, ly = _polar(i, n, radius + 18, cx, cy)
        anchor = "middle" if abs(lx - cx) < 8 else ("start" if lx > cx else "end")
        score = "—" if axis.score is None else str(axis.score)
        cls = "axis" if axis.score is not None else "axis missing"
        body.append(
            f'<text class="{cls}" x="{lx:.1f}" y="{ly + (4 if abs(ly - cy) < 40 else 0):.1f}" '
            f'text-anchor="{anchor}">{escape(axis.label)} <tspan class="score">{score}</tspan>'
            "</text>"
        )
    known = [(i, a.score) for i, a in enumerate(axes) if a.score is not None]
    if known and len(known) == n:
        pts = " ".join(
            f"{px:.1f},{py:.1f}"
            for px, py in (_polar(i, n, radius * s / 5, cx, cy) for i, s in known)
        )
        body.append(f'<polygon class="shape" points="{pts}"/>')
    for i, s in known:
        px, py = _polar(i, n, radius * s / 5, cx, cy)
        body.append(
            f'<circle class="vertex" cx="{px:.1f}" cy="{py:.1f}" r="3.5"><title>'
            f"{escape(axes[i].label)}: {s}</title></circle>"
        )
    if rating:
        body.append(
            f'<text class="rating" x="{cx}" y="{cy + 9}" text-anchor="middle">{rating}</text>'
        )
        desc = t.gettext(
            "LocalBenchmark rating {rating} ({total} of 30 points)", rating=rating, total=total
        )
    else:
        desc = t.gettext("Cannot be rated: not all six indicators can be computed")
    scores = ", ".join(f"{a.label} {'—' if a.score is None else a.score}" for a in axes)
    return _svg("radar", RADAR_W, RADAR_H, title, f"{desc}. {scores}", body)
