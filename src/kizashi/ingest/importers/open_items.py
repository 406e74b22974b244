"""Receivable and payable schedules (売掛金・買掛金 残高一覧): CSV or .xlsx.

One row per open amount (or per counterparty): 取引先 (得意先/仕入先), 残高 or 金額, and a due
date (期日, 入金予定日, 支払予定日 …). The side is a 区分 column (売掛/買掛), the header's own
words (得意先・売掛金残高 → receivable; 仕入先・買掛金残高 → payable), a title line above the
header, or chosen by the uploader. Total rows (合計, 計) are skipped and, when the file states
a grand total, checked against the rows.
"""

from __future__ import annotations

import contextlib
from datetime import date

from kizashi.domain.bank import MoneyFile, OpenItem, OpenItemSide

from ..dates import DateError, parse_date
from ..errors import error
from ..money import MoneyOptions, MoneyResult
from ..numbers import AmountError, parse_yen
from ..text import normalise
from .base import Sniff
from .money_table import cell, find_columns, header_key, load_table, require

NAMES: dict[str, tuple[str, ...]] = {
    "counterparty": (
        "取引先",
        "取引先名",
        "得意先",
        "得意先名",
        "仕入先",
        "仕入先名",
        "相手先",
        "支払先",
        "請求先",
        "counterparty",
        "customer",
        "supplier",
    ),
    "amount": (
        "残高",
        "金額",
        "売掛金残高",
        "買掛金残高",
        "未収金額",
        "未払金額",
        "請求残高",
        "未入金額",
        "未払残高",
        "未回収残高",
        "当月残高",
        "期末残高",
        "amount",
        "balance",
    ),
    "due": (
        "期日",
        "支払期日",
        "入金予定日",
        "支払予定日",
        "回収予定日",
        "入金期日",
        "支払日",
        "回収期日",
        "due",
        "duedate",
    ),
    "side": ("区分", "売掛買掛", "種別", "side"),
    "invoice": ("請求書番号", "伝票番号", "invoice"),
    "corporate_number": ("法人番号",),
    "as_of": ("基準日", "残高日"),
}
_RECEIVABLE = ("売掛", "得意先", "未収", "回収", "請求先", "receivable", "customer")
_PAYABLE = ("買掛", "仕入先", "未払", "支払先", "payable", "supplier")
_TOTAL = ("合計", "総合計", "小計", "計", "total")


def _accept(found: dict[str, int]) -> bool:
    return "counterparty" in found and "amount" in found and ("due" in found or "side" in found)


def side_of(text: str) -> OpenItemSide | None:
    key = normalise(text).lower()
    rec = any(w in key for w in _RECEIVABLE)
    pay = any(w in key for w in _PAYABLE)
    if rec and not pay:
        return OpenItemSide.RECEIVABLE
    if pay and not rec:
        return OpenItemSide.PAYABLE
    return None


class OpenItemSchedule:
    name = "open_items"
    label_ja = "売掛金・買掛金 残高一覧 (CSV・Excel)"
    label_en = "Receivable / payable schedule (CSV, Excel)"
    kind = "open_items"

    def sniff(self, data: bytes, filename: str) -> Sniff | None:
        if data[:1] == b"<":
            return None
        try:
            table = load_table(
                data[:65536] if not filename.lower().endswith(".xlsx") else data, filename
            )
            found = find_columns(table.rows()[:30], NAMES, _accept)
        except Exception:
            return None
        if found is None:
            return None
        return Sniff(0.8, "receivable/payable schedule header (取引先 + 残高 + 期日)")

    def parse(self, data: bytes, filename: str, options: MoneyOptions) -> MoneyResult:
        table = load_table(data, filename)
        rows = table.rows()
        head, cols = require(
            find_columns(rows, NAMES, _accept, options.preset), filename, "取引先・残高・期日"
        )
        header = rows[head]
        result = MoneyResult(self.name, "open_items", MoneyFile(), filename)
        issues = result.issues
        file_side = (
            (OpenItemSide(options.side) if options.side else None)
            or side_of(" ".join(header))
            or next((s for r in rows[:head] if (s := side_of(" ".join(r)))), None)
        )
        as_of = options.as_of
        items: list[OpenItem] = []
        stated_total: tuple[int, int] | None = None
        for i, row in enumerate(rows[head + 1 :], start=head + 2):
            if not any(c.strip() for c in row):
                continue

            def bad(field: str, code: str, msg: str, value: str, i: int = i) -> None:
                col = cols.get(field)
                name = header[col] if col is not None and col < len(header) else field
                issues.append(
                    error(
                        code,
                        f"{filename}: line {i}, column {None if col is None else col + 1} ({name}): "
                        f"{msg}: {value!r}",
                        file=filename,
                        line=i,
                        column=None if col is None else col + 1,
                        field=name,
                        value=value,
                    )
                )

            party = cell(row, cols["counterparty"])
            raw_amount = cell(row, cols["amount"])
            if header_key(party) in _TOTAL or normalise(party).endswith("合計"):
                with contextlib.suppress(AmountError):
                    stated_total = (i, parse_yen(raw_amount))
                continue
            if not party:
                bad("counterparty", "open_items.no_counterparty", "no counterparty", "")
                continue
            try:
                amount = parse_yen(raw_amount, blank_as_zero=False)
            except AmountError:
                bad("amount", "open_items.bad_amount", "not a yen amount", raw_amount)
                continue
            due: date | None = None
            raw_due = cell(row, cols.get("due"))
            if raw_due:
                try:
                    due = parse_date(raw_due)
                except DateError:
                    bad("due", "open_items.bad_date", "not a date", raw_due)
                    continue
            side = side_of(cell(row, cols.get("side"))) if "side" in cols else None
            side = side or file_side
            if side is None:
                bad(
                    "side",
                    "open_items.no_side",
                    "receivable or payable? (区分 column, header words, or choose the side)",
                    cell(row, cols.get("side")),
                )
                continue
            row_as_of = as_of
            raw_as_of = cell(row, cols.get("as_of"))
            if raw_as_of:
                try:
                    row_as_of = parse_date(raw_as_of)
                except DateError:
                    bad("as_of", "open_items.bad_date", "not a date", raw_as_of)
                    continue
            items.append(
                OpenItem(
                    side=side,
                    counterparty=party,
                    amount_yen=amount,
                    due_date=due,
                    as_of=row_as_of,
                    invoice_id=cell(row, cols.get("invoice")),
                    corporate_number=cell(row, cols.get("corporate_number")),
                    line=i,
                )
            )
        if stated_total is not None and not issues:
            got = sum(x.amount_yen for x in items)
            if got != stated_total[1]:
                col = cols["amount"]
                issues.append(
                    error(
                        "open_items.total_mismatch",
                        f"{filename}: line {stated_total[0]}, column {col + 1} ({header[col]}): the"
                        f" total {stated_total[1]:,} but the rows sum to {got:,}",
                        file=filename,
                        line=stated_total[0],
                        column=col + 1,
                        field=header[col],
                        value=str(stated_total[1]),
                    )
                )
        if not items and not issues:
            issues.append(
                error(
                    "open_items.no_rows",
                    f"{filename}: no rows under the header",
                    file=filename,
                    line=head + 1,
                )
            )
        result.file.open_items.extend(items)
        return result
