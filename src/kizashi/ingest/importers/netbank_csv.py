"""Internet-banking statement exports (入出金明細 CSV or .xlsx): formats.md §2.3.

Layouts differ by bank: 日付/摘要/お支払金額/お預り金額/差引残高 (many regional banks),
日付/内容/出金金額(円)/入金金額(円)/残高(円)/メモ (住信SBI), the ANSER layout (照会口座,
勘定日, 出金金額(円), 入金金額(円), 残高(円), 摘要 …), or one signed 金額 column. The header is
found by its names (or named by a saved preset); dates may be 西暦 or 和暦; CP932 or UTF-8.
With a balance column the running balance is verified row by row (newest-first files are
recognised). The account comes from a preamble line (口座番号 …, ゆうちょ 記号-番号) or the
preset's ``account``.

The header names of the big banks' exports are known (formats.md §2.3): 三菱UFJ (支払い金額 /
預かり金額, 摘要内容 read as the counterparty), 三井住友 (お引出し / お預入れ / お取り扱い内容),
楽天 (one signed 入出金(円) column, 入出金内容), ゆうちょ (受入金額 / 払出金額, 詳細１ / 詳細２,
現在（貸付）高, 記号-番号 in the preamble), PayPay (the date split over 操作日(年) (月) (日)) and
JA (取扱日付 without a year: the latest such date not after the upload day, with a warning).
A memo of ``-`` (住信SBI's "no memo") is dropped.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from kizashi.domain.bank import AccountType, BankAccountRef, BankTransaction, MoneyFile, classify

from ..dates import DateError, parse_date
from ..errors import Issue, error, warning
from ..money import MoneyOptions, MoneyResult
from ..numbers import AmountError, parse_yen
from .base import Sniff
from .money_table import cell, find_columns, header_key, load_table, require

NAMES: dict[str, tuple[str, ...]] = {
    "date": (
        "日付",
        "取引日",
        "勘定日",
        "年月日",
        "お取引日",
        "取扱日",
        "お取扱日",
        "操作日",
        "取扱日付",
        "date",
    ),
    "description": (
        "摘要",
        "内容",
        "取引内容",
        "お取引内容",
        "明細",
        "取引名",
        "お取り扱い内容",
        "お取扱内容",
        "入出金内容",
        "入出金先内容",
        "詳細1",
        "description",
    ),
    "out": (
        "お支払金額",
        "出金金額",
        "出金",
        "お引出し金額",
        "お引出金額",
        "引出金額",
        "支払金額",
        "お支払い金額",
        "出金額",
        "支払い金額",
        "お引出し",
        "払出金額",
        "withdrawal",
    ),
    "in": (
        "お預り金額",
        "入金金額",
        "入金",
        "お預入れ金額",
        "お預入金額",
        "預入金額",
        "預り金額",
        "お預かり金額",
        "入金額",
        "預かり金額",
        "お預入れ",
        "受入金額",
        "deposit",
    ),
    "amount": ("金額", "取引金額", "入出金額", "入出金", "amount"),
    "balance": ("差引残高", "残高", "現在残高", "取引後残高", "現在(貸付)高", "現在高", "balance"),
    "counterparty": (
        "振込依頼人",
        "振込依頼人名",
        "相手先",
        "取引先",
        "依頼人名",
        "お取引先",
        "摘要内容",
        "詳細2",
    ),
    "memo": ("メモ", "備考", "memo"),
    "account_col": ("照会口座",),
}
# PayPay銀行 writes the date in three columns (recognised by name; a layout names ``date``)
_SPLIT_DATE = ("year", "month", "day")
HEADER_NAMES: dict[str, tuple[str, ...]] = {
    **NAMES,
    "year": ("操作日(年)",),
    "month": ("操作日(月)",),
    "day": ("操作日(日)",),
}


def _accept(found: dict[str, int]) -> bool:
    if "date" not in found and not all(k in found for k in _SPLIT_DATE):
        return False
    if "out" in found and "in" in found:
        return True
    return "amount" in found and ("balance" in found or "description" in found)


_ACCOUNT_LINE = re.compile(r"(口座番号|口座)[^\d]*(\d{6,8})")
# ゆうちょ 記号 (5 digits, 1…0) - 番号 (up to 8 digits), as in "お客さま口座番号：10190-12345671"
_YUCHO_LINE = re.compile(r"(?<!\d)(1\d{3}0)\s*[-‐－ー]\s*(\d{1,8})(?!\d)")
_NO_MEMO = ("-", "－", "ー")


class NetbankCsv:
    name = "netbank_csv"
    label_ja = "インターネットバンキング 入出金明細 (CSV・Excel)"
    label_en = "Internet-banking statement (CSV, Excel)"
    kind = "bank"

    def sniff(self, data: bytes, filename: str) -> Sniff | None:
        if data[:1] in (b"<",) or data[:3] == b"\x1f\x8b\x08":
            return None
        try:
            table = load_table(
                data[:65536] if not filename.lower().endswith(".xlsx") else data, filename
            )
            found = find_columns(table.rows()[:30], HEADER_NAMES, _accept)
        except Exception:
            return None
        if found is None:
            return None
        f = found[1]
        conf = 0.85 if ("balance" in f and ("in" in f or "amount" in f)) else 0.7
        return Sniff(conf, "bank statement header (日付 + 入出金 columns)")

    def parse(self, data: bytes, filename: str, options: MoneyOptions) -> MoneyResult:
        table = load_table(data, filename)
        rows = table.rows()
        preset = {k: v for k, v in (options.preset or {}).items() if k != "account"}
        head, cols = require(
            find_columns(rows, HEADER_NAMES, _accept, preset or None), filename, "日付・出金・入金"
        )
        result = MoneyResult(self.name, "bank", MoneyFile(), filename)
        issues = result.issues
        account = _account(rows[:head], (options.preset or {}).get("account", ""))
        header = rows[head]
        today = options.today or date.today()
        year_guessed: int | None = None
        parsed: list[tuple[int, date, int, int | None, str, str]] = []
        for i, row in enumerate(rows[head + 1 :], start=head + 2):
            if not any(c.strip() for c in row):
                continue
            if "date" in cols:
                raw_date = cell(row, cols["date"])
            else:
                parts = [cell(row, cols[k]) for k in _SPLIT_DATE]
                raw_date = "/".join(parts) if all(parts) else ""
            if not raw_date:
                continue  # a total or note line without a date

            def bad(field: str, code: str, msg: str, value: str, i: int = i) -> None:
                col = cols.get(field)
                issues.append(
                    error(
                        code,
                        f"{filename}: line {i}, column {None if col is None else col + 1}"
                        f" ({header[col] if col is not None and col < len(header) else field}): "
                        f"{msg}: {value!r}",
                        file=filename,
                        line=i,
                        column=None if col is None else col + 1,
                        field=header[col] if col is not None and col < len(header) else field,
                        value=value,
                    )
                )

            try:
                day = _month_day(raw_date, today)
                if day is None:
                    day = parse_date(raw_date)
                elif year_guessed is None:
                    year_guessed = i
            except DateError:
                bad("date" if "date" in cols else "year", "bank.bad_date", "not a date", raw_date)
                continue
            try:
                if "amount" in cols and not ("in" in cols and "out" in cols):
                    amount = parse_yen(cell(row, cols["amount"]))
                else:
                    amount = parse_yen(cell(row, cols.get("in"))) - parse_yen(
                        cell(row, cols.get("out"))
                    )
            except AmountError:
                field = "amount" if "amount" in cols else "in"
                bad(
                    field,
                    "bank.bad_amount",
                    "not a yen amount",
                    cell(row, cols.get("in")) + "/" + cell(row, cols.get("out")),
                )
                continue
            balance = None
            if "balance" in cols and cell(row, cols["balance"]):
                try:
                    balance = parse_yen(cell(row, cols["balance"]))
                except AmountError:
                    bad(
                        "balance", "bank.bad_amount", "not a yen amount", cell(row, cols["balance"])
                    )
                    continue
            counterparty = cell(row, cols.get("counterparty"))
            desc = cell(row, cols["description"]) if "description" in cols else counterparty
            memo = cell(row, cols.get("memo"))
            if memo in _NO_MEMO:
                memo = ""
            parsed.append(
                (i, day, amount, balance, desc + (f" {memo}" if memo else ""), counterparty)
            )
        if not parsed and not issues:
            issues.append(
                error(
                    "bank.no_rows",
                    f"{filename}: no transactions under the header",
                    file=filename,
                    line=head + 1,
                )
            )
        if year_guessed is not None:
            col = cols.get("date")
            issues.append(
                warning(
                    "bank.year_inferred",
                    file=filename,
                    line=year_guessed,
                    column=None if col is None else col + 1,
                    field=header[col] if col is not None and col < len(header) else "日付",
                    params={"today": today.isoformat()},
                )
            )
        ordered = _order(parsed)
        if ordered is None:
            ordered = parsed
            _report_balance(parsed, cols, header, filename, issues)
        for line, day, amount, balance, desc, cp in ordered:
            result.file.transactions.append(
                BankTransaction(
                    account=account,
                    booked_on=day,
                    amount_yen=amount,
                    description=desc,
                    counterparty=cp,
                    balance_yen=balance,
                    kind=classify(desc, cp, amount),
                    line=line,
                )
            )
        result.file.accounts[account.key] = account
        if ordered:
            first, last = ordered[0], ordered[-1]
            opening = None if first[3] is None else first[3] - first[2]
            result.file.balances[account.key] = (opening, last[3])
        return result


Row = tuple[int, date, int, int | None, str, str]

_MONTH_DAY = re.compile(r"(\d{1,2})\s*[月/]\s*(\d{1,2})\s*日?\Z")


def _month_day(text: str, today: date) -> date | None:
    """``4月30日`` / ``4/30`` (JA's export has no year) → the latest such day on or before
    ``today``; None when the text is not a month and day (then it is read as a full date)."""
    m = _MONTH_DAY.match(unicodedata.normalize("NFKC", text).strip())
    if m is None:
        return None
    month, dom = int(m.group(1)), int(m.group(2))
    for year in (today.year, today.year - 1, today.year - 2, today.year - 3, today.year - 4):
        try:
            d = date(year, month, dom)
        except ValueError:
            continue  # 2月29日 outside a leap year
        if d <= today:
            return d
    raise DateError(f"no such date: {text!r}", "no_such_date", text=text)


def _account(preamble: list[list[str]], number: str) -> BankAccountRef:
    """The account a preamble names: ゆうちょ 記号-番号 (as the 全銀 branch 店番 and 7-digit
    number its transfers use: 記号 1ab?0 → 店番 ab8, 番号 without its check digit), else an
    口座番号 of 6–8 digits; ``number`` (a preset's) wins."""
    if not number:
        for row in preamble:
            line = ",".join(row)
            yucho = _YUCHO_LINE.search(unicodedata.normalize("NFKC", line))
            if yucho and "口座" in line:
                mark, num = yucho.group(1), yucho.group(2).zfill(8)
                return BankAccountRef(
                    bank_code="9900",
                    branch_code=mark[1:3] + "8",
                    account_type=AccountType.ORDINARY,
                    number=num[:7],
                    bank_name="ゆうちょ銀行",
                )
            m = _ACCOUNT_LINE.search(line)
            if m:
                number = m.group(2)
                break
    return BankAccountRef(account_type=AccountType.OTHER, number=number.zfill(7) if number else "")


def _chain_ok(rows: list[Row]) -> bool:
    prev = None
    for _, _, amount, balance, _, _ in rows:
        if balance is None:
            return True  # no balance column to check
        if prev is not None and prev + amount != balance:
            return False
        prev = balance
    return True


def _order(rows: list[Row]) -> list[Row] | None:
    """The rows oldest first when their balances chain (as given, or reversed); else None."""
    if _chain_ok(rows):
        return rows
    rev = list(reversed(rows))
    if _chain_ok(rev):
        return rev
    return None


def _report_balance(
    rows: list[Row], cols: dict[str, int], header: list[str], filename: str, issues: list[Issue]
) -> None:
    prev = None
    col = cols.get("balance")
    name = header[col] if col is not None and col < len(header) else "残高"
    for line, _, amount, balance, _, _ in rows:
        if balance is None:
            continue
        if prev is not None and prev + amount != balance:
            issues.append(
                error(
                    "bank.balance_mismatch",
                    f"{filename}: line {line}, column {None if col is None else col + 1} ({name}): "
                    f"{balance:,} but the previous balance {prev:,} + {amount:,} = {prev + amount:,}",
                    file=filename,
                    line=line,
                    column=None if col is None else col + 1,
                    field=name,
                    value=str(balance),
                )
            )
        prev = balance


# --------------------------------------------------------------------------- layout detection


@dataclass(frozen=True)
class LayoutGuess:
    """What a bank file's header looks like, for a person naming its columns.

    ``header_line``: the 1-based line taken as the header (the row naming the most known
    fields, else the first row with three or more cells), None for an empty file; ``headers``
    its cells; ``columns``: logical field → header text for the fields recognised; ``complete``:
    whether those are enough to read the file without a preset.
    """

    header_line: int | None
    headers: tuple[str, ...]
    columns: dict[str, str]
    complete: bool


def detect_layout(data: bytes, filename: str) -> LayoutGuess:
    """The header of a bank CSV or .xlsx and the columns recognised in it (``IngestError`` when
    the file cannot be decoded)."""
    rows = load_table(data, filename).rows()[:30]
    found = find_columns(rows, HEADER_NAMES, _accept)
    if found is None:
        lookup = {header_key(n): f for f, cands in HEADER_NAMES.items() for n in cands}
        best: tuple[int, int] | None = None
        for i, row in enumerate(rows):
            score = sum(1 for c in row if header_key(c) in lookup)
            if len([c for c in row if c.strip()]) >= 3 and (best is None or score > best[1]):
                best = (i, score)
        if best is None:
            return LayoutGuess(None, (), {}, False)
        head = best[0]
        cols: dict[str, int] = {}
        for j, c in enumerate(rows[head]):
            logical = lookup.get(header_key(c))
            if logical and logical not in cols:
                cols[logical] = j
        complete = False
    else:
        head, cols = found
        complete = True
    headers = tuple(c.strip() for c in rows[head])
    named = {k: headers[v] for k, v in cols.items() if k in PRESET_FIELDS and v < len(headers)}
    return LayoutGuess(head + 1, headers, named, complete)


# the fields a saved layout may name (with "account": the account number the file lacks)
PRESET_FIELDS = ("date", "description", "out", "in", "amount", "balance", "counterparty", "memo")
