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


def _compare(
    portfolio: dict[str, pa.Table],
    open_items: pa.Table,
    invoices: pa.Table | None,
) -> tuple[int, int]:
    """The SQL forecast against ``build_forecast`` business by business: the open items per
    side from the schedule where the business has one, else from its unpaid invoices issued by
    the as-of date at what they still ask (as ``access.cash.read_cash_forecast`` reads them)."""
    feats = compute_bank_features(
        portfolio["bank_transactions"],
        END,
        open_items=open_items,
        invoices=invoices,
        instalments=portfolio["instalments"],
    )
    at = {r["business_id"]: r for r in feats.to_pylist() if r["month"] == END}
    history: dict[int, list[tuple[dt.date, int, str]]] = defaultdict(list)
    for r in portfolio["bank_transactions"].to_pylist():
        if AS_OF - dt.timedelta(days=130) < r["booked_on"] <= AS_OF:
            history[r["business_id"]].append((r["booked_on"], r["amount_yen"], r["kind"]))
    items: dict[int, list[OpenItemLine]] = defaultdict(list)
    for r in open_items.to_pylist():
        items[r["business_id"]].append(OpenItemLine(r["side"], r["amount_yen"], r["due_date"]))
    scheduled = {(b, i.side) for b, lines in items.items() for i in lines}
    for r in [] if invoices is None else invoices.to_pylist():
        side = "receivable" if r["direction"] == "issued" else "payable"
        left = r["payable_yen"] - r["settled_yen"]
        if (r["business_id"], side) in scheduled or r["paid"] or r["issue_date"] > AS_OF:
            continue
        if left > 0:
            items[r["business_id"]].append(OpenItemLine(side, left, r["due_date"]))
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
    return checked, short


def test_sql_forecast_matches_the_reference(portfolio: dict[str, pa.Table]) -> None:
    checked, short = _compare(portfolio, portfolio["open_items"], None)
    assert checked > 250 and short > 0  # the comparison covers shortfalls too


def test_open_invoices_count_at_what_they_still_ask(portfolio: dict[str, pa.Table]) -> None:
    """A third of the businesses sent no receivables schedule: their unpaid invoices stand in,
    less what payments settled (every third one half settled, every fifth fully settled but
    not yet marked paid — nothing left to ask), plus a credit note (asks nothing)."""
    oi = portfolio["open_items"]
    keep = [
        not (b % 3 == 0 and s == "receivable")
        for b, s in zip(
            oi.column("business_id").to_pylist(), oi.column("side").to_pylist(), strict=True
        )
    ]
    open_items = oi.filter(pa.array(keep))
    inv = portfolio["invoices"]
    total = inv.column("total_yen").to_pylist()
    settled = [t if k % 5 == 0 else t // 2 if k % 3 == 0 else 0 for k, t in enumerate(total)]
    invoices = (
        inv.drop_columns(["payable_yen", "settled_yen"])  # the synthetic ones: all or nothing
        .append_column("payable_yen", pa.array(total, pa.int64()))
        .append_column("settled_yen", pa.array(settled, pa.int64()))
    )
    unpaid = [r for r in invoices.to_pylist() if not r["paid"] and r["business_id"] % 3 == 0]
    assert any(r["settled_yen"] * 2 == r["payable_yen"] for r in unpaid)  # part-paid are there
    credit = {
        **unpaid[0],
        "invoice_id": "credit",
        "total_yen": -500_000,
        "payable_yen": -500_000,
        "settled_yen": 0,
    }
    invoices = pa.concat_tables([invoices, pa.Table.from_pylist([credit], schema=invoices.schema)])
    checked, short = _compare(portfolio, open_items, invoices)
    assert checked > 250 and short > 0
    # the invoices changed the forecast: without the settled amounts it is another one
    full = invoices.set_column(
        invoices.column_names.index("settled_yen"),
        "settled_yen",
        pa.array([0] * invoices.num_rows, pa.int64()),
    )
    a = compute_bank_features(
        portfolio["bank_transactions"], END, open_items=open_items, invoices=invoices
    )
    b = compute_bank_features(
        portfolio["bank_transactions"], END, open_items=open_items, invoices=full
    )

    def lowest(t: pa.Table) -> dict[int, int]:
        return {r["business_id"]: r["cash_lowest_yen"] for r in t.to_pylist() if r["month"] == END}

    la, lb = lowest(a), lowest(b)
    assert any(la[k] < lb[k] for k in la if k % 3 == 0 and la[k] is not None)
    assert all(la[k] == lb[k] for k in la if k % 3 != 0)  # a schedule: invoices not read
