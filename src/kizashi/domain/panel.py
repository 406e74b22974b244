"""The monthly panel contract: one row per business × month, one column per standard leaf.

This is the shape every analytical component agrees on (the synthetic portfolio writes it,
the store's panel builder maintains it, the engine reads it):

* ``business_id`` (int64) and ``month`` (date, the first day of the calendar month);
* ``fiscal_year_start`` (date): first day of the fiscal year that contains ``month``;
* one int64 column per standard chart leaf (``kizashi.domain.chart``), in yen:
  - B/S leaves (statement BS): the balance at the end of the month;
  - P/L leaves (statement PL): the flow of that month alone (not year to date);
* ``employees`` (int32, nullable).

A month for which the business supplied no data has no row: missing months are explicit.
Values are exact integers; nothing is float at rest.
"""

from __future__ import annotations

from .chart import Chart, load_chart

KEY_COLUMNS = ("business_id", "month", "fiscal_year_start")
EXTRA_COLUMNS = ("employees",)


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
