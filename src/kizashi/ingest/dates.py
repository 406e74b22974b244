"""Dates as written in Japanese accounting files: 西暦 and 和暦, era boundaries checked.

西暦: ``20220704``, ``2022/07/04``, ``2022/7/4``, ``2022-07-04``, ``2022.7.4``,
``2022年7月4日``, with an optional time (``2026-03-07 10:20``).
和暦: ``R.07/04/01``, ``R07/04/01``, ``R7.4.1``, ``令和7年4月1日``, ``令和元年5月1日``,
``H31.4.30``, ``平成31年4月30日``, and S (昭和), T (大正), M (明治). A 和暦 date outside its
era (平成31年5月1日, 令和元年4月30日) is an error, as the era had ended or not begun.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import lru_cache

from kizashi.domain.periods import add_months, month_end  # noqa: F401  (re-exported)
from kizashi.domain.periods import fiscal_year_start as _fiscal_year_start

from .errors import CellError


class DateError(CellError):
    """The text is not a valid date (``reason``: empty, not_a_date, no_such_date,
    no_year_zero, outside_era)."""


# (letter, kanji, first day, last day)
ERAS: tuple[tuple[str, str, date, date], ...] = (
    ("M", "明治", date(1868, 10, 23), date(1912, 7, 29)),
    ("T", "大正", date(1912, 7, 30), date(1926, 12, 24)),
    ("S", "昭和", date(1926, 12, 25), date(1989, 1, 7)),
    ("H", "平成", date(1989, 1, 8), date(2019, 4, 30)),
    ("R", "令和", date(2019, 5, 1), date(9999, 12, 31)),
)
_BY_NAME = {n: e for e in ERAS for n in (e[0], e[1])}

_SEP = r"[/\-.年]"
_WAREKI = re.compile(
    r"(?P<era>[MTSHR]|明治|大正|昭和|平成|令和)\.?\s*(?P<y>元|\d{1,2})\s*"
    + _SEP
    + r"\s*(?P<m>\d{1,2})\s*[/\-.月]\s*(?P<d>\d{1,2})\s*日?\Z",
    re.IGNORECASE,
)
_SEIREKI = re.compile(
    r"(?P<y>\d{4})\s*" + _SEP + r"\s*(?P<m>\d{1,2})\s*[/\-.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?\Z"
)
_COMPACT = re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})\Z")


def _make(y: int, m: int, d: int, raw: str) -> date:
    try:
        return date(y, m, d)
    except ValueError as exc:
        raise DateError(f"no such date: {raw!r}", "no_such_date", text=raw) from exc


@lru_cache(maxsize=4096)
def parse_date(text: str) -> date:
    """Parse a 西暦 or 和暦 date; raise :class:`DateError` with the text when impossible."""
    raw = text
    s = unicodedata.normalize("NFKC", text or "").strip().strip("\"'")
    if not s:
        raise DateError("date is empty", "empty")
    m = _COMPACT.match(s) or _SEIREKI.match(s)
    if m:
        return _make(int(m["y"]), int(m["m"]), int(m["d"]), raw)
    m = _WAREKI.match(s)
    if not m:
        raise DateError(f"not a date: {raw!r}", "not_a_date", text=raw)
    _, kanji, first, last = _BY_NAME[m["era"].upper() if len(m["era"]) == 1 else m["era"]]
    year = 1 if m["y"] == "元" else int(m["y"])
    if year < 1:
        raise DateError(f"{kanji} has no year 0: {raw!r}", "no_year_zero", era=kanji, text=raw)
    result = _make(first.year + year - 1, int(m["m"]), int(m["d"]), raw)
    if not first <= result <= last:
        raise DateError(
            f"{raw!r} is outside {kanji} ({first.isoformat()} … "
            f"{'' if last.year == 9999 else last.isoformat()})",
            "outside_era",
            text=raw,
            era=kanji,
            first=first.isoformat(),
            last="" if last.year == 9999 else last.isoformat(),
        )
    return result


def fiscal_year_start(d: date, start_month: int) -> date:
    """First day of the fiscal year (starting in ``start_month``) that contains ``d``."""
    return _fiscal_year_start(d, (start_month - 2) % 12 + 1)  # the domain counts by year-end month
