"""Checks over the standard monthly trial balances: errors block, warnings inform."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from datetime import date

from kizashi.domain.chart import Chart

from .dates import add_months
from .errors import Issue, error, warning
from .mapping import CLEARING, Mapped, total_code
from .model import Subtotal
from .report import AccountRow, MonthlyTrialBalance

# Leaves whose negative balance deserves a second look (cash overdrawn, negative sales …).
_SIGN_EXEMPT = {
    "retained_earnings",
    "valuation_adjustments",
    "misc_income",
    "misc_loss",
    "extraordinary_income",
    "extraordinary_loss",
    "income_taxes",
}


def check_balance(chart: Chart, month: MonthlyTrialBalance, file: str) -> list[Issue]:
    diff = chart.balance_difference(month.amounts)
    if diff:
        return [
            error(
                "bs.unbalanced",
                file=file,
                params={"date": month.period_end.isoformat(), "difference": diff},
                field="total_assets",
                value=str(diff),
            )
        ]
    return []


def check_signs(chart: Chart, months: Iterable[MonthlyTrialBalance], file: str) -> list[Issue]:
    """One warning per item that is ever negative where that is unusual (first month named)."""
    first: dict[str, tuple[date, int, int]] = {}
    for month in months:
        for code, value in month.amounts.items():
            item = chart[code]
            if (
                value < 0
                and code not in _SIGN_EXEMPT
                and (item.statement == "BS" or code == "sales")
            ):
                d, v, n = first.get(code, (month.period_end, value, 0))
                first[code] = (d, v, n + 1)
    return [
        warning(
            "sign.unusual",
            file=file,
            params={
                "item": code,
                "item_ja": chart[code].ja,
                "amount": v,
                "date": d.isoformat(),
                "months": n,
            },
            field=code,
            value=str(v),
        )
        for code, (d, v, n) in first.items()
    ]


def check_missing_months(periods: Iterable[date], file: str) -> list[Issue]:
    ends = sorted(set(periods))
    out = []
    for a, b in itertools.pairwise(ends):
        expected = add_months(date(a.year, a.month, 1), 1)
        if date(b.year, b.month, 1) != expected:
            out.append(
                warning(
                    "period.missing",
                    file=file,
                    params={"from_month": f"{a:%Y-%m}", "to_month": f"{b:%Y-%m}"},
                    value=f"{expected:%Y-%m}",
                )
            )
    return out


def check_subtotals(
    chart: Chart,
    months: Mapping[date, MonthlyTrialBalance],
    subtotals: Iterable[Subtotal],
    file: str,
    complete: bool,
) -> list[Issue]:
    out = []
    for s in subtotals:
        found = total_code(s.name)
        month = months.get(s.period_end)
        if not found or month is None or not complete:
            continue
        code = found[0]
        computed = chart.evaluate(month.amounts, code)
        if computed != s.amount and abs(computed) != abs(s.amount):
            out.append(
                warning(
                    "subtotal.mismatch",
                    file=file,
                    params={"name": s.name, "amount": s.amount, "computed": computed},
                    line=s.line,
                    field=s.name,
                    value=str(s.amount),
                )
            )
    return out


def check_opening(
    rows: list[AccountRow], file: str, fy_starts: Mapping[date, date] | None = None
) -> list[Issue]:
    """前月残高 of a month must equal the previous month's closing for the same account.

    The first month of a fiscal year is skipped: there the P/L restarts and retained
    earnings take last year's profit.
    """
    out = []
    fy_starts = fy_starts or {}
    last: dict[str, tuple[date, int]] = {}
    for r in sorted(rows, key=lambda r: r.period_end):
        prev = last.get(r.account)
        if prev and r.opening is not None:
            expected_month = add_months(date(prev[0].year, prev[0].month, 1), 1)
            first = date(r.period_end.year, r.period_end.month, 1)
            if (
                first == expected_month
                and fy_starts.get(r.period_end) != first
                and r.opening != prev[1]
                and r.code not in (None, CLEARING)
            ):
                out.append(
                    warning(
                        "opening.mismatch",
                        file=file,
                        params={
                            "account": r.account,
                            "month": f"{r.period_end:%Y-%m}",
                            "opening": r.opening,
                            "previous": prev[1],
                        },
                        field=r.account,
                        value=str(r.opening),
                    )
                )
        last[r.account] = (r.period_end, r.closing)
    return out


def check_mapping(mapped: Mapping[str, Mapped], nonzero: set[str], file: str) -> list[Issue]:
    out = []
    for m in mapped.values():
        if m.code is None and m.account in nonzero:
            out.append(
                error(
                    "mapping.unmapped",
                    file=file,
                    params={"name": m.name},
                    field=m.account,
                    value=m.name,
                )
            )
        elif m.code is None:
            out.append(
                warning(
                    "mapping.unmapped_zero",
                    file=file,
                    params={"name": m.name},
                    field=m.account,
                    value=m.name,
                )
            )
        elif m.needs_confirmation:
            out.append(
                warning(
                    "mapping.confirm",
                    file=file,
                    params={
                        "name": m.name,
                        "item": m.code,
                        "method": m.method,
                        "confidence": m.confidence,
                        "confidence_pct": round(m.confidence * 100),
                    },
                    field=m.account,
                    value=m.name,
                )
            )
    return out


def check_clearing(rows: list[AccountRow], file: str) -> list[Issue]:
    return [
        warning(
            "clearing.nonzero",
            file=file,
            params={"month": f"{r.period_end:%Y-%m}", "account": r.account, "closing": r.closing},
            field=r.account,
            value=str(r.closing),
        )
        for r in rows
        if r.code == CLEARING and r.closing
    ]
