"""EPSON 財務応援R4 / 財務会計R4 仕訳 CSV (formats.md §1.4, real file held).

One header row, 43 columns; one row per debit/credit pair; 伝票番号 groups a voucher and
枝番 numbers its lines. Dates ``YYYYMMDD``. Account codes and names side by side. The
account ``諸口`` is the vendor's clearing account for compound vouchers (nets to zero).
"""

from __future__ import annotations

from ..model import ParseResult
from ..text import DecodedFile, normalise
from .base import ParseOptions, Sniff, header_index
from .pairs import cell, check_entries, check_width, header_columns, read_date, read_pair

FIELDS: dict[str, tuple[str, ...]] = {
    "date": ("伝票日付",),
    "voucher": ("伝票番号",),
    "debit_code": ("借方科目",),
    "debit_account": ("借方科目名",),
    "debit_amount": ("借方金額",),
    "credit_code": ("貸方科目",),
    "credit_account": ("貸方科目名",),
    "credit_amount": ("貸方金額",),
}
COMPANY: dict[str, tuple[str, ...]] = {"company": ("入力会社",)}
MARKERS = ("月種別", "伝票日付", "借方科目名", "借方消費税コード", "貸方資金区分", "入力アプリ")


class EpsonR4Journal:
    name = "epson_r4"
    label_ja = "EPSON 財務応援R4 / 財務会計R4 仕訳 CSV"
    label_en = "EPSON Zaimu Ouen R4 / Zaimu Kaikei R4 journal CSV"

    def sniff(self, file: DecodedFile) -> Sniff | None:
        rows = file.rows()
        if not rows:
            return None
        header = {normalise(h) for h in rows[0]}
        hits = [m for m in MARKERS if m in header]
        if len(hits) >= 4:
            return Sniff(0.97, f"header has EPSON R4 columns {', '.join(hits)}")
        return None

    def parse(self, file: DecodedFile, options: ParseOptions) -> ParseResult:
        result = ParseResult(kind="journal")
        rows = file.rows()
        header = rows[0] if rows else []
        idx = header_index(header, FIELDS)
        cols = header_columns(header, idx, list(FIELDS), file.filename, result.issues)
        if cols is None:
            return result
        for n, row in enumerate(rows[1:], 2):
            if not any(c.strip() for c in row):
                continue
            if not check_width(row, len(header), n, file.filename, result.issues, exact=True):
                continue
            day = read_date(row, cols.date, n, file.filename, "伝票日付", result.issues)
            if day is None:
                continue
            entry = f"{day.isoformat()}#{cell(row, idx['voucher'])}"
            result.lines.extend(read_pair(row, cols, n, file.filename, entry, day, result.issues))
        check_entries(result.lines, file.filename, result.issues)
        at = header_index(header, COMPANY).get("company")
        if at is not None:  # the company the journal was entered for (checked on storing)
            result.company = next(
                (r[at].strip() for r in rows[1:] if len(r) > at and r[at].strip()), ""
            )
        return result
