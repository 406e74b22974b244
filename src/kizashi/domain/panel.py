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
  row (a month of a trial balance). An annual statement (決算書) of a fiscal year for which the
  business supplied no monthly trial balance is one row at its fiscal-year-end month, with the
  year's P/L, the year-end B/S balances and ``span_months`` = the months of that fiscal year
  (normally 12; fewer for a short first or transitional year); its ``fiscal_year_start`` is the
  first day of the first month it covers, and the other months of that year have no row.
  Readers treat a missing column or NULL as 1 (panels written before the column existed).

A month for which the business supplied no data has no row: missing months are explicit.
Months covered by an annual row are not filled in either: a trailing sum is computable only
when the rows in its window cover exactly its months (the engine's ``span``).
Values are exact integers; nothing is float at rest.
"""

from __future__ import annotations

from .chart import Chart, load_chart

KEY_COLUMNS = ("business_id", "month", "fiscal_year_start")
EXTRA_COLUMNS = ("employees", "span_months")


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
