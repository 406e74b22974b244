"""Journals → monthly trial balances per as-reported account; cumulative ↔ monthly flows.

Amounts here are debit-positive nets (debit − credit). A trial balance is cumulative from the
fiscal-year start: B/S accounts carry their balance, P/L accounts restart at each fiscal
year and their previous years' result is carried into retained earnings (``carried``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from .dates import add_months, fiscal_year_start, month_end
from .model import Account, JournalLine


@dataclass(frozen=True, slots=True)
class AccountTotals:
    opening: int  # balance at the end of the previous month (P/L: year to date)
    debit: int
    credit: int
    closing: int


@dataclass
class AccountMonth:
    period_end: date
    fiscal_year_start: date
    accounts: dict[str, AccountTotals] = field(default_factory=dict)
    carried: int = 0  # debit-positive P/L result of completed fiscal years in the data


def months_between(first: date, last: date) -> list[date]:
    out, cur = [], date(first.year, first.month, 1)
    while cur <= last:
        out.append(cur)
        cur = add_months(cur, 1)
    return out


def aggregate_journal(
    lines: Iterable[JournalLine],
    start_month: int,
    is_pl: Callable[[Account], bool],
    opening_date: date | None = None,
) -> tuple[list[AccountMonth], dict[str, Account]]:
    """Monthly cumulative trial balances of every account seen in ``lines``.

    Opening lines (``JournalLine.opening``) set balances at the start of the first month.
    Every account seen anywhere appears in every month (zeros included), as an accounting
    package's 残高試算表 lists its whole chart.
    """
    accounts: dict[str, Account] = {}
    flows: dict[date, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    balance: dict[str, int] = defaultdict(int)
    first: date | None = None
    last: date | None = None
    for ln in lines:
        key = ln.account.key
        accounts.setdefault(key, ln.account)
        if ln.opening:
            balance[key] += ln.debit - ln.credit
            continue
        m = date(ln.day.year, ln.day.month, 1)
        f = flows[m][key]
        f[0] += ln.debit
        f[1] += ln.credit
        first = m if first is None or m < first else first
        last = m if last is None or m > last else last
    if first is None or last is None:
        if opening_date is None or not balance:
            return [], accounts
        first = last = date(opening_date.year, opening_date.month, 1)
    if opening_date is not None and opening_date < first:
        first = date(opening_date.year, opening_date.month, 1)
    pl_keys = {k for k, a in accounts.items() if is_pl(a)}
    out: list[AccountMonth] = []
    carried = 0
    for m in months_between(first, last):
        fy = fiscal_year_start(m, start_month)
        if m == fy and out:
            for k in pl_keys:
                carried += balance[k]
                balance[k] = 0
        month = AccountMonth(month_end(m), fy, carried=carried)
        mf = flows.get(m, {})
        for k in accounts:
            dr, cr = mf.get(k, (0, 0))
            prev = balance[k]
            balance[k] = prev + dr - cr
            month.accounts[k] = AccountTotals(prev, dr, cr, balance[k])
        out.append(month)
    return out, accounts


def monthly_flows(
    cumulative: Mapping[date, Mapping[str, int]],
    fiscal_year_starts: Mapping[date, date],
    pl_codes: Iterable[str],
) -> dict[date, dict[str, int] | None]:
    """P/L flow of each month from cumulative figures: the difference to the previous month.

    The first month of a fiscal year is its own flow. A month whose previous month (in the
    same fiscal year) is missing has no computable flow: None.
    """
    codes = list(pl_codes)
    out: dict[date, dict[str, int] | None] = {}
    for end in sorted(cumulative):
        fy = fiscal_year_starts[end]
        cur = cumulative[end]
        if date(end.year, end.month, 1) == fy:
            out[end] = {c: cur.get(c, 0) for c in codes}
            continue
        prev_end = date.fromordinal(date(end.year, end.month, 1).toordinal() - 1)
        prev = cumulative.get(prev_end)
        if prev is None or fiscal_year_starts.get(prev_end) != fy:
            out[end] = None
        else:
            out[end] = {c: cur.get(c, 0) - prev.get(c, 0) for c in codes}
    return out
