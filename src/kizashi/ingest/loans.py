"""Loan, repayment-schedule and credit-event files (CSV, Japanese headers) → checked rows.

Pure: bytes in, rows or a :class:`LoanFileError` listing every problem by line and column out.
Nothing here touches the store; ``actions.loans`` resolves businesses, organisations and loans
and stores all rows or none. The formats are in docs/formats.md ("借入・保証・信用事象").

* Encoding: UTF-8 (with or without BOM) or CP932, as every kizashi CSV.
* The first row is the header. Columns are found by their Japanese header (or the English
  code beside it); order does not matter; unknown columns are an error (a typo never passes
  silently as "not given").
* Amounts are integer yen (``1,200,000`` and ``¥1,200,000`` read as 1200000); rates are percent
  with up to two decimals (``1.25`` → 125 basis points); dates 西暦 or 和暦.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from kizashi.domain.vocabulary import CreditEventKind

from .dates import DateError, parse_date
from .numbers import AmountError, parse_decimal, parse_yen
from .text import decode, split_rows

MAX_ROWS = 50_000

# column code → (Japanese header, required)
LOAN_COLUMNS: dict[str, tuple[str, bool]] = {
    "business_id": ("事業者ID", False),
    "corporate_number": ("法人番号", False),
    "loan_number": ("融資番号", True),
    "lender": ("貸付金融機関コード", True),
    "guarantor": ("保証協会コード", False),
    "guarantee_number": ("保証番号", False),
    "guarantee_ratio_pct": ("保証割合", False),
    "original_amount": ("当初金額", True),
    "balance": ("残高", True),
    "balance_as_of": ("残高基準日", True),
    "interest_rate_pct": ("金利", True),
    "start_date": ("実行日", True),
    "grace_end_date": ("据置期間終了日", False),
    "maturity_date": ("最終期限", True),
    "paid_off_on": ("完済日", False),
}
SCHEDULE_COLUMNS: dict[str, tuple[str, bool]] = {
    "business_id": ("事業者ID", False),
    "corporate_number": ("法人番号", False),
    "loan_number": ("融資番号", True),
    "due_date": ("約定返済日", True),
    "principal": ("元金", True),
    "interest": ("利息", False),
    "paid_on": ("返済日", False),
}
EVENT_COLUMNS: dict[str, tuple[str, bool]] = {
    "business_id": ("事業者ID", False),
    "corporate_number": ("法人番号", False),
    "loan_number": ("融資番号", False),
    "kind": ("種別", True),
    "occurred_on": ("発生日", True),
    "days_past_due": ("延滞日数", False),
    "note": ("メモ", False),
}
KIND_WORDS = {
    "延滞": CreditEventKind.DELINQUENCY,
    "条件変更": CreditEventKind.RESTRUCTURING,
    "事故報告": CreditEventKind.ACCIDENT_REPORT,
    "代位弁済": CreditEventKind.SUBROGATION,
    **{k.value: k for k in CreditEventKind},
}
RESPONSIBILITY_SHARING = 80  # 責任共有制度: the guarantee covers 80 %


@dataclass(frozen=True)
class Problem:
    line: int  # 1-based line of the file (the header is line 1)
    column: str  # the column's Japanese header ("" for the whole row / file)
    message: str  # Japanese


class LoanFileError(ValueError):
    """Every problem of a file; nothing of it was stored."""

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
class BusinessRef:
    business_id: int | None
    corporate_number: str | None


@dataclass(frozen=True)
class LoanRow:
    line: int
    business: BusinessRef
    loan_number: str
    lender: str
    guarantor: str | None
    guarantee_number: str | None
    guarantee_ratio_pct: int
    original_amount: int
    balance: int
    balance_as_of: date
    interest_rate_bp: int
    start_date: date
    grace_end_date: date | None
    maturity_date: date
    paid_off_on: date | None


@dataclass(frozen=True)
class InstalmentRow:
    line: int
    business: BusinessRef
    loan_number: str
    due_date: date
    principal: int
    interest: int
    paid_on: date | None


@dataclass(frozen=True)
class CreditEventRow:
    line: int
    business: BusinessRef
    loan_number: str | None
    kind: CreditEventKind
    occurred_on: date
    days_past_due: int | None
    note: str | None


class _Row:
    """One data row's cells by column code, collecting problems instead of raising."""

    def __init__(
        self, line: int, cells: dict[str, str], columns: dict[str, tuple[str, bool]]
    ) -> None:
        self.line = line
        self.cells = cells
        self.columns = columns
        self.problems: list[Problem] = []

    def _bad(self, code: str, message: str) -> None:
        self.problems.append(Problem(self.line, self.columns[code][0], message))

    def text(self, code: str) -> str | None:
        value = unicodedata.normalize("NFKC", self.cells.get(code, "")).strip()
        if not value and self.columns[code][1]:
            self._bad(code, "値がありません")
        return value or None

    def yen(self, code: str) -> int | None:
        raw = self.text(code)
        if raw is None:
            return None
        try:
            value = parse_yen(raw)
        except AmountError:
            self._bad(code, f"金額として読めません ({raw})")
            return None
        if value < 0:
            self._bad(code, f"金額が負です ({raw})")
            return None
        return value

    def day(self, code: str) -> date | None:
        raw = self.text(code)
        if raw is None:
            return None
        try:
            return parse_date(raw)
        except DateError:
            self._bad(code, f"日付として読めません ({raw})")
            return None

    def whole(self, code: str) -> int | None:
        raw = self.text(code)
        if raw is None:
            return None
        if not raw.isdigit():
            self._bad(code, f"整数で書いてください ({raw})")
            return None
        return int(raw)

    def rate_bp(self, code: str) -> int | None:
        raw = self.text(code)
        if raw is None:
            return None
        try:
            pct = parse_decimal(raw.rstrip("%"), blank=None)
        except AmountError:
            self._bad(code, f"年利(%)として読めません ({raw})")
            return None
        bp = pct * 100
        if bp != bp.to_integral_value() or not Decimal(0) <= pct < Decimal(100):
            self._bad(code, f"年利は 0〜100 の % で小数第2位まで ({raw})")
            return None
        return int(bp)

    def business(self) -> BusinessRef:
        bid = self.whole("business_id")
        number = self.text("corporate_number")
        if bid is None and number is None:
            self.problems.append(
                Problem(self.line, "事業者ID", "事業者ID か 法人番号 のどちらかが必要です")
            )
        return BusinessRef(bid, number)


def _read(
    data: bytes, filename: str, columns: dict[str, tuple[str, bool]]
) -> tuple[list[_Row], list[Problem]]:
    text = decode(data, filename).text
    rows = [r for r in split_rows(text, filename=filename) if any(c.strip() for c in r)]
    if not rows:
        return [], [Problem(1, "", "見出し行がありません")]
    if len(rows) > MAX_ROWS + 1:
        return [], [Problem(MAX_ROWS + 2, "", f"行が多すぎます (上限 {MAX_ROWS} 行)")]
    by_header = {ja: code for code, (ja, _) in columns.items()}
    by_header.update({code: code for code in columns})
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
    for code, (ja, required) in columns.items():
        if required and code not in header:
            problems.append(Problem(1, ja, "必要な列がありません"))
    if problems:
        return [], problems
    if len(rows) == 1:
        return [], [Problem(2, "", "データ行がありません")]
    out = []
    for n, raw in enumerate(rows[1:], start=2):
        if len(raw) > len(header):
            problems.append(
                Problem(n, "", f"列が多すぎます ({len(raw)} 列、見出しは {len(header)} 列)")
            )
            continue
        cells = {code: raw[i] for i, code in enumerate(header) if code and i < len(raw)}
        out.append(_Row(n, cells, columns))
    return out, problems


def _problems(rows: list[_Row], problems: list[Problem]) -> list[Problem]:
    return problems + [p for r in rows for p in r.problems]


def strict(rows: list[Any], problems: list[Problem], filename: str) -> list[Any]:
    """The rows, or LoanFileError with every problem (by line)."""
    if problems:
        raise LoanFileError(filename, sorted(problems, key=lambda p: p.line))
    return rows


def parse_loans(data: bytes, filename: str = "loans.csv") -> list[LoanRow]:
    """The loans (and guarantees) of a file; :class:`LoanFileError` with every problem."""
    return strict(*read_loans_file(data, filename), filename)


def parse_schedule(data: bytes, filename: str = "schedule.csv") -> list[InstalmentRow]:
    """Repayment instalments (約定返済) of loans already stored."""
    return strict(*read_schedule_file(data, filename), filename)


def parse_credit_events(data: bytes, filename: str = "credit_events.csv") -> list[CreditEventRow]:
    """Credit events: 延滞 (with days past due), 条件変更, 事故報告, 代位弁済."""
    return strict(*read_credit_events_file(data, filename), filename)


def read_loans_file(data: bytes, filename: str) -> tuple[list[LoanRow], list[Problem]]:
    """The good rows and the problems of the others (so the caller can add its own)."""
    rows, problems = _read(data, filename, LOAN_COLUMNS)
    out: list[LoanRow] = []
    for r in rows:
        business = r.business()
        guarantor = r.text("guarantor")
        ratio = r.whole("guarantee_ratio_pct")
        if ratio is None:
            ratio = 0
        if ratio not in (0, RESPONSIBILITY_SHARING, 100):
            r._bad(
                "guarantee_ratio_pct", f"保証割合は 0・80(責任共有)・100 のいずれかです ({ratio})"
            )
        if ratio and guarantor is None:
            r._bad("guarantor", "保証付きの融資には保証協会コードが必要です")
        original, balance = r.yen("original_amount"), r.yen("balance")
        if original is not None and original <= 0:
            r._bad("original_amount", "当初金額は 1 円以上です")
        if original is not None and balance is not None and balance > original:
            r._bad("balance", "残高が当初金額を超えています")
        start, maturity = r.day("start_date"), r.day("maturity_date")
        grace = r.day("grace_end_date")
        if start and maturity and maturity < start:
            r._bad("maturity_date", "最終期限が実行日より前です")
        if grace and start and maturity and not start <= grace <= maturity:
            r._bad("grace_end_date", "据置期間終了日は実行日から最終期限までの間です")
        paid_off = r.day("paid_off_on")
        if paid_off is not None and balance not in (0, None):
            r._bad("paid_off_on", "完済日のある融資の残高は 0 円です")
        values = (
            r.text("loan_number"),
            r.text("lender"),
            original,
            balance,
            r.day("balance_as_of"),
            r.rate_bp("interest_rate_pct"),
            start,
            maturity,
        )
        if r.problems or any(v is None for v in values):
            continue
        number, lender, original, balance, as_of, rate, start, maturity = values
        out.append(
            LoanRow(
                r.line,
                business,
                str(number),
                str(lender),
                guarantor,
                r.text("guarantee_number"),
                ratio,
                int(original),  # type: ignore[arg-type]
                int(balance),  # type: ignore[arg-type]
                as_of,  # type: ignore[arg-type]
                int(rate),  # type: ignore[arg-type]
                start,  # type: ignore[arg-type]
                grace,
                maturity,  # type: ignore[arg-type]
                paid_off,
            )
        )
    return out, _problems(rows, problems)


def read_schedule_file(data: bytes, filename: str) -> tuple[list[InstalmentRow], list[Problem]]:
    rows, problems = _read(data, filename, SCHEDULE_COLUMNS)
    out: list[InstalmentRow] = []
    for r in rows:
        business = r.business()
        number, due, principal = r.text("loan_number"), r.day("due_date"), r.yen("principal")
        interest = r.yen("interest")
        paid = r.day("paid_on")
        if r.problems or number is None or due is None or principal is None:
            continue
        out.append(InstalmentRow(r.line, business, number, due, principal, interest or 0, paid))
    return out, _problems(rows, problems)


def read_credit_events_file(
    data: bytes, filename: str
) -> tuple[list[CreditEventRow], list[Problem]]:
    rows, problems = _read(data, filename, EVENT_COLUMNS)
    out: list[CreditEventRow] = []
    for r in rows:
        business = r.business()
        word = r.text("kind")
        kind = KIND_WORDS.get(word or "")
        if word is not None and kind is None:
            r._bad("kind", f"種別は 延滞・条件変更・事故報告・代位弁済 のいずれかです ({word})")
        occurred = r.day("occurred_on")
        days = r.whole("days_past_due")
        if kind == CreditEventKind.DELINQUENCY and not days:
            r._bad("days_past_due", "延滞には延滞日数 (1 以上) が必要です")
        if r.problems or kind is None or occurred is None:
            continue
        out.append(
            CreditEventRow(
                r.line, business, r.text("loan_number"), kind, occurred, days, r.text("note")
            )
        )
    return out, _problems(rows, problems)
