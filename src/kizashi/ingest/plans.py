"""Plan files (CSV or .xlsx, Japanese headers) → a plan version's targets and actions.

Pure: bytes in, :class:`PlanFile` or a :class:`PlanFileError` listing every problem by file, line
and column out; ``actions.plans.do_import_plan`` stores all rows or none. The format is in
docs/formats.md ("事業計画").

* One row per period: ``年月`` (``2026-04``, ``2026年4月``, ``令和8年4月``; a date counts as its
  month). Item columns: 売上高, 売上総利益, 営業利益, 現預金, 借入金 (any subset, at least one;
  a blank cell is "no target"). Amounts are int yen (``1,200,000``, ``¥1,200,000``, ``-300,000``
  or ``△300,000``; only 営業利益 may be negative).
* A plan of annual targets uses ``年度末`` (the fiscal year's last month) instead of ``年月``.
* Optional action rows in the same file: ``期日`` and ``アクション`` (and ``担当``) filled, the
  period and item cells empty.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date

from kizashi.domain.periods import month_start
from kizashi.domain.plans import ITEMS, Granularity

from .dates import DateError, parse_date
from .loans import Problem
from .numbers import AmountError, parse_yen
from .periods import parse_period
from .text import decode, split_rows
from .workbook import is_xlsx, read_xlsx

MAX_ROWS = 5_000

COLUMNS: dict[str, str] = {
    "month": "年月",
    "year_end": "年度末",
    "sales": "売上高",
    "gross_profit": "売上総利益",
    "operating_profit": "営業利益",
    "cash": "現預金",
    "borrowings": "借入金",
    "due_on": "期日",
    "action": "アクション",
    "owner": "担当",
}
MAY_BE_NEGATIVE = frozenset({"operating_profit", "gross_profit"})


class PlanFileError(ValueError):
    """Every problem of a plan file; nothing of it was stored."""

    def __init__(self, filename: str, problems: list[Problem]) -> None:
        self.filename = filename
        self.problems = problems
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return [
            f"{self.filename}:{p.line}: " + (f"列「{p.column}」: " if p.column else "") + p.message
            for p in self.problems
        ]


@dataclass(frozen=True)
class ActionRow:
    due_on: date
    title: str
    owner: str | None


@dataclass
class PlanFile:
    granularity: Granularity
    targets: dict[date, dict[str, int | None]] = field(default_factory=dict)
    actions: list[ActionRow] = field(default_factory=list)


def _yen(raw: str) -> int:
    s = raw.replace("△", "-").replace("▲", "-")
    return parse_yen(s)


def _rows(data: bytes, filename: str) -> list[list[str]]:
    if is_xlsx(data, filename):
        return read_xlsx(data, filename).rows()
    return split_rows(decode(data, filename).text, filename=filename)


def parse_plan_file(data: bytes, filename: str) -> PlanFile:
    """The file's targets and actions, or PlanFileError with every problem."""
    rows = [r for r in _rows(data, filename) if any(c.strip() for c in r)]
    if not rows:
        raise PlanFileError(filename, [Problem(1, "", "見出し行がありません")])
    if len(rows) > MAX_ROWS + 1:
        raise PlanFileError(
            filename, [Problem(MAX_ROWS + 2, "", f"行が多すぎます (上限 {MAX_ROWS} 行)")]
        )
    by_header = {ja: code for code, ja in COLUMNS.items()} | {c: c for c in COLUMNS}
    header: list[str | None] = []
    problems: list[Problem] = []
    for cell in rows[0]:
        name = unicodedata.normalize("NFKC", cell).strip()
        code = by_header.get(name)
        if code is None:
            problems.append(Problem(1, name, "この見出しの列は読めません"))
        elif code in header:
            problems.append(Problem(1, name, "同じ列が二度あります"))
        header.append(code)
    if "month" in header and "year_end" in header:
        problems.append(Problem(1, "年度末", "「年月」と「年度末」は同じファイルに書けません"))
    period_code = "year_end" if "year_end" in header else "month"
    if period_code not in header:
        problems.append(Problem(1, "年月", "必要な列がありません"))
    if not any(i in header for i in ITEMS):
        problems.append(
            Problem(
                1, "", "計画の科目の列 (売上高・売上総利益・営業利益・現預金・借入金) がありません"
            )
        )
    if problems:
        raise PlanFileError(filename, problems)
    out = PlanFile(Granularity.ANNUAL if period_code == "year_end" else Granularity.MONTHLY)
    seen: dict[date, int] = {}
    for n, raw in enumerate(rows[1:], start=2):
        if len(raw) > len(header):
            problems.append(
                Problem(n, "", f"列が多すぎます ({len(raw)} 列、見出しは {len(header)} 列)")
            )
            continue
        cells = {
            code: unicodedata.normalize("NFKC", raw[i]).strip()
            for i, code in enumerate(header)
            if code and i < len(raw)
        }
        if not cells.get(period_code) and cells.get("action"):
            due = cells.get("due_on", "")
            try:
                day = parse_date(due)
            except DateError:
                problems.append(
                    Problem(n, "期日", f"日付として読めません ({due})" if due else "値がありません")
                )
                continue
            out.actions.append(ActionRow(day, cells["action"][:300], cells.get("owner") or None))
            continue
        period_raw = cells.get(period_code, "")
        ja_period = COLUMNS[period_code]
        end = parse_period(period_raw)
        if end is None:
            problems.append(
                Problem(
                    n,
                    ja_period,
                    f"年月として読めません ({period_raw})" if period_raw else "値がありません",
                )
            )
            continue
        period = month_start(end)
        if period in seen:
            problems.append(Problem(n, ja_period, f"同じ期間が {seen[period]} 行目にもあります"))
            continue
        seen[period] = n
        figures: dict[str, int | None] = {}
        for item in ITEMS:
            text = cells.get(item, "")
            if not text:
                figures[item] = None
                continue
            try:
                value = _yen(text)
            except AmountError:
                problems.append(Problem(n, COLUMNS[item], f"金額として読めません ({text})"))
                continue
            if value < 0 and item not in MAY_BE_NEGATIVE:
                problems.append(Problem(n, COLUMNS[item], f"金額が負です ({text})"))
                continue
            figures[item] = value
        if cells.get("action"):
            due = cells.get("due_on", "")
            try:
                out.actions.append(
                    ActionRow(parse_date(due), cells["action"][:300], cells.get("owner") or None)
                )
            except DateError:
                problems.append(
                    Problem(n, "期日", f"日付として読めません ({due})" if due else "値がありません")
                )
        out.targets[period] = figures
    if not out.targets and not problems:
        problems.append(Problem(2, "", "計画の行がありません"))
    if problems:
        raise PlanFileError(filename, sorted(problems, key=lambda p: p.line))
    return out
