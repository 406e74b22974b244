"""弥生会計 仕訳日記帳 (弥生インポート形式): 25 columns, no header, CP932 (formats.md §1.1).

Column 1 識別フラグ: 2000 = one-row entry; 2111 = one-row voucher; 2110 first, 2100 middle,
2101 last row of a multi-row voucher (its date is the first row's). Column 4 取引日付 in
西暦 or 和暦 (``R.07/12/01``). 借方 5/9, 貸方 11/15; an amount of 0 on a multi-row voucher's
line without an account is legitimate.
"""

from __future__ import annotations

from ..errors import error
from ..model import JournalLine, ParseResult
from ..text import DecodedFile
from .base import ParseOptions, Sniff
from .pairs import PairColumns, cell, check_entries, check_width, read_date, read_pair

FLAGS = {"2000", "2110", "2100", "2101", "2111"}
COLUMNS = PairColumns(
    date=3,
    debit_account=4,
    debit_amount=8,
    credit_account=10,
    credit_amount=14,
    debit_category=-1,
    credit_category=-1,
)
WIDTH = 25


class YayoiJournal:
    name = "yayoi"
    label_ja = "弥生会計 仕訳日記帳 (弥生インポート形式)"
    label_en = "Yayoi Kaikei journal (import format, 25 columns)"

    def sniff(self, file: DecodedFile) -> Sniff | None:
        rows = [r for r in file.rows()[:20] if any(c.strip() for c in r)]
        if not rows:
            return None
        hits = sum(1 for r in rows if len(r) == WIDTH and r[0].strip() in FLAGS)
        if hits == len(rows):
            return Sniff(
                0.95, f"{hits} rows of 25 columns starting with a 識別フラグ (2000/2110/…)"
            )
        if hits and hits >= len(rows) // 2:
            return Sniff(0.7, f"{hits}/{len(rows)} rows look like 弥生 25-column rows")
        return None

    def parse(self, file: DecodedFile, options: ParseOptions) -> ParseResult:
        result = ParseResult(kind="journal")
        issues = result.issues
        voucher: str | None = None
        voucher_day = None
        for n, row in enumerate(file.rows(), 1):
            if not any(c.strip() for c in row):
                continue
            if not check_width(row, WIDTH, n, file.filename, issues, exact=True):
                continue
            flag = cell(row, 0)
            if flag not in FLAGS:
                issues.append(
                    error(
                        "yayoi.flag",
                        file=file.filename,
                        line=n,
                        column=1,
                        field="識別フラグ",
                        value=flag,
                    )
                )
                continue
            if flag in ("2000", "2111", "2110"):
                day = read_date(row, 3, n, file.filename, "取引日付", issues)
                voucher, voucher_day = f"L{n}", day
                if flag == "2110" and day is None:
                    voucher = None
            elif voucher is None:
                issues.append(
                    error(
                        "yayoi.voucher",
                        file=file.filename,
                        line=n,
                        column=1,
                        field="識別フラグ",
                        value=flag,
                    )
                )
                continue
            day = voucher_day
            if day is None or voucher is None:
                continue
            lines: list[JournalLine] = read_pair(
                row, COLUMNS, n, file.filename, voucher, day, issues
            )
            result.lines.extend(lines)
            if flag in ("2000", "2111", "2101"):
                voucher = None
        check_entries(result.lines, file.filename, issues)
        return result
