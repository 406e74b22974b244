"""The panel's stored subtotals: items rewritten over them sum to the same integers."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from kizashi.domain.chart import load_chart
from kizashi.domain.panel import item_columns, subtotal_columns, subtotal_values, terms_over

CHART = load_chart()
ALL = {c: CHART.leaf_terms(c) for c in subtotal_columns(CHART)}


def test_subtotals_are_the_charts_sums_and_derived_items():
    cols = subtotal_columns(CHART)
    assert "operating_profit" in cols and "current_assets" in cols and "sales" not in cols
    assert not set(cols) & set(item_columns(CHART))


def test_an_item_that_is_stored_is_read_as_one_column():
    assert terms_over(CHART.leaf_terms("operating_profit"), ALL) == {"operating_profit": 1}
    negated = {k: -v for k, v in CHART.leaf_terms("operating_profit").items()}
    assert terms_over(negated, ALL) == {"operating_profit": -1}


def test_a_balance_sheet_part_is_built_from_the_largest_fitting_subtotals():
    # total liabilities and net assets, balance-sheet leaves only (the engine's ``__bs`` part)
    bs = {
        k: v
        for k, v in CHART.leaf_terms("total_liabilities_and_net_assets").items()
        if CHART[k].statement == "BS"
    }
    assert terms_over(bs, ALL) == {"total_liabilities": 1, "shareholders_equity": 1}


def test_without_subtotals_or_with_a_partial_fit_the_leaves_remain():
    terms = CHART.leaf_terms("borrowings")
    assert terms_over(terms, {}) == terms
    # borrowings plus one more leaf: the subtotal and the extra leaf
    extra = {**terms, "cash_and_deposits": -1}
    assert terms_over(extra, ALL) == {"borrowings": 1, "cash_and_deposits": -1}
    # a subtotal whose leaves appear with mixed signs does not fit
    mixed = {**terms, "long_term_borrowings": -1}
    assert terms_over(mixed, {"borrowings": terms}) == mixed


def test_subtotal_values_by_hand():
    leaves = {"sales": np.array([1_000, 500]), "purchases": np.array([600, 0])}
    got = subtotal_values(leaves, CHART)
    assert got["gross_profit"].tolist() == [400, 500]
    assert got["cost_of_sales"].tolist() == [600, 0]
    assert got["borrowings"].tolist() == [0, 0]
    # an Arrow leaf's NULL counts 0, like a missing leaf
    arrow = {"sales": pa.array([1_000, None]), "purchases": pa.array([None, 7])}
    assert subtotal_values(arrow, CHART)["gross_profit"].tolist() == [1_000, -7]


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_item_sums_the_same_over_subtotals_as_over_leaves(data):
    leaves = item_columns(CHART)
    amounts = {
        c: np.array(data.draw(st.lists(st.integers(-(10**12), 10**12), min_size=3, max_size=3)))
        for c in leaves
    }
    stored = subtotal_values(amounts, CHART)
    columns = {**amounts, **stored}
    codes = data.draw(st.lists(st.sampled_from(subtotal_columns(CHART)), min_size=1, max_size=3))
    terms: dict[str, int] = {}
    for code in codes:  # a random signed combination of items, as the engine's splits are
        sign = data.draw(st.sampled_from([1, -1]))
        for leaf, s in CHART.leaf_terms(code).items():
            terms[leaf] = terms.get(leaf, 0) + sign * s
    terms = {k: v for k, v in terms.items() if v}
    subset = data.draw(st.lists(st.sampled_from(subtotal_columns(CHART)), unique=True))
    over = terms_over(terms, {c: ALL[c] for c in subset})
    via_leaves = sum((s * amounts[leaf] for leaf, s in terms.items()), np.zeros(3, np.int64))
    via_stored = sum((s * columns[c] for c, s in over.items()), np.zeros(3, np.int64))
    assert via_stored.tolist() == via_leaves.tolist()
