"""勘定奉行 (OBC) 仕訳伝票 受入形式, as far as our notes allow (formats.md §1.5).

Known [DOC]: the header row holds OBC item codes (``伝票区切OBCD001``, ``用途区分CSJS002`` …);
``OBCD001`` is ``*`` on the first line of each voucher and blank on continuation lines.
Not known: the item codes of the date, account, and amount columns. We therefore find those
columns by the label part of the header (``伝票日付``, ``借方勘定科目``, ``借方金額`` …) and stop
with a clear error when the labels differ [UNVERIFIED labels]; a saved column mapping
(``ColumnMapping.fields``) can name the columns instead.
"""

from __future__ import annotations

import re

from ..errors import error
from ..model import ParseResult
from ..text import DecodedFile, normalise
from .base import ParseOptions, Sniff
from .pairs import PairColumns, cell, check_entries, check_width, read_date, read_pair

_CODE = re.compile(r"(OBCD|CSJS)\d{3}\Z")
LABELS: dict[str, tuple[str, ...]] = {
    "date": ("伝票日付", "取引日付", "日付"),
    "debit_code": ("借方勘定科目コード", "借方勘定科目", "借方科目コード", "借方科目"),
    "debit_account": ("借方勘定科目名", "借方科目名"),
    "debit_amount": ("借方金額", "借方本体金額"),
    "credit_code": ("貸方勘定科目コード", "貸方勘定科目", "貸方科目コード", "貸方科目"),
    "credit_account": ("貸方勘定科目名", "貸方科目名"),
    "credit_amount": ("貸方金額", "貸方本体金額"),
}
REQUIRED = ("date", "debit_code", "debit_amount", "credit_code", "credit_amount")


def _split(header_cell: str) -> tuple[str, str]:
    """``伝票区切OBCD001`` → (``伝票区切``, ``OBCD001``)."""
    h = normalise(header_cell)
    m = _CODE.search(h)
    return (h[: m.start()], m.group(0)) if m else (h, "")


class BugyoJournal:
    name = "bugyo"
    label_ja = "勘定奉行 仕訳伝票 受入形式 (OBC)"
    label_en = "Kanjo Bugyo (OBC) journal voucher import format"

    def sniff(self, file: DecodedFile) -> Sniff | None:
        rows = file.rows()
        if not rows:
            return None
        codes = [_split(h)[1] for h in rows[0]]
        if "OBCD001" in codes:
            return Sniff(0.95, "header has the OBC item code OBCD001 (伝票区切)")
        if sum(1 for c in codes if c) >= 3:
            return Sniff(0.7, "header has OBC item codes (CSJSxxx)")
        return None

    def parse(self, file: DecodedFile, options: ParseOptions) -> ParseResult:
        result = ParseResult(kind="journal")
        rows = file.rows()
        header = rows[0] if rows else []
        parts = [_split(h) for h in header]
        codes = [c for _, c in parts]
        labels = [label for label, _ in parts]
        idx: dict[str, int] = {}
        for logical, cands in LABELS.items():
            for cand in cands:
                if cand in labels and labels.index(cand) not in idx.values():
                    idx[logical] = labels.index(cand)
                    break
        missing = [f for f in REQUIRED if f not in idx]
        if "OBCD001" not in codes or missing:
            result.issues.append(
                error(
                    "bugyo.columns",
                    file=file.filename,
                    line=1,
                    params={
                        "columns": ", ".join(
                            ["OBCD001 (伝票区切)"] * ("OBCD001" not in codes) + missing
                        )
                    },
                )
            )
            return result
        delim = codes.index("OBCD001")
        cols = PairColumns(
            date=idx["date"],
            debit_account=idx.get("debit_account", -1),
            debit_amount=idx["debit_amount"],
            credit_account=idx.get("credit_account", -1),
            credit_amount=idx["credit_amount"],
            debit_code=idx["debit_code"],
            credit_code=idx["credit_code"],
        )
        voucher, day = "", None
        for n, row in enumerate(rows[1:], 2):
            if not any(c.strip() for c in row):
                continue
            if not check_width(row, len(header), n, file.filename, result.issues, exact=True):
                continue
            if cell(row, delim) == "*":
                voucher = f"V{n}"
                day = read_date(row, cols.date, n, file.filename, "伝票日付", result.issues)
            elif not voucher:
                result.issues.append(
                    error(
                        "bugyo.voucher",
                        file=file.filename,
                        line=n,
                        column=delim + 1,
                        field="伝票区切",
                        value=cell(row, delim),
                    )
                )
                voucher = f"V{n}"
                day = read_date(row, cols.date, n, file.filename, "伝票日付", result.issues)
            if day is None:
                continue
            result.lines.extend(read_pair(row, cols, n, file.filename, voucher, day, result.issues))
        check_entries(result.lines, file.filename, result.issues)
        return result
