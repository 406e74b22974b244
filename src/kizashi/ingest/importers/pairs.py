"""Shared reading of "pair row" journals: each row carries a debit side and a credit side.

弥生, freee 仕訳帳, マネーフォワード and EPSON all write one row per debit/credit pair; rows of
one compound entry share an entry key. This module turns such rows into ``JournalLine``s and
checks that every entry balances.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from ..dates import DateError, parse_date
from ..errors import Issue, cell_error, error
from ..model import Account, JournalLine
from ..numbers import AmountError, parse_yen


@dataclass(frozen=True)
class PairColumns:
    """Column indexes (0-based) of one pair-row layout; -1 where the format has none."""

    date: int
    debit_account: int
    debit_amount: int
    credit_account: int
    credit_amount: int
    debit_code: int = -1
    credit_code: int = -1
    debit_category: int = -1
    credit_category: int = -1

    @property
    def width(self) -> int:
        return max(self.__dict__.values()) + 1


def header_columns(
    header: list[str],
    idx: dict[str, int],
    required: tuple[str, ...] | list[str],
    filename: str,
    issues: list[Issue],
) -> PairColumns | None:
    """The pair layout from a header index; every missing required column reported on line 1."""
    missing = [f for f in required if f not in idx]
    if missing:
        issues.append(error("header.missing", file=filename, line=1, params={"columns": missing}))
        return None
    optional = ("debit_code", "credit_code", "debit_category", "credit_category")
    return PairColumns(
        date=idx["date"],
        debit_account=idx["debit_account"],
        debit_amount=idx["debit_amount"],
        credit_account=idx["credit_account"],
        credit_amount=idx["credit_amount"],
        **{k: idx.get(k, -1) for k in optional},
    )


def cell(row: list[str], idx: int) -> str:
    return row[idx].strip() if 0 <= idx < len(row) else ""


def read_date(
    row: list[str], idx: int, lineno: int, filename: str, field: str, issues: list[Issue]
) -> date | None:
    raw = cell(row, idx)
    try:
        return parse_date(raw)
    except DateError as exc:
        issues.append(
            cell_error(
                "date.invalid",
                exc,
                file=filename,
                line=lineno,
                column=idx + 1,
                field=field,
                value=raw,
            )
        )
        return None


def read_amount(
    row: list[str], idx: int, lineno: int, filename: str, field: str, issues: list[Issue]
) -> int | None:
    raw = cell(row, idx)
    try:
        return parse_yen(raw)
    except AmountError as exc:
        issues.append(
            cell_error(
                "amount.invalid",
                exc,
                file=filename,
                line=lineno,
                column=idx + 1,
                field=field,
                value=raw,
            )
        )
        return None


def read_pair(
    row: list[str],
    cols: PairColumns,
    lineno: int,
    filename: str,
    entry: str,
    day: date,
    issues: list[Issue],
    *,
    names: tuple[str, str] = ("借方金額", "貸方金額"),
    opening: bool = False,
) -> list[JournalLine]:
    """The debit and credit lines of one row (a side without an account is skipped)."""
    out: list[JournalLine] = []
    sides = (
        (cols.debit_account, cols.debit_code, cols.debit_amount, cols.debit_category, True),
        (cols.credit_account, cols.credit_code, cols.credit_amount, cols.credit_category, False),
    )
    for acc_i, code_i, amt_i, cat_i, is_debit in sides:
        name, code = cell(row, acc_i), cell(row, code_i)
        amount = read_amount(row, amt_i, lineno, filename, names[0 if is_debit else 1], issues)
        if amount is None:
            continue
        if not name and not code:
            if amount:
                issues.append(
                    error(
                        "account.missing",
                        file=filename,
                        line=lineno,
                        column=acc_i + 1,
                        field=names[0 if is_debit else 1],
                        value=str(amount),
                    )
                )
            continue
        account = Account(name=name or code, code=code if name else "", category=cell(row, cat_i))
        out.append(
            JournalLine(
                day,
                account,
                amount if is_debit else 0,
                0 if is_debit else amount,
                entry,
                lineno,
                opening,
            )
        )
    return out


def check_entries(lines: list[JournalLine], filename: str, issues: list[Issue]) -> None:
    """Error for each entry whose debits and credits differ."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for ln in lines:
        t = totals[ln.entry]
        t[0] += ln.debit
        t[1] += ln.credit
        if not t[2]:
            t[2] = ln.line
    for entry, (dr, cr, first) in totals.items():
        if dr != cr:
            issues.append(
                error(
                    "entry.unbalanced",
                    file=filename,
                    params={"entry": entry, "debit": dr, "credit": cr, "difference": dr - cr},
                    line=first,
                    field="entry",
                    value=entry,
                )
            )


def check_width(
    row: list[str], width: int, lineno: int, filename: str, issues: list[Issue], *, exact: bool
) -> bool:
    ok = len(row) == width if exact else len(row) >= width
    if not ok:
        issues.append(
            error(
                "row.columns",
                file=filename,
                params={
                    "variant": "exact" if exact else "at_least",
                    "columns": len(row),
                    "width": width,
                },
                line=lineno,
                value=str(len(row)),
            )
        )
    return ok
