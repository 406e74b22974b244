"""マネーフォワード クラウド会計 仕訳帳 CSV (formats.md §1.3).

27 columns (取引No … 最終更新者), older exports 25 or fewer: mapped by header name. Rows with
the same 取引No and 取引日 form one compound entry. ``MF仕訳タイプ = 開始仕訳`` rows are
opening balances.
"""

from __future__ import annotations

from ..model import ParseResult
from ..text import DecodedFile, normalise
from .base import ParseOptions, Sniff, header_index
from .pairs import cell, check_entries, check_width, header_columns, read_date, read_pair

FIELDS: dict[str, tuple[str, ...]] = {
    "entry": ("取引No", "取引No.", "取引番号"),
    "date": ("取引日",),
    "debit_account": ("借方勘定科目",),
    "debit_amount": ("借方金額(円)", "借方金額"),
    "credit_account": ("貸方勘定科目",),
    "credit_amount": ("貸方金額(円)", "貸方金額"),
    "type": ("MF仕訳タイプ",),
}
REQUIRED = ("entry", "date", "debit_account", "debit_amount", "credit_account", "credit_amount")


class MoneyForwardJournal:
    name = "moneyforward"
    label_ja = "マネーフォワード クラウド会計 仕訳帳 CSV"
    label_en = "Money Forward Cloud Accounting journal CSV"

    def sniff(self, file: DecodedFile) -> Sniff | None:
        rows = file.rows()
        if not rows:
            return None
        header = [normalise(h) for h in rows[0]]
        if "取引No" in header and "取引日" in header and "借方勘定科目" in header:
            yen = "借方金額(円)" in header
            mf = "MF仕訳タイプ" in header
            conf = 0.97 if (yen or mf) else 0.8
            return Sniff(
                conf,
                f"header has 取引No, 取引日, 借方勘定科目"
                f"{', 借方金額(円)' if yen else ''}{', MF仕訳タイプ' if mf else ''}"
                f" ({len(header)} columns)",
            )
        return None

    def parse(self, file: DecodedFile, options: ParseOptions) -> ParseResult:
        result = ParseResult(kind="journal")
        rows = file.rows()
        idx = header_index(rows[0] if rows else [], FIELDS)
        cols = header_columns(rows[0] if rows else [], idx, REQUIRED, file.filename, result.issues)
        if cols is None:
            return result
        width = len(rows[0])
        for n, row in enumerate(rows[1:], 2):
            if not any(c.strip() for c in row):
                continue
            if not check_width(row, width, n, file.filename, result.issues, exact=True):
                continue
            day = read_date(row, cols.date, n, file.filename, "取引日", result.issues)
            if day is None:
                continue
            opening = cell(row, idx.get("type", -1)) == "開始仕訳"
            entry = f"{day.isoformat()}#{cell(row, idx['entry'])}"
            result.lines.extend(
                read_pair(
                    row,
                    cols,
                    n,
                    file.filename,
                    entry,
                    day,
                    result.issues,
                    names=("借方金額(円)", "貸方金額(円)"),
                    opening=opening,
                )
            )
        check_entries(result.lines, file.filename, result.issues)
        return result
