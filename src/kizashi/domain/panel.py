"""The monthly panel contract: one row per business × month, one column per standard leaf.

This is the shape every analytical component agrees on (the synthetic portfolio writes it,
the store's panel builder maintains it, the engine reads it):

* ``business_id`` (int64) and ``month`` (date, the first day of the calendar month);
* ``fiscal_year_start`` (date): first day of the fiscal year that contains ``month``;
* one int64 column per standard chart leaf (``kizashi.domain.chart``), in yen:
  - B/S leaves (statement BS): the balance at the end of the month;
  - P/L leaves (statement PL): the flow of the ``span_months`` months ending with ``month``
    (that month alone for a monthly row; never year to date);
* ``employees`` (int32, nullable);
* ``span_months`` (int16): the number of months the row's P/L flows cover. 1 for a monthly
  row (a month of a trial balance). After missing months, a trial balance's flows cover them
  too: ``span_months`` is then the months since the fiscal year's previous trial balance (or
  since the year start for its first one), and the missing months have no row. An annual
  statement (決算書) of a fiscal year for which the business supplied no monthly trial balance
  is one row at its fiscal-year-end month, with the year's P/L, the year-end B/S balances and
  ``span_months`` = the months of that fiscal year
  (normally 12; fewer for a short first or transitional year); its ``fiscal_year_start`` is the
  first day of the first month it covers, and the other months of that year have no row.
  Readers treat a missing column or NULL as 1 (panels written before the column existed).
* optionally ``late_corrections`` (int16) and ``late_correction_yen`` (int64): past months'
  trial balances replaced after a later month had been delivered, counted on the row of the
  latest month delivered when each correction arrived, and the largest change in one item
  (the store's panel builder writes them; readers treat a missing column or NULL as 0).

Optionally, the subtotals: one int64 column per chart sum or derived item (``subtotal_columns``:
``operating_profit``, ``current_assets`` …), each exactly the signed sum of the item's leaves on
the same row (``Chart.leaf_terms``; a NULL leaf counts 0), never NULL. The writers (the synthetic
portfolio, the store's panel builder) add them so that a reader needs ~20 columns for what
would otherwise be ~80 leaves; a reader uses a subtotal only when every part of the panel has
it (``terms_over``) and otherwise sums the leaves: the same integers either way.

A month for which the business supplied no data has no row: missing months are explicit.
Months covered by an annual row are not filled in either: a trailing sum is computable only
when the rows in its window cover exactly its months (the engine's ``span``).
Values are exact integers; nothing is float at rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .chart import Chart, load_chart

KEY_COLUMNS = ("business_id", "month", "fiscal_year_start")
EXTRA_COLUMNS = ("employees", "span_months")
# Beside the panel, the monthly loan balances (one row per business × month end, int yen):
# ``business_id``, ``month`` and these two. Written by ``jobs.panel_sync`` and the synthetic
# portfolio; the spine joins them when a formula reads them.
LOAN_BALANCE_COLUMNS = ("loan_balance", "guaranteed_balance")
# past months' trial balances replaced after a later month had been delivered, on the row of the
# month the books had reached (``jobs.panel_sync``): how many, and the largest change in one item
LATE_CORRECTION_COLUMNS = ("late_corrections", "late_correction_yen")


@dataclass(frozen=True)
class LoanColumns:
    """Where a loans table (one row per loan) keeps what the monitoring summary reads.

    Declared, never guessed: the engine reads exactly these columns and says which one is
    missing. ``balance``: principal outstanding (int yen); ``guarantee_ratio_pct``: the
    guaranteed share in percent (0–100; NULL counts 100); ``guaranteed``: whether the loan is
    guaranteed (a loan that is not counts 0 guaranteed exposure), or None when every loan of
    the table is.
    """

    business_id: str = "business_id"
    balance: str = "balance"
    guarantee_ratio_pct: str = "guarantee_ratio_pct"
    guaranteed: str | None = "guaranteed"


LOAN_COLUMNS = LoanColumns()  # the store's loans as jobs.monitoring hands them over


def item_columns(chart: Chart | None = None) -> tuple[str, ...]:
    """Chart leaf codes in chart order: the panel's amount columns."""
    chart = chart or load_chart()
    return tuple(i.code for i in chart.leaves)


def bs_columns(chart: Chart | None = None) -> tuple[str, ...]:
    chart = chart or load_chart()
    return tuple(i.code for i in chart.leaves if i.statement == "BS")


def pl_columns(chart: Chart | None = None) -> tuple[str, ...]:
    chart = chart or load_chart()
    return tuple(i.code for i in chart.leaves if i.statement == "PL")


def subtotal_columns(chart: Chart | None = None) -> tuple[str, ...]:
    """Chart sum and derived item codes in chart order: the panel's optional subtotals."""
    chart = chart or load_chart()
    return tuple(i.code for i in chart.items if i.kind != "leaf")


def terms_over(terms: Mapping[str, int], stored: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
    """``terms`` (signed leaf codes) rewritten over stored subtotal columns where possible.

    ``stored`` maps each subtotal column the panel has to its own signed leaf terms. Larger
    subtotals are taken first; one is used (with sign +1 or −1) when all of its leaves are among
    the remaining terms with the same relative signs. What is left stays as leaves. The result
    sums to exactly the same integers as ``terms`` on any row that keeps the subtotal contract.
    """
    rest = dict(terms)
    out: dict[str, int] = {}
    for col, t in sorted(stored.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        if not t or len(t) > len(rest):
            continue
        for sign in (1, -1):
            if all(rest.get(leaf) == sign * s for leaf, s in t.items()):
                for leaf in t:
                    del rest[leaf]
                out[col] = sign
                break
    return {**out, **rest}


def subtotal_values(leaves: Mapping[str, Any], chart: Chart | None = None) -> dict[str, Any]:
    """The subtotal columns computed from leaf columns (NumPy int64 arrays or Arrow arrays).

    A leaf missing from ``leaves`` counts 0; NULLs in an Arrow leaf count 0.
    """
    import numpy as np
    import pyarrow as pa

    chart = chart or load_chart()
    n = len(next(iter(leaves.values())))
    arrays: dict[str, np.ndarray] = {}

    def leaf(code: str) -> np.ndarray:
        if code not in arrays:
            v = leaves.get(code)
            if v is None:
                arrays[code] = np.zeros(n, dtype=np.int64)
            elif isinstance(v, pa.Array | pa.ChunkedArray):
                arrays[code] = np.asarray(v.fill_null(0).to_numpy(), dtype=np.int64)
            else:
                arrays[code] = np.asarray(v, dtype=np.int64)
        return arrays[code]

    out: dict[str, Any] = {}
    for code in subtotal_columns(chart):
        total = np.zeros(n, dtype=np.int64)
        for term, sign in chart.leaf_terms(code).items():
            if sign > 0:
                total += leaf(term)
            else:
                total -= leaf(term)
        out[code] = total
    return out
