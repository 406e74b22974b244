"""Period words in titles and columns: ``2022-07``, ``令和4年7月度``, ``至 R5.3.31``."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from .dates import ERAS, DateError, month_end, parse_date

_YM = re.compile(r"(?P<y>\d{4})\s*[-/年.]\s*(?P<m>\d{1,2})\s*月?度?\Z")
_WAREKI_YM = re.compile(
    r"(?P<era>[MTSHR]|明治|大正|昭和|平成|令和)\.?\s*(?P<y>元|\d{1,2})\s*[-/年.]\s*(?P<m>\d{1,2})\s*月?度?\Z",
    re.IGNORECASE,
)
_DATEISH = re.compile(
    r"(?:[MTSHR]|明治|大正|昭和|平成|令和)?\.?\s*(?:元|\d{1,4})\s*[-/年.]\s*\d{1,2}\s*[-/.月]?\s*"
    r"(?:\d{1,2}\s*日?)?",
    re.IGNORECASE,
)


def parse_period(text: str) -> date | None:
    """A month or date → the period's last day (a full date is kept as given)."""
    s = unicodedata.normalize("NFKC", text or "").strip()
    if not s:
        return None
    try:
        return parse_date(s)
    except DateError:
        pass
    m = _YM.match(s)
    if m and 1 <= int(m["m"]) <= 12:
        return month_end(date(int(m["y"]), int(m["m"]), 1))
    m = _WAREKI_YM.match(s)
    if m and 1 <= int(m["m"]) <= 12:
        era = m["era"].upper() if len(m["era"]) == 1 else m["era"]
        first = next(e[2] for e in ERAS if era in (e[0], e[1]))
        year = first.year + (1 if m["y"] == "元" else int(m["y"])) - 1
        return month_end(date(year, int(m["m"]), 1))
    return None


def dates_in(text: str) -> list[tuple[int, date]]:
    """Every date or month mentioned in ``text`` with its position."""
    s = unicodedata.normalize("NFKC", text)
    out: list[tuple[int, date]] = []
    for m in _DATEISH.finditer(s):
        d = parse_period(m.group(0).strip())
        if d is not None:
            out.append((m.start(), d))
    return out


def title_period(lines: list[str]) -> tuple[date | None, date | None]:
    """(period_end, fiscal_year_start) from title lines such as ``自 R5.4.1 至 R6.3.31``."""
    end: date | None = None
    start: date | None = None
    for line in lines:
        s = unicodedata.normalize("NFKC", line)
        found = dates_in(s)
        for pos, d in found:
            before = s[max(0, pos - 3) : pos]
            if "自" in before or "から" in s[pos : pos + 16]:
                start = d if start is None else min(start, d)
            elif end is None or d > end:
                end = d
    return end, start
