"""The synthetic monthly loan balances agree with the loans and their repayment records."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pyarrow as pa

from kizashi.synth.generator import generate


def _portfolio() -> dict[str, pa.Table]:
    parts: dict[str, list[pa.Table]] = defaultdict(list)
    for chunk in generate(400, seed=4, chunk_size=150):
        for name, t in chunk.tables().items():
            parts[name].append(t)
    return {k: pa.concat_tables(v) for k, v in parts.items()}


P = _portfolio()


def test_one_row_per_business_and_month_ending_at_each_loans_balance():
    lb = P["loan_balances"]
    months = sorted(set(lb.column("month").to_pylist()))
    assert months[-1] == date(2026, 9, 1) and len(months) == 47  # the 36-month window + 11
    assert lb.num_rows == 400 * len(months)
    end = {r["business_id"]: r["loan_balance"] for r in lb.to_pylist() if r["month"] == months[-1]}
    want: dict[int, int] = defaultdict(int)
    for ln in P["loans"].to_pylist():
        want[ln["business_id"]] += ln["balance_end"]
    assert end == {b: want.get(b, 0) for b in end}


def test_a_balance_by_hand_from_the_repayment_records():
    lb = {(r["business_id"], r["month"]): r for r in P["loan_balances"].to_pylist()}
    loans = P["loans"].to_pylist()
    paid: dict[int, list[tuple[date, int]]] = defaultdict(list)
    for r in P["repayments"].to_pylist():
        if r["paid_on"] is not None:
            paid[r["loan_id"]].append((r["paid_on"], r["principal"]))
    checked = 0
    for bid in (1, 77, 250):
        for month in (date(2024, 3, 1), date(2025, 12, 1)):
            nxt = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
            total = guaranteed = 0
            for ln in (x for x in loans if x["business_id"] == bid):
                if ln["start_date"] >= nxt:
                    continue
                out = ln["original_amount"] - sum(p for d, p in paid[ln["loan_id"]] if d < nxt)
                total += out
                if ln["guaranteed"]:
                    guaranteed += out * ln["guarantee_ratio_pct"] // 100
            row = lb[(bid, month)]
            assert (row["loan_balance"], row["guaranteed_balance"]) == (total, guaranteed)
            checked += total > 0
    assert checked >= 3
