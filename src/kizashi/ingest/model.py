"""What importers produce: journal lines or balance rows in as-reported accounts.

Importers do not map to the standard chart; they only read their format faithfully and
report located issues. ``ledger`` aggregates, ``mapping`` maps, ``validation`` checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from .errors import Issue
from .limits import IssueList

Kind = Literal["journal", "trial_balance", "statement", "opening"]
Convention = Literal["natural", "debit_positive"]


@dataclass(frozen=True, slots=True)
class Account:
    """An account as the file names it. ``key`` is unique within one file."""

    name: str
    code: str = ""
    category: str = ""  # a position hint from the file (資産, 販売費及び一般管理費, 決算書表示名 …)

    @property
    def key(self) -> str:
        return f"{self.code} {self.name}" if self.code else self.name


@dataclass(frozen=True, slots=True)
class JournalLine:
    """One side of one entry: ``debit`` or ``credit`` amount in yen (the other is 0)."""

    day: date
    account: Account
    debit: int
    credit: int
    entry: str
    line: int
    opening: bool = False  # 開始残高 / 期首残高: a balance at the fiscal-year start, not a flow


@dataclass(frozen=True, slots=True)
class BalanceRow:
    """One account's balance in a trial balance or statement at ``period_end``.

    ``closing`` is either the debit-minus-credit net (``convention="debit_positive"``) or
    positive on the account's normal side (``"natural"``, resolved once the account is
    mapped). ``opening``/``debit``/``credit`` are None when the file has no such column.
    """

    period_end: date
    account: Account
    closing: int
    convention: Convention
    line: int
    opening: int | None = None
    debit: int | None = None
    credit: int | None = None


@dataclass(frozen=True, slots=True)
class Subtotal:
    """A subtotal or total row in the file (流動資産合計 …), kept to cross-check sums."""

    period_end: date
    name: str
    amount: int
    line: int


@dataclass
class ParseResult:
    kind: Kind
    lines: list[JournalLine] = field(default_factory=list)
    balances: list[BalanceRow] = field(default_factory=list)
    subtotals: list[Subtotal] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=IssueList)  # capped: see limits.IssueList
    fiscal_year_start: date | None = None  # when the file itself says so
    closed_statement: bool = False  # 決算書: retained earnings include current-year profit
    notes: list[str] = field(default_factory=list)
    company: str = ""  # the company the file itself names (EPSON 入力会社 …), checked on storing
