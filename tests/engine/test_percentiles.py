"""Each business's percentile within its peer group, per indicator, against hand computation.

A two-month portfolio (2023-04 and the as-of month 2023-05) whose current ratio (流動比率 =
current assets ÷ current liabilities × 100; here cash ÷ payables × 100) is chosen by hand:

    group E|micro (食料品製造業, 3 employees) at 2023-05
      11  cash   500 / payables 1,000 →  50 %   (in 2023-04: 9,000 / 1,000 = 900 %)
      12  cash 1,000 / payables 1,000 → 100 %
      13  cash 2,000 / payables 1,000 → 200 %
      14  cash 4,000 / payables 2,000 → 200 %   (a tie with 13)
      15  cash 4,000 / payables 1,000 → 400 %
      16  cash 1,000 / payables     0 → not computable (division by zero)
    group I|micro (小売業, 3 employees) at 2023-05
      21–24  150 %, 100 %, 300 %, 250 %
      25     data for 2023-04 only: nothing to compute at 2023-05

A percentile is the share of the *other* businesses of the group with a value whose value is
strictly lower; it needs 5 businesses with a value in the group that month.
"""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pyarrow as pa
import pytest

from kizashi.access.monitoring import whole_percent
from kizashi.engine.exec.run import run_monitoring
from kizashi.engine.exec.summary import percentile_indicators, percentiles_sql
from kizashi.engine.spec.indicators import load_indicators
from kizashi.engine.spec.packs import load_pack_text

from .panels import row, table

AS_OF = dt.date(2023, 5, 1)
# business → (cash, payables) at the as-of month (month 1 from 2023-04)
CURRENT = {
    11: (500, 1_000),
    12: (1_000, 1_000),
    13: (2_000, 1_000),
    14: (4_000, 2_000),
    15: (4_000, 1_000),
    16: (1_000, 0),
    21: (1_500, 1_000),
    22: (1_000, 1_000),
    23: (3_000, 1_000),
    24: (2_500, 1_000),
}


def _panel() -> pa.Table:
    rows = [
        row(b, 1, cash_and_deposits=cash, accounts_payable=pay, employees=3)
        for b, (cash, pay) in CURRENT.items()
    ]
    rows.append(row(11, 0, cash_and_deposits=9_000, accounts_payable=1_000, employees=3))
    rows.append(row(25, 0, cash_and_deposits=1_000, accounts_payable=1_000, employees=3))
    return table(rows)


def _businesses() -> pa.Table:
    ids = [11, 12, 13, 14, 15, 16, 21, 22, 23, 24, 25]
    return pa.table(
        {
            "business_id": pa.array(ids, pa.int64()),
            "industry_code": ["09" if b < 20 else "56" for b in ids],
            "employees": pa.array([3] * len(ids), pa.int32()),
        }
    )


# Evidence through the rule language's own peer_percentile(), to check both give one number.
PACK = """\
pack: {id: test.percentiles, version: "1"}
rules:
  - id: test.position
    title: {ja: 位置, en: Position}
    explanation: {ja: "{p}", en: "{p}"}
    category: 財務健全性
    source: 試算表
    severity: low
    next_step: {ja: 確認, en: Check}
    support: 確認
    condition: has_data
    evidence: {p: peer_percentile(current_ratio), g: peer_percentile(data_gap_months)}
"""


@pytest.fixture(scope="module")
def result():
    return run_monitoring(_panel(), _businesses(), None, load_pack_text(PACK))


def _by_business(t: pa.Table) -> dict[int, dict]:
    return {r["business_id"]: r for r in t.to_pylist()}


def test_current_ratios_are_as_written(result):
    rows = _by_business(result.indicators)
    assert result.as_of == AS_OF
    assert rows[14]["current_ratio"] == pytest.approx(200.0)
    assert rows[16]["current_ratio"] is None and rows[25]["current_ratio"] is None
    assert (rows[11]["peer_group"], rows[21]["peer_group"]) == ("E|micro", "I|micro")


def test_percentile_by_hand_with_ties_a_null_and_a_small_group(result):
    rows = _by_business(result.indicators)
    # E|micro: five values 50, 100, 200, 200, 400 (16 has none); 4 others each
    expected = {
        11: 100 * 0 / 4,  # nobody lower (2023-04's 900 % is another month)
        12: 100 * 1 / 4,  # 50 is lower
        13: 100 * 2 / 4,  # 50 and 100 are lower; the other 200 is not
        14: 100 * 2 / 4,  # the tie: the same share as 13
        15: 100 * 4 / 4,  # every other one is lower
        16: None,  # no value of its own
        # I|micro: five businesses but only four values (25 sent nothing for 2023-05)
        21: None,
        22: None,
        23: None,
        24: None,
        25: None,
    }
    got = {b: rows[b]["pct_current_ratio"] for b in expected}
    assert got == pytest.approx(expected)


def test_a_whole_tied_group_and_a_value_where_another_indicator_has_none(result):
    """試算表の未提出月数: 0 everywhere but 25 (1 month). Every business has a value here."""
    rows = _by_business(result.indicators)
    assert [rows[b]["data_gap_months"] for b in (11, 16, 21, 25)] == [0, 0, 0, 1]
    # E|micro: six zeros, nobody lower than anybody
    assert [rows[b]["pct_data_gap_months"] for b in (11, 12, 13, 14, 15, 16)] == [0.0] * 6
    # I|micro: 0, 0, 0, 0, 1 — the four zeros have nobody lower, 25 has all four lower
    assert [rows[b]["pct_data_gap_months"] for b in (21, 22, 23, 24)] == [0.0] * 4
    assert rows[25]["pct_data_gap_months"] == pytest.approx(100 * 4 / 4)
    # monthly sales need 12 months: no value, so no percentile, anywhere
    assert all(r["pct_monthly_sales"] is None for r in rows.values())


def test_which_indicators_have_a_percentile(result):
    cols = set(result.indicators.column_names)
    ids = {i.id for i in load_indicators()}
    with_pct = {c.removeprefix("pct_") for c in cols if c.startswith("pct_")}
    assert with_pct == set(percentile_indicators(load_indicators()))
    assert with_pct <= ids
    # not the yes/no insolvent, not the ロカベン scores or total
    assert "insolvent" not in with_pct and "locaben_total" not in with_pct
    assert not {i for i in with_pct if i.startswith("score_")}
    # every numeric indicator of the table does have one
    assert {"current_ratio", "sales_growth", "locaben_total_change", "data_gap_months"} <= with_pct


def test_the_rule_function_gives_the_same_number(result):
    ev = {
        r["business_id"]: json.loads(r["evidence"])
        for r in result.firings.to_pylist()
        if r["rule_id"] == "test.position"
    }
    rows = _by_business(result.indicators)
    assert set(ev) == {11, 12, 13, 14, 15, 16, 21, 22, 23, 24}  # 25 has no data in 2023-05
    for b, e in ev.items():
        assert e["p"] == rows[b]["pct_current_ratio"], b
        assert e["g"] == rows[b]["pct_data_gap_months"], b


def test_chunking_and_history_give_the_same_percentiles(result):
    chunked = run_monitoring(
        _panel(), _businesses(), None, load_pack_text(PACK), chunk_businesses=2
    )
    assert chunked.indicators.equals(result.indicators)
    full = run_monitoring(_panel(), _businesses(), None, load_pack_text(PACK), history=True)
    rows = full.indicators.to_pylist()
    as_of = [r for r in rows if r["month"] == AS_OF]
    assert pa.Table.from_pylist(as_of, schema=full.indicators.schema).equals(result.indicators)
    # 2023-04: only 11 and 25, one in each group — too few for a percentile
    april = [r for r in rows if r["month"] == dt.date(2023, 4, 1)]
    assert {r["business_id"] for r in april} == {11, 25}
    assert all(r["pct_current_ratio"] is None for r in april)


def test_percentiles_sql_is_per_group_and_month():
    """The SQL alone over a hand-made ``out``: groups and months never mix."""
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE out AS SELECT * FROM (VALUES "
        "(1, 10, 'A', 1.0), (2, 10, 'A', 2.0), (3, 10, 'A', 3.0), (4, 10, 'A', 4.0), "
        "(5, 10, 'A', 5.0), (6, 10, 'B', 0.5), (1, 11, 'A', 9.0), (2, 11, 'A', 8.0), "
        "(3, 11, 'A', 7.0), (4, 11, 'A', 6.0), (5, 11, 'A', NULL), (6, 11, 'A', 1.0)"
        ") AS t(business_id, m, peer_group, x)"
    )
    got = {
        (b, m): p
        for b, m, p in con.execute(percentiles_sql(["x"], "TRUE", 5) + " ORDER BY 2, 1").fetchall()
    }
    # month 10, group A: 1…5 → 0, 25, 50, 75, 100; group B has one business
    assert [got[(b, 10)] for b in range(1, 7)] == [0.0, 25.0, 50.0, 75.0, 100.0, None]
    # month 11, group A: 9, 8, 7, 6, NULL, 1 → five values
    assert [got[(b, 11)] for b in range(1, 7)] == [100.0, 75.0, 50.0, 25.0, None, 0.0]
    only = con.execute(percentiles_sql(["x"], "m = 11", 5)).fetchall()
    assert {m for _, m, _ in only} == {11}
    assert percentiles_sql(["x"], "TRUE", 7) and all(
        p is None for *_, p in con.execute(percentiles_sql(["x"], "TRUE", 7)).fetchall()
    )


@pytest.mark.parametrize(
    "raw,shown",
    [
        (None, None),
        (0.0, 0),  # nobody lower
        (0.3, 1),  # somebody lower: never "0 %"
        (12.5, 13),  # half up
        (100 / 3, 33),
        (50.0, 50),
        (99.7, 99),  # somebody not lower: never "100 %"
        (100.0, 100),
    ],
)
def test_whole_percent(raw, shown):
    assert whole_percent(raw) == shown
