"""The portfolio-wide cash forecast in SQL gives, business by business, the same lowest balance
and first week below zero as the reference arithmetic (``domain.cash.build_forecast``)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pyarrow as pa
import pytest

from kizashi.domain.cash import Instalment, OpenItemLine, build_forecast
from kizashi.engine.exec.bank_features import compute_bank_features
from kizashi.synth import generate
from kizashi.synth.bank import BankOptions, bank_chunk
from kizashi.synth.calendar import month_index

END = dt.date(2026, 9, 1)
AS_OF = dt.date(2026, 9, 30)


@pytest.fixture(scope="module")
def portfolio() -> dict[str, pa.Table]:
    ch = next(generate(300, seed=3, months=24, end_month=END, chunk_size=300))
    panel, blocks = bank_chunk(
        ch.panel, ch.repayments, ch.loan_balances, month_index(END), BankOptions(share=0.3, seed=3)
    )
    parts = list(blocks)
    out = {k: pa.concat_tables([b[k] for b in parts]) for k in parts[0]}
    loans = ch.loans.select(["loan_id", "business_id"])
    rp = ch.repayments
    owner = dict(
        zip(
            loans.column("loan_id").to_pylist(),
            loans.column("business_id").to_pylist(),
            strict=True,
        )
    )
    out["instalments"] = pa.table(
        {
            "business_id": pa.array(
                [owner[i] for i in rp.column("loan_id").to_pylist()], pa.int64()
            ),
            "due_date": rp.column("due_date"),
            "principal": rp.column("principal"),
            "interest": rp.column("interest"),
            "paid_on": rp.column("paid_on"),
        }
    )
    out["panel"] = panel
    return out


def test_sql_forecast_matches_the_reference(portfolio: dict[str, pa.Table]) -> None:
    feats = compute_bank_features(
        portfolio["bank_transactions"],
        END,
        open_items=portfolio["open_items"],
        instalments=portfolio["instalments"],
    )
    at = {r["business_id"]: r for r in feats.to_pylist() if r["month"] == END}
    history: dict[int, list[tuple[dt.date, int, str]]] = defaultdict(list)
    for r in portfolio["bank_transactions"].to_pylist():
        if AS_OF - dt.timedelta(days=130) < r["booked_on"] <= AS_OF:
            history[r["business_id"]].append((r["booked_on"], r["amount_yen"], r["kind"]))
    items: dict[int, list[OpenItemLine]] = defaultdict(list)
    for r in portfolio["open_items"].to_pylist():
        items[r["business_id"]].append(OpenItemLine(r["side"], r["amount_yen"], r["due_date"]))
    inst: dict[int, list[Instalment]] = defaultdict(list)
    for r in portfolio["instalments"].to_pylist():
        if r["paid_on"] is None:
            inst[r["business_id"]].append(
                Instalment("", r["due_date"], r["principal"], r["interest"])
            )
    checked = short = 0
    for bid, f in at.items():
        if f["bank_balance"] is None:
            continue
        plan = build_forecast(f["bank_balance"], AS_OF, history[bid], items[bid], inst[bid])
        s = plan.forecast.shortfall
        assert f["cash_lowest_yen"] == min(w.closing for w in plan.forecast.weeks), bid
        assert f["cash_shortfall_week"] == (0 if s is None else s.week), bid
        checked += 1
        short += s is not None
    assert checked > 250 and short > 0  # the comparison covers shortfalls too
