"""freee会計: 仕訳帳 CSV export and 取引 (deals) CSV (formats.md §1.2).

仕訳帳: columns depend on the export settings, so every column is found by header name; rows
sharing 仕訳番号 (or No) form one entry; 借方/貸方決算書表示名 is kept as a category hint.
取引: one row per deal (収入/支出). A deal is booked at 発生日 against 売掛金 (収入) or 未払金
(支出) and settled at 決済日 from 決済口座; when 決済日 equals 発生日 and the full amount is
settled, it is booked straight against 決済口座. Amounts are tax-inclusive (税込).
The counter-accounts for unsettled deals are freee's defaults as far as we know [UNVERIFIED].
"""

from __future__ import annotations

from datetime import date

from ..errors import Issue, error
from ..model import Account, JournalLine, ParseResult
from ..text import DecodedFile, normalise
from .base import ParseOptions, Sniff, header_index
from .pairs import (
    PairColumns,
    cell,
    check_entries,
    check_width,
    header_columns,
    read_amount,
    read_date,
    read_pair,
)

JOURNAL_FIELDS: dict[str, tuple[str, ...]] = {
    "entry": ("仕訳番号", "No", "取引ID"),
    "date": ("取引日",),
    "debit_account": ("借方勘定科目",),
    "debit_amount": ("借方金額",),
    "debit_category": ("借方決算書表示名",),
    "credit_account": ("貸方勘定科目",),
    "credit_amount": ("貸方金額",),
    "credit_category": ("貸方決算書表示名",),
}
JOURNAL_REQUIRED = ("date", "debit_account", "debit_amount", "credit_account", "credit_amount")

DEAL_FIELDS: dict[str, tuple[str, ...]] = {
    "kind": ("収支区分",),
    "date": ("発生日",),
    "account": ("勘定科目",),
    "amount": ("金額",),
    "settle_date": ("決済日",),
    "settle_account": ("決済口座",),
    "settle_amount": ("決済金額",),
    "ref": ("管理番号",),
}
DEAL_REQUIRED = ("kind", "date", "account", "amount")
UNSETTLED = {"収入": "売掛金", "支出": "未払金"}


class FreeeJournal:
    name = "freee_journal"
    label_ja = "freee会計 仕訳帳 CSV"
    label_en = "freee journal (仕訳帳) CSV export"

    def sniff(self, file: DecodedFile) -> Sniff | None:
        rows = file.rows()
        if not rows:
            return None
        header = {normalise(h) for h in rows[0]}
        if {"取引日", "借方勘定科目", "借方金額", "貸方金額"} <= header and "取引No" not in header:
            extra = [h for h in ("借方決算書表示名", "仕訳番号", "借方税区分") if h in header]
            return Sniff(
                0.95 if extra else 0.75,
                "header has 取引日, 借方勘定科目, 借方金額 (without 取引No)"
                + (f" and freee columns {', '.join(extra)}" if extra else ""),
            )
        return None

    def parse(self, file: DecodedFile, options: ParseOptions) -> ParseResult:
        result = ParseResult(kind="journal")
        rows = file.rows()
        idx = header_index(rows[0] if rows else [], JOURNAL_FIELDS)
        cols = header_columns(
            rows[0] if rows else [], idx, JOURNAL_REQUIRED, file.filename, result.issues
        )
        if cols is None:
            return result
        width = len(rows[0])
        last_entry = ""
        for n, row in enumerate(rows[1:], 2):
            if not any(c.strip() for c in row):
                continue
            if not check_width(row, width, n, file.filename, result.issues, exact=True):
                continue
            day = read_date(row, cols.date, n, file.filename, "取引日", result.issues)
            if day is None:
                continue
            key = cell(row, idx.get("entry", -1)) or last_entry or f"L{n}"
            last_entry = key
            result.lines.extend(
                read_pair(
                    row, cols, n, file.filename, f"{day.isoformat()}#{key}", day, result.issues
                )
            )
        check_entries(result.lines, file.filename, result.issues)
        return result


class FreeeDeals:
    name = "freee_deals"
    label_ja = "freee会計 取引 CSV (収入・支出)"
    label_en = "freee deals (取引) CSV"

    def sniff(self, file: DecodedFile) -> Sniff | None:
        rows = file.rows()
        if not rows:
            return None
        header = {normalise(h) for h in rows[0]}
        if {"収支区分", "発生日", "勘定科目", "金額"} <= header:
            return Sniff(0.95, "header has 収支区分, 発生日, 勘定科目, 金額")
        return None

    def parse(self, file: DecodedFile, options: ParseOptions) -> ParseResult:
        result = ParseResult(kind="journal")
        rows = file.rows()
        idx = header_index(rows[0] if rows else [], DEAL_FIELDS)
        missing = [f for f in DEAL_REQUIRED if f not in idx]
        if missing:
            result.issues.append(
                error(
                    "header.missing",
                    file=file.filename,
                    line=1,
                    params={"columns": missing},
                )
            )
            return result
        width = len(rows[0])
        issues, fn = result.issues, file.filename
        kind, day = "", None
        for n, row in enumerate(rows[1:], 2):
            if not any(c.strip() for c in row):
                continue
            if not check_width(row, width, n, fn, issues, exact=True):
                continue
            row_kind = cell(row, idx["kind"])
            if row_kind:  # a new deal; rows without 収支区分 are further lines of the same deal
                if row_kind not in UNSETTLED:
                    issues.append(
                        error(
                            "freee.kind",
                            file=fn,
                            line=n,
                            column=idx["kind"] + 1,
                            field="収支区分",
                            value=row_kind,
                        )
                    )
                    kind, day = "", None
                    continue
                kind = row_kind
                day = read_date(row, idx["date"], n, fn, "発生日", issues)
            if not kind or day is None:
                continue
            amount = read_amount(row, idx["amount"], n, fn, "金額", issues)
            if amount is None:
                continue
            result.lines.extend(self._deal_lines(row, idx, n, fn, kind, day, amount, issues))
        check_entries(result.lines, fn, issues)
        return result

    def _deal_lines(
        self,
        row: list[str],
        idx: dict[str, int],
        n: int,
        fn: str,
        kind: str,
        day: date,
        amount: int,
        issues: list[Issue],
    ) -> list[JournalLine]:
        income = kind == "収入"
        account = Account(cell(row, idx["account"]))
        counter = Account(UNSETTLED[kind])
        settle_acc = cell(row, idx.get("settle_account", -1))
        settle_day = None
        settle_amt = 0
        if settle_acc:
            settle_day = (
                read_date(row, idx["settle_date"], n, fn, "決済日", issues)
                if "settle_date" in idx
                else day
            )
            settle_amt = (
                read_amount(row, idx.get("settle_amount", idx["amount"]), n, fn, "決済金額", issues)
                or 0
            )
        entry = f"D{n}"
        if settle_day == day and settle_amt == amount:
            counter = Account(settle_acc)
            settle_acc = ""
        lines = _two(day, account, counter, amount, income, entry, n)
        if settle_acc and settle_day is not None and settle_amt:
            lines += _two(
                settle_day,
                Account(UNSETTLED[kind]),
                Account(settle_acc),
                settle_amt,
                income,
                entry + "s",
                n,
            )
        return lines


def _two(
    day: date, account: Account, counter: Account, amount: int, income: bool, entry: str, n: int
) -> list[JournalLine]:
    """收入: debit counter / credit account; 支出: debit account / credit counter."""
    dr, cr = (counter, account) if income else (account, counter)
    return [JournalLine(day, dr, amount, 0, entry, n), JournalLine(day, cr, 0, amount, entry, n)]


__all__ = ["FreeeDeals", "FreeeJournal", "PairColumns", "check_entries", "read_pair"]
