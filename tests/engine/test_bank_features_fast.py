"""The fast bank features (``engine.exec.bank_features``: business ranges one after another, one
GROUP BY into monthly slots for the kinds, digits and the forecast's flows) give exactly what the
first three-pass SQL gave (``bank_features_reference``), on hand-made transactions chosen to hit
every corner: several accounts, days and whole months that net to zero, a movement without a
balance, zero amounts, every first digit, money in without remitters, movements after the
as-of month, and business ids far apart so that the ranges split them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
import pytest

from kizashi.engine.exec.bank_features import compute_bank_features

from .bank_features_reference import reference_bank_features
from .panels import month, row, table
from .test_authenticity import AS_OF, portfolio

KEY = [("business_id", "ascending"), ("month", "ascending")]


def _tx(bid: int, acct: int, day: dt.date, amount: int, balance: int | None, kind: str, who: str):
    return {
        "business_id": bid,
        "account_id": acct,
        "booked_on": day,
        "amount_yen": amount,
        "balance_yen": balance,
        "counterparty": who,
        "description": "",
        "kind": kind,
    }


def corners() -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    ends: dict[tuple[int, dt.date], int] = {}  # month-end balance, all accounts
    for bid in (3, 40_000, 9_000_000):  # far apart: the ranges split them
        bal = {1: 500_000, 2: -20_000}
        for i in range(6):
            m = month(i)
            moves = [
                (1, 3, 120_000, "sales_receipt", "A"),
                (1, 3, 80_000, "sales_receipt", "B"),
                (1, 4, -99_999, "other", "S1"),  # first digit 9
                (2, 4, 15_000, "other", "現金"),
                (2, 5, -15_000, "other", "S2"),  # account 2 nets to zero on day 5 …
                (2, 5, 15_000, "transfer", "本店"),
                (1, 7, -1, "other", "S3"),  # digit 1, a single yen
                (1, 9, 0, "other", "手数料戻し"),  # a zero amount
                *[(1, 10 + d, -(d * 10**d), "other", f"S{d}") for d in range(2, 9)],
                (1, 20, -300_000, "payroll", "給与"),
                (1, 21, -45_000, "social_insurance", "年金"),
                (1, 22, -90_000, "rent", "家賃"),
                (1, 23, -12_345, "utilities", "電力"),
                (1, 24, -70_000, "tax", "税務署"),
                (1, 25, -50_000, "loan_repayment", "銀行"),
                (1, 25, -3_000, "interest", "銀行"),
                (1, 26, 200_000, "high_rate_lender", "ファクタリング"),
                (1, 27, -210_000, "high_rate_lender", "ファクタリング"),
            ]
            if i == 2:  # a month without remitters: the money in is unclassified
                moves = [
                    (a, d, x, "other" if k == "sales_receipt" else k, w) for a, d, x, k, w in moves
                ]
            if i == 3:  # the month's last day nets to zero on account 1
                moves += [(1, 28, 5_000, "other", "X"), (1, 28, -5_000, "other", "X")]
            for acct, d, amount, kind, who in sorted(moves, key=lambda t: (t[0], t[1])):
                bal[acct] += amount
                balance: int | None = bal[acct]
                if bid == 40_000 and i == 4 and d == 7:
                    balance = None  # one movement without a balance: that month has none
                rows.append(_tx(bid, bid * 10 + acct, m.replace(day=d), amount, balance, kind, who))
            ends[(bid, m)] = sum(bal.values())
        # after the as-of month: not counted
        rows.append(_tx(bid, bid * 10 + 1, month(6).replace(day=2), 1_000, 1, "other", "Z"))
    # a business whose only account nets to zero every day: no month-end balance
    for i in range(6):
        m = month(i)
        rows += [
            _tx(77, 771, m.replace(day=3), 10_000, 60_000, "sales_receipt", "A"),
            _tx(77, 771, m.replace(day=3), -10_000, 50_000, "other", "S"),
        ]
    tx = pa.Table.from_pylist(rows)
    bids = (3, 77, 40_000, 9_000_000)
    panel = table([row(b, i, sales=1_000_000 + (i % 2) * 10_000) for b in bids for i in range(6)])
    invoices = pa.table(
        {
            "business_id": pa.array([3, 3, 40_000, 77], pa.int32()),
            "invoice_id": ["a", "b", "c", "d"],
            "direction": ["issued", "issued", "received", "issued"],
            "counterparty": ["A", "B", "S", "A"],
            "issue_date": [month(4), month(5), month(5), month(5)],
            "due_date": [month(5), month(6), month(6), month(6)],
            "total_yen": pa.array([110_000, 220_000, 33_000, 44_000], pa.int64()),
            "tax_yen": pa.array([10_000, 20_000, 3_000, 4_000], pa.int64()),
            "paid": [True, False, False, False],
        }
    )
    # due in the 13 weeks, overdue (week 1), beyond the last week, and already paid
    inst = [
        (3, dt.date(2023, 10, 25), 50_000, 3_000, None),
        (3, dt.date(2023, 11, 25), 50_000, 2_900, None),
        (3, dt.date(2024, 3, 25), 50_000, 2_500, None),
        (3, dt.date(2023, 8, 25), 50_000, 3_100, None),
        (3, dt.date(2023, 9, 25), 50_000, 3_050, dt.date(2023, 9, 25)),
        (9_000_000, dt.date(2023, 10, 31), 900_000, 10_000, None),
        (9_000_000, dt.date(2023, 12, 30), 900_000, 9_000, None),  # the last day of week 13
        (9_000_000, dt.date(2023, 12, 31), 900_000, 8_000, None),  # the day after
    ]
    instalments = pa.table(
        {
            "business_id": pa.array([r[0] for r in inst], pa.int64()),
            "due_date": [r[1] for r in inst],
            "principal": pa.array([r[2] for r in inst], pa.int64()),
            "interest": pa.array([r[3] for r in inst], pa.int64()),
            "paid_on": pa.array([r[4] for r in inst], pa.date32()),
        }
    )
    return {
        "tx": tx,
        "panel": panel,
        "invoices": invoices,
        "instalments": instalments,
        "ends": ends,
    }


def _same(a: pa.Table, b: pa.Table) -> None:
    a, b = a.sort_by(KEY), b.sort_by(KEY)
    assert a.schema == b.schema
    assert a.num_rows == b.num_rows
    for name in a.column_names:
        assert a.column(name).to_pylist() == b.column(name).to_pylist(), name


@pytest.mark.parametrize("chunk_rows", [10**9, 50, 1])
def test_corners_match_the_reference(chunk_rows: int) -> None:
    c = corners()
    kw: dict[str, Any] = {
        "invoices": c["invoices"],
        "panel": c["panel"],
        "instalments": c["instalments"],
    }
    ref = reference_bank_features(c["tx"], AS_OF, **kw)
    fast = compute_bank_features(c["tx"], AS_OF, **kw, chunk_rows=chunk_rows)
    _same(fast, ref)
    at = {(r["business_id"], r["month"]): r for r in fast.to_pylist()}
    # the corners are really there (a reference that lost them would pass the comparison)
    assert at[(77, AS_OF)]["bank_balance"] is None  # every day nets to zero
    assert at[(40_000, month(4))]["bank_balance"] is None  # a movement without a balance
    for b, m in [(3, month(3)), (3, AS_OF), (9_000_000, month(1))]:  # last day nets to zero in 3
        assert at[(b, m)]["bank_balance"] == c["ends"][(b, m)]
    assert at[(3, month(2))]["bank_deposits"] == 215_000  # unclassified money in, no remitters
    # 10 unclassified payments a month and one more in month 3; the zero amount is not one
    assert at[(3, AS_OF)]["bank_benford_n"] == 6 * 10 + 1
    assert at[(3, AS_OF)]["bank_high_rate_tx"] == 2
    assert at[(3, AS_OF)]["cash_lowest_yen"] is not None
    assert all(m <= AS_OF for _, m in at)


def test_the_handmade_portfolio_matches_the_reference() -> None:
    p = portfolio()
    kw: dict[str, Any] = {"open_items": p["open_items"], "panel": p["panel"]}
    ref = reference_bank_features(p["tx"], AS_OF, **kw)
    for chunk_rows in (10**9, 100):
        _same(compute_bank_features(p["tx"], AS_OF, **kw, chunk_rows=chunk_rows), ref)
