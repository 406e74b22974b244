"""真贋性 checks that use the payments matched to invoices, and the Benford test's power, by hand.

Businesses bank as in ``test_authenticity`` (three customers pay 1,234,567 a month) unless the
test changes one thing:

* 21: the books show 1,734,567 of sales a month; 500,000 more came in every month from a
  customer the bank did not recognise (kind ``other``), and it paid an invoice issued
  (``invoice_payments``). It is a customer receipt: the sales are supported. Without the
  matches the deposits are 71 % of the sales and the rule fires.
* 22: the books show 2,000,000 of sales a month and invoices issued for all of it, but only the
  1,234,567 the customers paid were ever paid: the invoices for the other 765,433 a month are
  unpaid past their due date (20 days after issue). They are no evidence of sales: the rule
  fires (without the matches' ``settled_yen``/``paid`` it did not: invoices covered 100 %).
* 23: 900 supplier payments over the 6 months whose first digits are 55 % Benford and 45 %
  uniform: MAD 0.024 (below the old bound 0.03), chi-square ≈ 58 (p < 10⁻⁸): found.
* 24: 900 payments whose first digits follow Benford as closely as whole counts can: not found.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pyarrow as pa
import pytest

from kizashi.domain.bank_features import BENFORD, benford_stats
from kizashi.engine.exec.bank_features import compute_bank_features
from kizashi.engine.exec.run import run_monitoring

from .panels import month, table
from .test_authenticity import AS_OF, MONTHS, Tx, bank, books, clean_month

MATCHED_IN = 500_000
FAKE = 765_433


def _digit_payments(counts: list[int]) -> list[Tx]:
    """Supplier payments with the given first-digit counts (digit d: d × 10,000 + k)."""
    return [
        (1 + k % 28, -(d * 10_000 + k), "other", f"S{k % 7}")
        for d, c in enumerate(counts, 1)
        for k in range(c)
    ]


def _counts(q: list[float], n: int) -> list[int]:
    c = [int(n * x) for x in q]
    c[0] += n - sum(c)
    return c


MIXED = _counts([0.55 * p + 0.45 / 9 for p in BENFORD], 150)  # a month's 150 payments
CLOSE = _counts(list(BENFORD), 150)


def _portfolio() -> dict[str, Any]:
    tx: list[dict[str, Any]] = []
    panel: list[dict[str, Any]] = []
    inv: list[dict[str, Any]] = []
    pay: list[dict[str, Any]] = []

    def add(bid: int, month_tx: Any, **override: Any) -> None:
        rows, ends = bank(bid, month_tx)
        tx.extend(rows)
        panel.extend(books(bid, ends, **override))

    def matched(i: int) -> list[Tx]:
        return [*clean_month(i), (20, MATCHED_IN, "other", "ｶ)ﾐｼﾗﾇ")]

    add(21, matched, sales=lambda i: 1_234_567 + MATCHED_IN)
    add(22, clean_month, sales=lambda i: 1_234_567 + FAKE)

    def digits(counts: list[int]) -> Any:
        def month_tx(i: int) -> list[Tx]:
            pays = _digit_payments(counts)
            return [
                *clean_month(i),
                *pays,
                (2, -sum(a for _, a, _, _ in pays), "sales_receipt", "A"),
            ]

        return month_tx

    extra = sum(-a for _, a, _, _ in _digit_payments(MIXED))
    add(23, digits(MIXED), sales=lambda i: 1_234_567 + extra)
    extra_close = sum(-a for _, a, _, _ in _digit_payments(CLOSE))
    add(24, digits(CLOSE), sales=lambda i: 1_234_567 + extra_close)
    for i in range(MONTHS):
        m = month(i)
        issued = dt.date(m.year, m.month, 1)
        due = issued + dt.timedelta(days=20)
        for bid, number, amount, paid in (
            (21, f"M{i}", MATCHED_IN, True),
            (22, f"P{i}", 1_234_567, True),
            (22, f"F{i}", FAKE, False),
        ):
            inv.append(
                {
                    "business_id": bid,
                    "invoice_id": number,
                    "direction": "issued",
                    "counterparty": "X",
                    "issue_date": issued,
                    "due_date": due,
                    "total_yen": amount,
                    "tax_yen": amount // 11,
                    "paid": paid,
                    "payable_yen": amount,
                    "settled_yen": amount if paid else 0,
                }
            )
        pay.append(
            {
                "business_id": 21,
                "invoice_id": f"M{i}",
                "direction": "issued",
                "booked_on": dt.date(m.year, m.month, 20),
                "kind": "other",
                "amount_yen": MATCHED_IN,
                "fee_yen": 0,
            }
        )
    ids = [21, 22, 23, 24]
    return {
        "tx": pa.Table.from_pylist(tx),
        "panel": table(panel),
        "invoices": pa.Table.from_pylist(inv),
        "payments": pa.Table.from_pylist(pay),
        "businesses": pa.table(
            {
                "business_id": pa.array(ids, pa.int64()),
                "industry_code": ["09"] * len(ids),
                "employees": pa.array([5] * len(ids), pa.int32()),
            }
        ),
    }


def _fired(p: dict[str, Any], **sources: Any) -> dict[str, dict[int, dict[str, Any]]]:
    feats = compute_bank_features(p["tx"], AS_OF, panel=p["panel"], **sources)
    res = run_monitoring(p["panel"], p["businesses"], None, month=AS_OF, bank_features=feats)
    out: dict[str, dict[int, dict[str, Any]]] = {}
    for r in res.firings.to_pylist():
        ev = r.get("evidence")
        out.setdefault(r["rule_id"], {})[r["business_id"]] = (
            json.loads(ev) if isinstance(ev, str) else ev or {}
        )
    return out


@pytest.fixture(scope="module")
def p() -> dict[str, Any]:
    return _portfolio()


def test_matched_deposits_and_overdue_invoices(p: dict[str, Any]) -> None:
    fired = _fired(p, invoices=p["invoices"], payments=p["payments"])
    assert set(fired["authenticity.sales_unsupported"]) == {22}
    ev = fired["authenticity.sales_unsupported"][22]
    # Jul–Sep: invoices for all the sales, the unpaid part past due in each of the 3 months
    assert ev["invoiced"] == 3 * (1_234_567 + FAKE)
    assert ev["overdue"] == 3 * FAKE
    assert ev["deposits"] == 3 * 1_234_567


def test_without_the_matches_the_rule_reads_otherwise(p: dict[str, Any]) -> None:
    # no payments: 21's 500,000 a month is unclassified money in a month with classified
    # receipts, so not counted; no settled/paid state: 22's invoices all look like support
    inv = p["invoices"]
    bare = inv.drop_columns(["payable_yen", "settled_yen"]).set_column(
        inv.column_names.index("paid"), "paid", pa.array([True] * inv.num_rows)
    )
    fired = _fired(p, invoices=bare)
    assert set(fired["authenticity.sales_unsupported"]) == {21}


def test_benford_chi_square_finds_a_mix_the_mad_bound_missed(p: dict[str, Any]) -> None:
    n = MONTHS * 150
    mad, chi2 = benford_stats([c * MONTHS for c in MIXED])
    assert 0.015 < mad < 0.03 and chi2 > 40  # the old rule (MAD > 0.03) stayed silent
    _, chi2_c = benford_stats([c * MONTHS for c in CLOSE])
    assert chi2_c < 40
    fired = _fired(p, invoices=p["invoices"], payments=p["payments"])
    assert set(fired["authenticity.benford"]) == {23}
    ev = fired["authenticity.benford"][23]
    assert ev["n"] == n + 3 * MONTHS  # and the clean month's 3 supplier payments
    assert ev["chi2"] > 40
