"""Writing monthly trial balances back out as files, for round trips and the demo export.

Input: cumulative monthly trial balances in the standard chart (``period_end``,
``fiscal_year_start``, ``amounts``: B/S balances and year-to-date P/L), as ``analyse``
returns them. Formats:

* ``table``: a generic 残高試算表 CSV (CP932 by default): 月, コード, 科目, 前月残高, 借方, 貸方,
  当月残高 with balances positive on each item's normal side;
* ``moneyforward``: a マネーフォワード 27-column 仕訳帳 CSV whose entries reproduce the balances: a
  開始仕訳 for the first month, then one compound entry per month;
* ``yayoi``: a 弥生 25-column 仕訳日記帳 CSV (CP932, no header) with the same entries as
  multi-row vouchers (2110 … 2101).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from kizashi.domain.chart import Chart, load_chart

from .dates import add_months
from .report import MonthlyTrialBalance

MF_HEADER = [
    "取引No",
    "取引日",
    "借方勘定科目",
    "借方補助科目",
    "借方部門",
    "借方取引先",
    "借方税区分",
    "借方インボイス",
    "借方金額(円)",
    "借方税額",
    "貸方勘定科目",
    "貸方補助科目",
    "貸方部門",
    "貸方取引先",
    "貸方税区分",
    "貸方インボイス",
    "貸方金額(円)",
    "貸方税額",
    "摘要",
    "仕訳メモ",
    "タグ",
    "MF仕訳タイプ",
    "決算整理仕訳",
    "作成日時",
    "作成者",
    "最終更新日時",
    "最終更新者",
]


def _as_month(m: MonthlyTrialBalance | Mapping[str, Any]) -> MonthlyTrialBalance:
    if isinstance(m, MonthlyTrialBalance):
        return m

    def d(v: Any) -> date:
        return v if isinstance(v, date) else date.fromisoformat(str(v))

    return MonthlyTrialBalance(
        d(m["period_end"]),
        d(m["fiscal_year_start"]),
        {k: int(v) for k, v in dict(m["amounts"]).items()},
    )


def cumulative_from_flows(
    rows: Iterable[Mapping[str, Any]], chart: Chart | None = None
) -> list[MonthlyTrialBalance]:
    """Panel rows (B/S balances, P/L monthly flows) → cumulative monthly trial balances."""
    chart = chart or load_chart()
    pl = {i.code for i in chart.leaves if i.statement == "PL"}
    leaves = [i.code for i in chart.leaves]
    out: list[MonthlyTrialBalance] = []
    ytd: dict[str, int] = {}
    fy_seen: date | None = None
    for r in sorted(rows, key=lambda r: r["month"]):
        month, fy = r["month"], r["fiscal_year_start"]
        if fy != fy_seen:
            ytd, fy_seen = {}, fy
        amounts: dict[str, int] = {}
        for code in leaves:
            v = int(r.get(code) or 0)
            if code in pl:
                ytd[code] = ytd.get(code, 0) + v
                v = ytd[code]
            if v:
                amounts[code] = v
        end = add_months(month, 1)
        out.append(MonthlyTrialBalance(date.fromordinal(end.toordinal() - 1), fy, amounts))
    return out


def write_trial_balance_csv(
    months: Sequence[MonthlyTrialBalance | Mapping[str, Any]], *, encoding: str = "cp932"
) -> bytes:
    chart = load_chart()
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["月", "コード", "科目", "前月残高", "借方", "貸方", "当月残高"])
    prev: dict[str, int] = {}
    prev_fy: date | None = None
    for m in map(_as_month, months):
        new_fy = prev_fy is not None and m.fiscal_year_start != prev_fy
        if new_fy:  # 期首: last year's profit is now in retained earnings, the P/L restarts
            carried = chart.evaluate(prev, "net_income")
            prev = {k: v for k, v in prev.items() if chart[k].statement == "BS"}
            prev["retained_earnings"] = prev.get("retained_earnings", 0) + carried
        for item in chart.leaves:
            code = item.code
            opening = prev.get(code, 0)
            closing = m.amounts.get(code, 0)
            delta = closing - opening
            up, down = max(delta, 0), max(-delta, 0)
            dr, cr = (up, down) if item.side == "debit" else (down, up)
            w.writerow([f"{m.period_end:%Y-%m}", code, item.ja, opening, dr, cr, closing])
        prev = dict(m.amounts)
        prev_fy = m.fiscal_year_start
    return buf.getvalue().encode(encoding)


@dataclass(frozen=True)
class _Entry:
    day: date
    opening: bool
    lines: list[tuple[str, int, int]]  # (account label, debit, credit)


def journal_entries(months: Sequence[MonthlyTrialBalance | Mapping[str, Any]]) -> list[_Entry]:
    """Entries whose aggregation reproduces ``months`` exactly (see module docstring)."""
    chart = load_chart()
    ms = [_as_month(m) for m in months]
    out: list[_Entry] = []
    prev: dict[str, int] | None = None
    prev_fy: date | None = None
    for m in ms:
        ni = chart.evaluate(m.amounts, "net_income")
        if prev is None:
            # opening: B/S with retained earnings including this year's profit so far
            bal = {i.code: m.amounts.get(i.code, 0) for i in chart.leaves if i.statement == "BS"}
            bal["retained_earnings"] = bal.get("retained_earnings", 0) + ni
            first = date(m.period_end.year, m.period_end.month, 1)
            out.append(_Entry(first, True, _lines(chart, bal)))
            delta = {i.code: m.amounts.get(i.code, 0) for i in chart.leaves if i.statement == "PL"}
            delta["retained_earnings"] = -ni
        else:
            new_fy = m.fiscal_year_start != prev_fy
            carried = chart.evaluate(prev, "net_income") if new_fy else 0
            delta = {}
            for i in chart.leaves:
                base = 0 if (i.statement == "PL" and new_fy) else prev.get(i.code, 0)
                delta[i.code] = m.amounts.get(i.code, 0) - base
            delta["retained_earnings"] -= carried
        out.append(_Entry(m.period_end, False, _lines(chart, delta)))
        prev, prev_fy = dict(m.amounts), m.fiscal_year_start
    return out


def _lines(chart: Chart, amounts: Mapping[str, int]) -> list[tuple[str, int, int]]:
    lines = []
    for code, v in amounts.items():
        if not v:
            continue
        net_debit = v if chart[code].side == "debit" else -v
        label = chart[code].ja
        lines.append((label, net_debit, 0) if net_debit > 0 else (label, 0, -net_debit))
    dr = sum(x[1] for x in lines)
    cr = sum(x[2] for x in lines)
    if dr != cr:
        raise ValueError(f"the trial balance does not balance (debits {dr:,}, credits {cr:,})")
    # a month without any change still needs a line to exist in a journal
    return lines or [(chart["cash_and_deposits"].ja, 0, 0)]


def write_moneyforward_csv(
    months: Sequence[MonthlyTrialBalance | Mapping[str, Any]], *, encoding: str = "utf-8"
) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(MF_HEADER)
    for n, e in enumerate(journal_entries(months), 1):
        for label, dr, cr in e.lines:
            row = [""] * len(MF_HEADER)
            row[0], row[1] = str(n), f"{e.day:%Y/%m/%d}"
            if dr:
                row[2], row[8] = label, str(dr)
            else:
                row[10], row[16] = label, str(cr)
            row[18] = "開始残高" if e.opening else "月次残高"
            row[21] = "開始仕訳" if e.opening else "インポート"
            w.writerow(row)
    return buf.getvalue().encode(encoding)


def write_yayoi_csv(
    months: Sequence[MonthlyTrialBalance | Mapping[str, Any]], *, encoding: str = "cp932"
) -> bytes:
    """弥生 vouchers. 弥生 has no 開始仕訳 flag: the opening balances are an ordinary voucher
    dated the first day of the first month (balances then equal the source exactly)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    for e in journal_entries(months):
        for k, (label, dr, cr) in enumerate(e.lines):
            flag = (
                "2111"
                if len(e.lines) == 1
                else ("2110" if k == 0 else "2101" if k == len(e.lines) - 1 else "2100")
            )
            row = [""] * 25
            row[0], row[3] = flag, f"{e.day:%Y/%m/%d}"
            row[4], row[8] = (label, str(dr)) if dr or not cr else ("", "0")
            row[10], row[14] = (label, str(cr)) if cr else ("", "0")
            row[16] = "開始残高" if e.opening else "月次残高"
            row[19], row[24] = "3", "NO"
            w.writerow(row)
    return buf.getvalue().encode(encoding)


WRITERS: dict[str, Callable[..., bytes]] = {
    "table": write_trial_balance_csv,
    "moneyforward": write_moneyforward_csv,
    "yayoi": write_yayoi_csv,
}


def write(fmt: str, months: Sequence[MonthlyTrialBalance | Mapping[str, Any]], **kw: Any) -> bytes:
    """Write ``months`` in format ``fmt`` (one of ``WRITERS``)."""
    if fmt not in WRITERS:
        raise ValueError(f"unknown export format {fmt!r}; choose from {sorted(WRITERS)}")
    return WRITERS[fmt](months, **kw)
