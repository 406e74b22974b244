"""Rule results, flag episodes (open / unknown / close), carry-over of workflow states, summary."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kizashi.engine.exec.episodes import carry_over
from kizashi.engine.exec.run import run_monitoring
from kizashi.engine.spec.packs import default_pack, load_pack_text

from .panels import BUSINESSES, EVENTS, business_one, business_two, month, row, table

PACK = """\
pack: {id: test.pack, version: "1"}
rules:
  - id: test.small_sales
    title: {ja: 売上が小さい, en: Small sales}
    explanation: {ja: "売上 {value:,.0f} 円 ({period})", en: "sales {value:,.0f} ({period})"}
    category: 収益性
    source: 試算表
    severity: medium
    next_step: {ja: 連絡, en: Call}
    support: 確認
    condition: sales < 100
    evidence: {value: sales}
"""


def _sales_panel(values: list[int | None]) -> pa.Table:
    return table([row(7, i, sales=v) for i, v in enumerate(values) if v is not None])


BIZ7 = pa.table(
    {
        "business_id": pa.array([7], pa.int64()),
        "industry_code": ["09"],
        "employees": pa.array([1], pa.int32()),
    }
)


def test_default_pack_firings_by_hand():
    res = run_monitoring(table(business_one() + business_two()), BUSINESSES, EVENTS)
    fired = {
        (r["business_id"], r["rule_id"]): json.loads(r["evidence"]) for r in res.firings.to_pylist()
    }
    # business 1 is healthy; business 2: delinquency on 2024-12-15, three months before 2025-03
    assert not [k for k in fired if k[0] == 1]
    assert fired[(2, "credit.delinquency")] == {"months": 3, "days_past_due": 45}
    # unknown (TTM spans the missing month) is not a firing
    assert (2, "finance.operating_loss_streak") not in fired
    assert (2, "finance.loss_before_depreciation") not in fired
    ep = {(e["business_id"], e["rule_id"]): e for e in res.episodes.to_pylist()}
    d = ep[(2, "credit.delinquency")]
    assert d["opened_month"] == dt.date(2024, 12, 1) and d["is_open"] and d["pack"] == res.pack
    # before the gap business 2 had 12 months of losses: ordinary loss before depreciation opened
    # at 2024-03 (first computable TTM) and is still open — unknown months never close a flag
    lb = ep[(2, "finance.loss_before_depreciation")]
    assert lb["opened_month"] == dt.date(2024, 3, 1) and lb["closed_month"] is None
    s = {r["business_id"]: r for r in res.summary.to_pylist()}
    assert s[2]["open_critical"] == 1 and s[2]["priority"] > s[1]["priority"] == 0


def test_episodes_open_unknown_close():
    pack = load_pack_text(PACK)
    # true, true, (missing), true, false, false, true, true
    res = run_monitoring(_sales_panel([50, 50, None, 50, 500, 500, 50, 50]), BIZ7, None, pack)
    eps = [(e["opened_month"], e["closed_month"], e["is_open"]) for e in res.episodes.to_pylist()]
    assert eps == [(month(0), month(4), False), (month(6), None, True)]
    assert res.episodes.column("evidence_latest").to_pylist()[1] == '{"value":50.0}'


def test_month_argument_and_idempotence():
    pack = load_pack_text(PACK)
    panel = _sales_panel([50, 50, None, 50, 500, 500, 50, 50])
    first = run_monitoring(panel, BIZ7, None, pack, month=month(4).isoformat()[:7])
    again = run_monitoring(panel, BIZ7, None, pack, month=month(4).isoformat()[:7])
    assert first.episodes.equals(again.episodes) and first.indicators.equals(again.indicators)
    assert first.as_of == month(4)
    assert [e["closed_month"] for e in first.episodes.to_pylist()] == [month(4)]


def test_carry_over_states():
    pack = load_pack_text(PACK)
    res = run_monitoring(_sales_panel([50, 50, None, 50, 500, 500, 50, 50]), BIZ7, None, pack)
    first = carry_over(None, res.episodes)
    assert first.column("state").to_pylist() == ["resolved", "new"]
    stored = first.to_pylist()
    stored[1]["state"] = "in_progress"
    prev = pa.Table.from_pylist(stored).select(
        ["business_id", "rule_id", "opened_month", "state", "state_reason"]
    )
    # the same run again keeps the person's state
    assert carry_over(prev, res.episodes).column("state").to_pylist() == ["resolved", "in_progress"]
    # a later run where the condition cleared → 解消
    cleared = run_monitoring(
        _sales_panel([50, 50, None, 50, 500, 500, 50, 50, 500]), BIZ7, None, pack
    )
    assert carry_over(prev, cleared.episodes).column("state").to_pylist() == [
        "resolved",
        "resolved",
    ]
    # 対応不要 stays with its reason
    stored[1].update(state="not_needed", state_reason="季節要因")
    prev2 = pa.Table.from_pylist(stored).select(
        ["business_id", "rule_id", "opened_month", "state", "state_reason"]
    )
    out = carry_over(prev2, res.episodes).to_pylist()
    assert (out[1]["state"], out[1]["state_reason"]) == ("not_needed", "季節要因")


def test_chunking_gives_the_same_answer():
    panel = table(business_one() + business_two())
    a = run_monitoring(panel, BUSINESSES, EVENTS, chunk_businesses=None)
    b = run_monitoring(panel, BUSINESSES, EVENTS, chunk_businesses=1)
    assert a.indicators.equals(b.indicators.sort_by("business_id"))
    assert a.episodes.num_rows == b.episodes.num_rows


RATIOS = [
    i
    for i in (
        "sales_growth",
        "operating_margin",
        "ebitda_debt_ratio",
        "working_capital_turnover",
        "equity_ratio",
        "borrowings_to_monthly_sales",
        "liquidity_months",
        "debt_repayment_years",
        "current_ratio",
        "gross_margin",
        "receivable_turnover",
        "interest_burden",
        "sales_3m_yoy",
        "operating_loss_streak",
    )
]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(k=st.integers(min_value=2, max_value=5000))
def test_scaling_amounts_leaves_ratios_unchanged(k):
    base = business_one()
    scaled = [
        {
            c: (v * k if isinstance(v, int) and c not in ("business_id", "employees") else v)
            for c, v in r.items()
        }
        for r in base
    ]
    a = run_monitoring(table(base), BUSINESSES, None).indicators.to_pylist()[0]
    b = run_monitoring(table(scaled), BUSINESSES, None).indicators.to_pylist()[0]
    for name in RATIOS:
        assert b[name] == pytest.approx(a[name], rel=1e-9), name
    assert b["monthly_sales"] == pytest.approx(a["monthly_sales"] * k)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drop=st.integers(min_value=12, max_value=22))
def test_a_missing_month_gives_null_not_zero(drop):
    rows = [r for i, r in enumerate(business_one()) if i != drop]
    ind = run_monitoring(table(rows), BUSINESSES, None).indicators.to_pylist()[0]
    for name in (
        "monthly_sales",
        "sales_growth",
        "operating_margin",
        "liquidity_months",
        "ebitda_ttm",
        "equity_ratio",
        "interest_burden",
        "locaben_total",
    ):
        assert ind[name] is None, name
    assert ind["current_ratio"] is not None  # balances of the as-of month do not need the gap month


def test_default_pack_is_recorded():
    res = run_monitoring(table(business_one() + business_two()), BUSINESSES, EVENTS)
    assert set(res.episodes.column("pack").to_pylist()) == {default_pack().ref}


LOAN_PACK = """\
pack: {id: test.loans, version: "1"}
rules:
  - id: test.exposure_up
    title: {ja: 保証債務残高が増えた, en: Guaranteed exposure rose}
    explanation: {ja: "保証債務残高 {now:,.0f} 円", en: "guaranteed exposure {now:,.0f}"}
    category: 信用事象
    source: 金融取引
    severity: low
    next_step: {ja: 確認, en: Check}
    support: 確認
    condition: guaranteed_balance > lag(guaranteed_balance, 1)
    evidence: {now: guaranteed_balance, total: loan_balance}
"""


def test_loan_balances_join_every_month_including_gaps():
    """The lenders' balances are on the spine in months without a trial balance too."""
    pack = load_pack_text(LOAN_PACK)
    panel = _sales_panel([500, 500, None, 500, 500])  # month 2 is a gap
    balances = pa.table(
        {
            "business_id": pa.array([7] * 5, pa.int64()),
            "month": [month(i) for i in range(5)],
            "loan_balance": pa.array([1_000, 900, 2_900, 2_800, 2_700], pa.int64()),
            "guaranteed_balance": pa.array([800, 720, 2_520, 2_440, 2_360], pa.int64()),
        }
    )
    res = run_monitoring(panel, BIZ7, None, pack, loan_balances=balances, history=True)
    fired = [(f["month"], f["evidence"]) for f in res.firings.to_pylist()]
    # a new loan in the gap month: exposure rose there, though the business sent nothing
    assert fired == [(month(2), '{"now":2520,"total":2900}')]
    ref = run_monitoring(
        panel, BIZ7, None, pack, loan_balances=balances, history=True, windows="sql"
    )
    assert ref.firings.equals(res.firings)
    # without balances the names are NULL: the rule never fires, nothing fails
    none = run_monitoring(panel, BIZ7, None, pack, history=True)
    assert none.firings.num_rows == 0
