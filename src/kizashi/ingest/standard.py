"""As-reported balances → standard chart leaf amounts (positive on each item's normal side)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from kizashi.domain.chart import Chart

from .errors import Issue, warning
from .mapping import CLEARING, Mapped, total_code
from .model import BalanceRow, ParseResult


def signed(chart: Chart, code: str, net_debit: int) -> int:
    """A debit-positive net expressed on ``code``'s normal side."""
    return net_debit if chart[code].side == "debit" else -net_debit


def from_nets(
    chart: Chart, nets: Mapping[str, int], mapped: Mapping[str, Mapped], carried: int = 0
) -> dict[str, int]:
    """Leaf amounts from debit-positive account nets; ``carried`` is prior years' P/L net."""
    out: dict[str, int] = {}
    for key, net in nets.items():
        m = mapped.get(key)
        if m is None or m.code is None or m.code == CLEARING:
            continue
        out[m.code] = out.get(m.code, 0) + signed(chart, m.code, net)
    if carried:
        out["retained_earnings"] = out.get("retained_earnings", 0) - carried
    return out


def _is_contra(chart: Chart, code: str) -> bool:
    item = chart[code]
    return bool(item.parent) and chart[item.parent].side != item.side  # type: ignore[index]


def from_rows(
    chart: Chart, rows: Iterable[BalanceRow], mapped: Mapping[str, Mapped], *, statement: bool
) -> dict[str, int]:
    """Leaf amounts from balance rows of one period.

    ``natural`` rows are positive on the account's normal side, taken to be the mapped item's
    side. In a statement (決算書), contra items shown as deductions (△) are made positive.
    """
    out: dict[str, int] = {}
    for r in rows:
        m = mapped.get(r.account.key)
        if m is None or m.code is None or m.code == CLEARING:
            continue
        value = r.closing if r.convention == "natural" else signed(chart, m.code, r.closing)
        if statement and value < 0 and _is_contra(chart, m.code):
            value = -value
        out[m.code] = out.get(m.code, 0) + value
    return out


def net_debit_of(chart: Chart, row: BalanceRow, mapped: Mapped | None) -> int | None:
    """A balance row as a debit-positive net (None when unmapped and natural)."""
    if row.convention == "debit_positive":
        return row.closing
    if mapped is None or mapped.code is None or mapped.code == CLEARING:
        return None
    return signed(chart, mapped.code, row.closing)


def exclude_current_profit(
    chart: Chart,
    amounts: dict[str, int],
    r: ParseResult,
    end: date,
    filename: str,
    issues: list[Issue],
) -> None:
    """決算書 retained earnings include the year's profit; the chart's leaf does not."""
    has_pl = any(chart[c].statement == "PL" for c in amounts)
    if has_pl:
        profit = chart.evaluate(amounts, "net_income")
    else:
        stated = [
            s.amount
            for s in r.subtotals
            if s.period_end == end and (total_code(s.name) or ("",))[0] == "net_income"
        ]
        if not stated:
            issues.append(warning("statement.no_pl", file=filename))
            return
        profit = stated[0]
    amounts["retained_earnings"] = amounts.get("retained_earnings", 0) - profit
