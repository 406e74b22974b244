"""Months and fiscal years. A month is represented by its first day."""

from __future__ import annotations

from datetime import date


def month_start(d: date) -> date:
    return d.replace(day=1)


def add_months(d: date, n: int) -> date:
    """The first day of the month ``n`` months after ``d``'s month."""
    idx = d.year * 12 + (d.month - 1) + n
    return date(idx // 12, idx % 12 + 1, 1)


def month_end(d: date) -> date:
    from datetime import timedelta

    return add_months(d, 1) - timedelta(days=1)


def months_between(a: date, b: date) -> int:
    """Whole months from a's month to b's month (b later ⇒ positive)."""
    return (b.year - a.year) * 12 + (b.month - a.month)


def fiscal_year_start(month: date, fiscal_year_end_month: int) -> date:
    """First day of the fiscal year containing ``month`` for a year ending in ``fiscal_year_end_month``."""
    start_month = fiscal_year_end_month % 12 + 1
    year = month.year if month.month >= start_month else month.year - 1
    return date(year, start_month, 1)


def parse_month(text: str) -> date:
    """'2026-09' or '2026/9' → date(2026, 9, 1); ValueError with the text otherwise."""
    t = text.strip().replace("/", "-")
    try:
        y, m = t.split("-")[:2]
        return date(int(y), int(m), 1)
    except (ValueError, TypeError):
        raise ValueError(f"not a month (YYYY-MM): {text!r}") from None
