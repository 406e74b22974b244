from __future__ import annotations

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from kizashi.domain.chart import load_chart, parse_chart


def test_shipped_chart_is_valid_and_has_the_analytic_sums():
    chart = load_chart()
    assert chart.version
    for code in (
        "sales",
        "operating_profit",
        "ordinary_profit",
        "net_assets",
        "borrowings",
        "trade_receivables",
        "inventories",
        "trade_payables",
        "depreciation_total",
    ):
        assert code in chart
    assert chart.leaf_terms("borrowings") == {
        "short_term_borrowings": 1,
        "current_portion_long_term_borrowings": 1,
        "long_term_borrowings": 1,
    }
    assert chart.leaf_terms("depreciation_total") == {"depreciation": 1, "mfg_depreciation": 1}


def test_contra_items_subtract():
    chart = load_chart()
    amounts = {
        "buildings": 10_000,
        "accumulated_depreciation": 3_000,
        "cash_and_deposits": 500,
        "allowance_doubtful_current": 50,
    }
    assert chart.evaluate(amounts, "tangible_fixed_assets") == 7_000
    assert chart.evaluate(amounts, "current_assets") == 450
    assert chart.evaluate(amounts, "total_assets") == 7_450


def test_a_hand_made_trial_balance_balances_with_year_to_date_profit():
    chart = load_chart()
    # 資産 1,000 = 負債 400 + 資本金 300 + 繰越利益 200 + 当期純利益 (売上 500 − 仕入 300 − 給料 100)
    tb = {
        "cash_and_deposits": 1_000,
        "short_term_borrowings": 400,
        "capital_stock": 300,
        "retained_earnings": 200,
        "sales": 500,
        "purchases": 300,
        "salaries": 100,
    }
    assert chart.evaluate(tb, "operating_profit") == 100
    assert chart.evaluate(tb, "net_assets") == 600
    assert chart.balance_difference(tb) == 0
    assert chart.balance_difference({**tb, "cash_and_deposits": 999}) == -1


@given(
    st.dictionaries(
        st.sampled_from([i.code for i in load_chart().leaves]),
        st.integers(-(10**12), 10**12),
        max_size=30,
    ),
    st.integers(-1000, 1000),
)
def test_evaluation_is_linear(amounts, k):
    chart = load_chart()
    scaled = {c: v * k for c, v in amounts.items()}
    for code in ("total_assets", "net_income", "net_assets", "gross_profit"):
        assert chart.evaluate(scaled, code) == k * chart.evaluate(amounts, code)


def test_chart_errors_are_all_reported():
    doc = yaml.safe_load("""
items:
  - {code: a, ja: A, en: A, statement: BS, side: debit, kind: sum}
  - {code: a, ja: A, en: A, statement: BS, side: debit, kind: leaf}
  - {code: b, ja: B, en: B, statement: XX, side: left, kind: leaf, parent: nowhere}
  - {code: c, ja: C, en: C, statement: PL, side: debit, kind: derived, formula: a + zzz}
""")
    with pytest.raises(ValueError) as exc:
        parse_chart(doc)
    msg = str(exc.value)
    for part in (
        "duplicate code a",
        "b: unknown parent nowhere",
        "b: side must be",
        "b: statement must be",
        "c: formula uses unknown code zzz",
    ):
        assert part in msg
