"""The business page's cash forecast section (資金繰り予測): a bar chart of the 13 weekly closing
balances and the weekly table, for the institutions and the owner alike.

Read through ``access.cash`` as one section of the page's read log, and only when the user may
read 口座 (decided without reading; the section then says there is no consent, and no event is
written for a section not read); without a bank balance it says no bank data has arrived yet.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from kizashi.access.actor import Actor
from kizashi.access.cash import CashView, may_read_cash, read_cash_forecast
from kizashi.access.read_log import ReadLog
from kizashi.domain.vocabulary import Purpose

from ..i18n import Translator

W, H, PAD = 640, 180, 28


def weekly_chart(view: CashView, t: Translator) -> Markup:
    """13 bars from zero: the weekly closing balances (below zero in red), with their values
    as tooltips. Pure SVG, no script."""
    weeks = view.plan.forecast.weeks
    values = [w.closing for w in weeks]
    hi, lo = max([0, *values]), min([0, *values])
    span = (hi - lo) or 1
    step = (W - 2 * PAD) / max(len(weeks), 1)

    def y(v: int) -> float:
        return PAD + (hi - v) / span * (H - 2 * PAD)

    parts = [f'<line x1="{PAD}" x2="{W - PAD}" y1="{y(0):.1f}" y2="{y(0):.1f}" stroke="#666"/>']
    for i, w in enumerate(weeks):
        x = PAD + i * step + step * 0.15
        top, bottom = sorted((y(w.closing), y(0)))
        colour = "#c0392b" if w.closing < 0 else "#2e86c1"
        label = t.gettext("Week {n}", n=w.index)
        parts.append(
            f'<rect x="{x:.1f}" y="{top:.1f}" width="{step * 0.7:.1f}" '
            f'height="{max(bottom - top, 1):.1f}" fill="{colour}"><title>{escape(label)}: '
            f"{escape(t.yen(w.closing))}</title></rect>"
        )
        parts.append(
            f'<text x="{x + step * 0.35:.1f}" y="{H - 6}" text-anchor="middle" '
            f'font-size="11">{w.index}</text>'
        )
    title = escape(t.gettext("Cash forecast, 13 weeks"))
    return Markup(
        f'<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-label="{title}">'
        f"<title>{title}</title>{''.join(parts)}</svg>"
    )


def cash_section(
    s: Session, log: ReadLog, actor: Actor, business_id: int, purpose: Purpose, t: Translator
) -> dict[str, Any]:
    """``cash_allowed`` (False: no consent for 口座), ``cash`` (a ``CashView`` or None without
    a bank balance) and ``cash_chart``."""
    allowed = may_read_cash(s, actor, business_id, purpose)
    view = (
        log.section(lambda: read_cash_forecast(s, actor, business_id, purpose=purpose))
        if allowed
        else None
    )
    return {
        "cash_allowed": allowed,
        "cash": view,
        "cash_chart": weekly_chart(view, t) if view is not None else None,
    }
