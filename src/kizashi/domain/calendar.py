"""How a month or a day reads to people: 和暦 in Japanese, "Nov 2026" in English.

The one implementation of these formats. ``kizashi.web.i18n`` (pages, API texts, CLI) binds
them to a locale; flag explanations filled in ``kizashi.access`` use them too, so a page never
shows an ISO month beside a 和暦 one.
"""

from __future__ import annotations

from datetime import date

ERAS = (  # (first day, name, short)
    (date(2019, 5, 1), "令和", "R"),
    (date(1989, 1, 8), "平成", "H"),
    (date(1926, 12, 25), "昭和", "S"),
)
EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def wareki_year(d: date) -> tuple[str, int]:
    """(era name, year of the era) — ("令和", 8) for 2026."""
    for start, name, _short in ERAS:
        if d >= start:
            return name, d.year - start.year + 1
    return "西暦", d.year


def _era_year_text(d: date) -> str:
    era, year = wareki_year(d)
    return f"{era}{'元' if year == 1 else year}年"


def format_wareki_month(d: date) -> str:
    """令和8年11月."""
    return f"{_era_year_text(d)}{d.month}月"


def format_wareki_date(d: date) -> str:
    """令和8年11月25日."""
    return f"{_era_year_text(d)}{d.month}月{d.day}日"


def format_month(d: date, locale: str = "ja") -> str:
    """令和8年11月 (ja) / Nov 2026 (en)."""
    return format_wareki_month(d) if locale == "ja" else f"{EN_MONTHS[d.month - 1]} {d.year}"


def format_date(d: date | None, locale: str = "ja") -> str:
    """令和8年11月25日 (ja) / 25 Nov 2026 (en)."""
    if d is None:
        return "—"
    return format_wareki_date(d) if locale == "ja" else f"{d.day} {EN_MONTHS[d.month - 1]} {d.year}"


def format_months_ago(months: int, locale: str = "ja") -> str:
    """今月 / 1 か月前 (ja); this month / 1 month ago / 3 months ago (en)."""
    if locale == "ja":
        return "今月" if months == 0 else f"{months} か月前"
    if months == 0:
        return "this month"
    return "1 month ago" if months == 1 else f"{months} months ago"
