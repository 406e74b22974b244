"""Synthetic bank data: consistent with the books (month-end balance = 現金及び預金, deposits and
invoices = sales) except where a discrepancy was planted, deterministic from the seed."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from kizashi.engine.exec.bank_features import compute_bank_features
from kizashi.synth import generate
from kizashi.synth.bank import PLANTS, BankOptions, bank_chunk
from kizashi.synth.calendar import month_index

END = dt.date(2026, 9, 1)


def _make(seed: int) -> dict[str, pa.Table]:
    ch = next(generate(400, seed=seed, months=24, end_month=END, chunk_size=400))
    panel, blocks = bank_chunk(
        ch.panel,
        ch.repayments,
        ch.loan_balances,
        month_index(END),
        BankOptions(share=0.5, seed=seed),
    )
    parts = list(blocks)
    return {"panel": panel, **{k: pa.concat_tables([b[k] for b in parts]) for k in parts[0]}}


def test_books_and_bank_agree_except_where_planted() -> None:
    t = _make(5)
    truth = {r["business_id"]: r["kind"] for r in t["bank_truth"].to_pylist()}
    assert set(truth.values()) == set(PLANTS)  # every kind planted at 50 %
    feats = compute_bank_features(t["bank_transactions"], END, panel=t["panel"])
    cash = {(r["business_id"], r["month"]): r["cash_and_deposits"] for r in t["panel"].to_pylist()}
    mismatched = set()
    for r in feats.to_pylist():
        if r["bank_balance"] != cash[(r["business_id"], r["month"])]:
            mismatched.add(r["business_id"])
    since = {r["business_id"]: r["from_month"] for r in t["bank_truth"].to_pylist()}
    active = {
        (r["business_id"])
        for r in feats.to_pylist()
        if r["month"] >= since.get(r["business_id"], END)
    }
    # a business that stopped reporting (代位弁済) before its plant's month shows nothing planted
    assert mismatched == {b for b, k in truth.items() if k == "cash_overstated" and b in active}
    # the running balance is the sum of the movements, account by account
    tx = t["bank_transactions"].to_pylist()
    prev: dict[int, int] = {}
    for r in tx:
        a = r["account_id"]
        if a in prev:
            assert r["balance_yen"] == prev[a] + r["amount_yen"]
        prev[a] = r["balance_yen"]
    # invoices issued add up to the month's sales unless sales were inflated in the books
    inv: dict[tuple[int, dt.date], int] = {}
    for r in t["invoices"].to_pylist():
        key = (r["business_id"], r["issue_date"].replace(day=1))
        inv[key] = inv.get(key, 0) + r["total_yen"]
    sales = {(r["business_id"], r["month"]): r["sales"] for r in t["panel"].to_pylist()}
    off = {b for (b, m), v in inv.items() if v != sales[(b, m)]}
    assert off <= {b for b, k in truth.items() if k == "sales_overstated"}


def test_same_seed_same_data() -> None:
    a, b = _make(7), _make(7)
    assert a["bank_transactions"].equals(b["bank_transactions"])
    assert a["bank_truth"].equals(b["bank_truth"])
