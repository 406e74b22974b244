"""真贋性 checks by hand: one clean business, one business per discrepancy, one without bank data.

Every business banks the same way (opening balance 2,000,000; per month three customers pay
1,234,567 in all, payroll 312,345, social insurance 51,234, rent 100,000 and three supplier
payments of 256,996: the month nets to zero) unless its test changes one thing. The books
follow the bank (month-end 現金及び預金 = the bank's balance, sales = deposits, receivables =
the open items, borrowings = the lenders' balance) except for the one planted difference.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pytest

from kizashi.engine.exec.bank_features import compute_bank_features
from kizashi.engine.exec.run import run_monitoring

from .panels import month, row, table

MONTHS = 6  # 2023-04 … 2023-09
AS_OF = month(MONTHS - 1)
Tx = tuple[int, int, str, str]  # (day, amount, kind, counterparty)


def clean_month(i: int) -> list[Tx]:
    return [
        (5, 411_523, "sales_receipt", "A"),
        (10, 411_522, "sales_receipt", "B"),
        (15, 411_522, "sales_receipt", "C"),
        (12, -256_996, "other", "S1"),
        (18, -256_996, "other", "S2"),
        (22, -256_996, "other", "S3"),
        (25, -312_345, "payroll", "給与"),
        (27, -100_000, "rent", "家賃"),
        (28, -51_234, "social_insurance", "年金事務所"),
    ]


def bank(bid: int, month_tx: Callable[[int], list[Tx]]) -> tuple[list[dict[str, Any]], list[int]]:
    """Transactions with running balances, and the balance at each month end."""
    rows, ends, balance = [], [], 2_000_000
    for i in range(MONTHS):
        m = month(i)
        for day, amount, kind, party in sorted(month_tx(i), key=lambda t: (t[0], -t[1])):
            balance += amount
            rows.append(
                {
                    "business_id": bid,
                    "account_id": bid * 10 + 1,
                    "booked_on": dt.date(m.year, m.month, day),
                    "amount_yen": amount,
                    "balance_yen": balance,
                    "counterparty": party,
                    "description": "",
                    "kind": kind,
                }
            )
        ends.append(balance)
    return rows, ends


def books(bid: int, ends: list[int], **override: Callable[[int], int]) -> list[dict[str, Any]]:
    out = []
    for i in range(MONTHS):
        amounts = {
            "cash_and_deposits": ends[i],
            "sales": 1_234_567,
            "accounts_receivable": 1_234_567,
            "salaries": 312_345,
            "legal_welfare": 51_234,
            "rent": 100_000,
            "purchases": 770_988,
            "long_term_borrowings": 5_000_000,
        }
        amounts.update({k: f(i) for k, f in override.items()})
        out.append(row(bid, i, **amounts))
    return out


def portfolio() -> dict[str, Any]:
    tx: list[dict[str, Any]] = []
    panel: list[dict[str, Any]] = []
    lenders = dict.fromkeys(range(1, 14), 5_000_000)
    open_ar = dict.fromkeys(range(1, 14), 1_234_567)

    def add(
        bid: int, month_tx: Callable[[int], list[Tx]], **override: Callable[[int], int]
    ) -> None:
        rows, ends = bank(bid, month_tx)
        tx.extend(rows)
        panel.extend(books(bid, ends, **override))

    add(1, clean_month)
    add(2, clean_month, cash_and_deposits=lambda i: 3_000_000)  # books hold 1,000,000 more
    add(3, clean_month, sales=lambda i: 2_000_000)  # sales the money does not show
    add(4, clean_month)
    open_ar[4] = 300_000  # the schedule supports a quarter of the books' receivables
    add(5, clean_month)
    lenders[5] = 9_000_000  # the lenders lent 4,000,000 more than the books show
    add(
        6,
        clean_month,
        sales=lambda i: 1_200_000,
        salaries=lambda i: 300_000,
        purchases=lambda i: 700_000,
        supplies=lambda i: 50_000,
    )

    def nines(i: int) -> list[Tx]:  # 70 payments a month, every one starting with a 9
        pays = [(d % 28 + 1, -(9_000 + d), "other", f"S{d}") for d in range(70)]
        return [*clean_month(i), *pays, (3, sum(-a for _, a, _, _ in pays), "sales_receipt", "A")]

    add(7, nines, sales=lambda i: 1_234_567 + sum(9_000 + d for d in range(70)))

    def stopped(i: int) -> list[Tx]:
        if i < 3:
            return clean_month(i)
        keep = [t for t in clean_month(i) if t[2] not in ("payroll", "social_insurance")]
        return [*keep, (25, -363_579, "other", "現金引出")]

    add(8, stopped)

    def factoring(i: int) -> list[Tx]:
        extra = {
            4: [(6, 500_000, "high_rate_lender", "ファクタリング")],
            5: [(6, -525_000, "high_rate_lender", "ファクタリング")],
        }
        return [*clean_month(i), *extra.get(i, [])]

    add(9, factoring)

    def overdraft(i: int) -> list[Tx]:
        dips = [(2, -2_500_000, "transfer", "当座"), (20, 2_500_000, "transfer", "当座")]
        return [
            *clean_month(i),
            *dips,
            *[(d, -1, "other", "S9") for d in range(3, 9)],
            (9, 6, "sales_receipt", "A"),
        ]

    add(10, overdraft)

    def one_customer(i: int) -> list[Tx]:
        return [
            (t[0], t[1], t[2], "A" if t[2] == "sales_receipt" else t[3]) for t in clean_month(i)
        ]

    add(11, one_customer)
    panel.extend(books(12, [2_000_000] * MONTHS))  # no bank data at all

    def burning(i: int) -> list[Tx]:  # 300,000 more out than in every month: 200,000 left
        return [*clean_month(i), (20, -300_000, "other", "S4")]

    add(13, burning)
    bid = pa.array(sorted(lenders), pa.int64())
    return {
        "tx": pa.Table.from_pylist(tx),
        "panel": table(panel),
        "businesses": pa.table(
            {
                "business_id": bid,
                "industry_code": ["09"] * 13,
                "employees": pa.array([5] * 13, pa.int32()),
            }
        ),
        "loan_balances": pa.table(
            {
                "business_id": pa.array([b for b in lenders for _ in range(MONTHS)], pa.int64()),
                "month": [month(i) for _ in lenders for i in range(MONTHS)],
                "loan_balance": pa.array(
                    [v for v in lenders.values() for _ in range(MONTHS)], pa.int64()
                ),
                "guaranteed_balance": pa.array([0] * 13 * MONTHS, pa.int64()),
            }
        ),
        "open_items": pa.table(
            {
                "business_id": pa.array(list(open_ar), pa.int32()),
                "side": ["receivable"] * 13,
                "counterparty": ["A"] * 13,
                "due_date": [dt.date(2023, 10, 31)] * 13,
                "amount_yen": pa.array(list(open_ar.values()), pa.int64()),
            }
        ),
    }


@pytest.fixture(scope="module")
def result() -> tuple[pa.Table, dict[str, set[int]]]:
    p = portfolio()
    feats = compute_bank_features(p["tx"], AS_OF, open_items=p["open_items"], panel=p["panel"])
    res = run_monitoring(
        p["panel"],
        p["businesses"],
        None,
        month=AS_OF,
        loan_balances=p["loan_balances"],
        bank_features=feats,
    )
    fired: dict[str, set[int]] = {}
    for r in res.firings.to_pylist():
        fired.setdefault(r["rule_id"], set()).add(r["business_id"])
    return feats, fired


def test_balances_follow_the_bank_to_the_yen(result: tuple[pa.Table, dict[str, set[int]]]) -> None:
    feats, _ = result
    at = {(r["business_id"], r["month"]): r for r in feats.to_pylist()}
    assert at[(1, AS_OF)]["bank_balance"] == 2_000_000
    assert at[(9, month(4))]["bank_balance"] == 2_500_000  # the factoring proceeds
    assert at[(9, AS_OF)]["bank_balance"] == 1_975_000
    assert at[(1, AS_OF)]["bank_deposits"] == 1_234_567
    assert at[(1, AS_OF)]["bank_payroll"] == 312_345
    assert at[(1, AS_OF)]["open_receivables"] == 1_234_567
    assert at[(1, month(4))]["open_receivables"] is None  # the schedule is as of the as-of month
    assert at[(10, AS_OF)]["bank_negative_days"] == 8  # days 2–9: a movement left it below zero
    assert at[(11, AS_OF)]["bank_top_customer_pct"] == 100
    assert at[(7, AS_OF)]["bank_benford_n"] == 6 * 73  # 70 + the 3 supplier payments a month
    assert 12 not in {b for b, _ in at}


EXPECTED = {
    "authenticity.deposit_balance_mismatch": {2},
    "authenticity.sales_unsupported": {3},
    "authenticity.receivables_unsupported": {4},
    "authenticity.borrowings_understated": {5},
    "authenticity.round_figures": {6},
    "authenticity.benford": {7},
    "bank.regular_payments_stopped": {8},
    "bank.high_rate_lender": {9},
    "bank.negative_balance_days": {10},
    "bank.customer_concentration": {11},
    "cash.projected_shortfall": {13},
}


@pytest.mark.parametrize("rule", sorted(EXPECTED))
def test_each_check_finds_its_plant_and_nothing_else(
    rule: str, result: tuple[pa.Table, dict[str, set[int]]]
) -> None:
    _, fired = result
    assert fired.get(rule, set()) == EXPECTED[rule]


def test_without_bank_features_no_bank_rule_fires() -> None:
    p = portfolio()
    res = run_monitoring(
        p["panel"], p["businesses"], None, month=AS_OF, loan_balances=p["loan_balances"]
    )
    rules = {r["rule_id"] for r in res.firings.to_pylist()}
    assert not rules & (set(EXPECTED) - {"authenticity.borrowings_understated"})
