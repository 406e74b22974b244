"""The synthetic portfolio generator: ``generate(n_businesses, seed, …)`` yields chunks.

Work is done in fixed blocks of ``BLOCK`` businesses, each with its own random stream
``default_rng([seed, block])``: the output for a seed does not depend on ``chunk_size``
(chunks are cut from the blocks), and memory depends on the chunk size only.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import pyarrow as pa

from kizashi.domain.panel import (
    EXTRA_COLUMNS,
    KEY_COLUMNS,
    LoanColumns,
    item_columns,
    subtotal_columns,
    subtotal_values,
)

from .balance import build_balance
from .businesses import Identity, draw_identity
from .calendar import Horizon, month_index, to_dates
from .distress import KINDS, NONE, PATHS, Timelines, draw_timelines, ramp
from .events import EVENT_KINDS, Events, build_events, outcomes
from .loans import LoanBook, build_loans, panel_effects
from .params import Params, load_params
from .profit import build_profit, draw_economics, stabilise_margins

BLOCK = 1000
TABLES = ("businesses", "loans", "repayments", "credit_events", "panel", "loan_balances")


@dataclass(frozen=True)
class PortfolioChunk:
    """One slice of the portfolio: businesses ``first_id``..``last_id`` and everything of theirs."""

    index: int
    first_id: int
    last_id: int
    businesses: pa.Table
    loans: pa.Table
    repayments: pa.Table
    credit_events: pa.Table
    panel: pa.Table
    loan_balances: pa.Table

    def tables(self) -> dict[str, pa.Table]:
        return {name: getattr(self, name) for name in TABLES}


def _date_col(days: np.ndarray) -> pa.Array:
    return pa.array(days.astype("datetime64[D]"), type=pa.date32())


def _nullable(values: np.ndarray, null: np.ndarray, typ: pa.DataType) -> pa.Array:
    return pa.array(values, type=typ, mask=null)


def _block(
    seed: int, block: int, first_id: int, n: int, hz: Horizon, params: Params
) -> dict[str, pa.Table]:
    rng = np.random.default_rng([seed, block])
    ids = np.arange(first_id, first_id + n, dtype=np.int64)
    who = draw_identity(rng, ids, params)
    who = replace(who, founded_mi=np.minimum(who.founded_mi, hz.sim_start - 12))
    eco = draw_economics(rng, who, params)
    tl = draw_timelines(rng, n, hz.T, params)
    eco = stabilise_margins(rng, eco, tl.path, params)
    level = ramp(tl, hz.T)
    book = build_loans(rng, eco.annual_sales / 12, who.founded_mi, tl, hz, params)
    m = build_profit(rng, who, eco, tl, level, hz, params)
    build_balance(rng, who, eco, tl, level, m, panel_effects(book, hz, n), hz, params)
    ev = build_events(tl, book, hz, n)
    outcome, outcome_on = outcomes(ev, book, n)
    loan_ids = ids[book.business] * 10 + book.seq
    return {
        "businesses": _businesses(who, tl, outcome, outcome_on),
        "loans": _loans(book, ids, loan_ids),
        "repayments": _repayments(book, loan_ids),
        "credit_events": _events(ev, book, ids, loan_ids),
        "panel": _panel(m, who, np.where(outcome == 3, tl.subrogation, hz.T - 1), hz),
        "loan_balances": _loan_balances(book, ids, hz),
    }


def _businesses(
    who: Identity, tl: Timelines, outcome: np.ndarray, outcome_on: np.ndarray
) -> pa.Table:
    sole = who.sole
    no_capital = who.capital == 0
    return pa.table(
        {
            "business_id": pa.array(who.business_id, pa.int64()),
            "corporate_number": pa.array(who.corporate_number, pa.string()),
            "name": pa.array(who.name, pa.string()),
            "legal_form": _nullable(who.legal_form, sole, pa.string()),
            "industry_code": pa.array(who.industry_code, pa.string()),
            "prefecture_code": pa.array(who.prefecture_code, pa.string()),
            "fiscal_year_end_month": pa.array(who.fiscal_year_end_month, pa.int8()),
            "employees": pa.array(who.employees, pa.int32()),
            "capital_yen": _nullable(who.capital, no_capital, pa.int64()),
            "founded_on": _date_col(to_dates(who.founded_mi, who.founded_day)),
            "path": pa.array(np.asarray(PATHS)[tl.path], pa.string()),
            "outcome": pa.array(np.asarray(KINDS)[outcome], pa.string()),
            "outcome_month": _date_col(outcome_on.astype("datetime64[M]").astype("datetime64[D]")),
        }
    )


# The ``loans`` table's columns the monitoring summary reads (``run_monitoring(loans=…,
# loan_columns=LOAN_COLUMNS)``): the store's names but for the balance.
LOAN_COLUMNS = LoanColumns(balance="balance_end")


def _loans(book: LoanBook, ids: np.ndarray, loan_ids: np.ndarray) -> pa.Table:
    no_grace = book.grace_end_mi <= book.start_mi
    return pa.table(
        {
            "loan_id": pa.array(loan_ids, pa.int64()),
            "business_id": pa.array(ids[book.business], pa.int64()),
            "lender_index": pa.array(book.lender, pa.int8()),
            "guaranteed": pa.array(book.guaranteed, pa.bool_()),
            "guarantee_ratio_pct": _nullable(book.ratio_pct, ~book.guaranteed, pa.int8()),
            "original_amount": pa.array(book.original, pa.int64()),
            "start_date": _date_col(to_dates(book.start_mi, book.due_day)),
            "grace_end_date": pa.array(
                to_dates(book.grace_end_mi, book.due_day), pa.date32(), mask=no_grace
            ),
            "maturity_date": _date_col(to_dates(book.maturity_now_mi, book.due_day)),
            "interest_rate_bp": pa.array(book.rate_bp, pa.int32()),
            "balance_end": pa.array(book.balance_end, pa.int64()),
        }
    )


def _repayments(book: LoanBook, loan_ids: np.ndarray) -> pa.Table:
    unpaid = book.paid_mi >= NONE
    day = book.due_day[book.row_loan]
    return pa.table(
        {
            "loan_id": pa.array(loan_ids[book.row_loan], pa.int64()),
            "due_date": _date_col(to_dates(book.row_mi, day)),
            "principal": pa.array(book.principal, pa.int64()),
            "interest": pa.array(book.interest, pa.int64()),
            "paid_on": pa.array(
                to_dates(np.where(unpaid, 0, book.paid_mi), day), pa.date32(), mask=unpaid
            ),
        }
    )


def _events(ev: Events, book: LoanBook, ids: np.ndarray, loan_ids: np.ndarray) -> pa.Table:
    loan_id = loan_ids[ev.loan]
    return pa.table(
        {
            "event_id": pa.array(loan_id * 100 + ev.seq, pa.int64()),
            "loan_id": pa.array(loan_id, pa.int64()),
            "business_id": pa.array(ids[book.business[ev.loan]], pa.int64()),
            "kind": pa.array(np.asarray(EVENT_KINDS)[ev.kind], pa.string()),
            "occurred_on": _date_col(ev.occurred_on),
            "days_past_due": _nullable(ev.days_past_due, ev.days_past_due < 0, pa.int32()),
        }
    )


def _loan_balances(book: LoanBook, ids: np.ndarray, hz: Horizon) -> pa.Table:
    """Each business's outstanding principal at every month end of the horizon.

    ``loan_balance``: the original amounts of loans started by the month, less the principal
    paid by then (``repayments.paid_on``); ``guaranteed_balance``: per guaranteed loan, its
    outstanding principal × its guarantee ratio, rounded down to the yen, summed. The same
    definition as the store's (``kizashi.jobs.panel_sync.loan_balances_sql``).
    """
    n_loans, T = len(book.original), hz.T
    delta = np.zeros((n_loans, T + 1), dtype=np.int64)
    start = np.clip(book.start_mi - hz.sim_start, 0, T)
    np.add.at(delta, (np.arange(n_loans), start), book.original)
    paid = book.paid_mi < NONE
    when = np.clip(book.paid_mi[paid] - hz.sim_start, 0, T)
    np.add.at(delta, (book.row_loan[paid], when), -book.principal[paid])
    out = np.cumsum(delta, axis=1)[:, :T]  # per loan × month
    guaranteed = out * np.where(book.guaranteed, book.ratio_pct, 0)[:, None] // 100
    n = len(ids)
    total = np.zeros((n, T), dtype=np.int64)
    guar = np.zeros((n, T), dtype=np.int64)
    np.add.at(total, book.business, out)
    np.add.at(guar, book.business, guaranteed)
    months = hz.sim_start + np.arange(T)
    return pa.table(
        {
            "business_id": pa.array(np.repeat(ids, T), pa.int64()),
            "month": _date_col(to_dates(np.tile(months, n))),
            "loan_balance": pa.array(total.ravel(), pa.int64()),
            "guaranteed_balance": pa.array(guar.ravel(), pa.int64()),
        }
    )


def _panel(m: dict[str, np.ndarray], who: Identity, last_t: np.ndarray, hz: Horizon) -> pa.Table:
    """Rows from each business's fiscal-year start before the window; reporting stops at
    代位弁済 (``last_t``)."""
    t = np.arange(hz.T)[None, :]
    first = hz.panel_start_t(who.fiscal_year_end_month)[:, None]
    last = last_t[:, None]
    mask = (t >= first) & (t <= last)
    rows = int(mask.sum())
    month_mi = np.broadcast_to(hz.sim_start + t, mask.shape)[mask]
    fye = np.broadcast_to(who.fiscal_year_end_month[:, None], mask.shape)[mask]
    fy_start = month_mi - (month_mi % 12 - fye % 12) % 12
    cols: dict[str, pa.Array] = {
        "business_id": pa.array(np.broadcast_to(who.business_id[:, None], mask.shape)[mask]),
        "month": _date_col(to_dates(month_mi)),
        "fiscal_year_start": _date_col(to_dates(fy_start)),
    }
    zeros = np.zeros(rows, dtype=np.int64)
    leaves = {code: m[code][mask] if code in m else zeros for code in item_columns()}
    for code, v in leaves.items():
        cols[code] = pa.array(v, pa.int64())
    cols["employees"] = pa.array(m["employees"][mask], pa.int32())
    cols["span_months"] = pa.array(np.ones(rows, dtype=np.int16))  # every row is one month
    for code, v in subtotal_values(leaves).items():
        cols[code] = pa.array(v, pa.int64())
    assert tuple(cols) == (*KEY_COLUMNS, *item_columns(), *EXTRA_COLUMNS, *subtotal_columns())
    return pa.table(cols)


def generate(
    n_businesses: int,
    seed: int = 0,
    months: int = 36,
    end_month: date = date(2026, 9, 1),
    chunk_size: int = 20000,
) -> Iterator[PortfolioChunk]:
    """Yield the portfolio in chunks of ``chunk_size`` businesses (ids 1..n_businesses)."""
    if n_businesses < 0 or chunk_size < 1 or months < 13:
        raise ValueError("n_businesses >= 0, chunk_size >= 1 and months >= 13 are required")
    params = load_params()
    hz = Horizon(end=month_index(end_month), months=months)
    cache: dict[int, dict[str, pa.Table]] = {}
    for index, lo in enumerate(range(0, n_businesses, chunk_size)):
        hi = min(lo + chunk_size, n_businesses)
        parts: dict[str, list[pa.Table]] = {name: [] for name in TABLES}
        for block in range(lo // BLOCK, (hi - 1) // BLOCK + 1):
            if block not in cache:
                b_lo = block * BLOCK
                size = min(BLOCK, n_businesses - b_lo)
                cache[block] = _block(seed, block, b_lo + 1, size, hz, params)
            tables = cache[block]
            inner = block * BLOCK >= lo and (block + 1) * BLOCK <= hi
            for name, table in tables.items():
                parts[name].append(table if inner else _slice(table, lo + 1, hi))
        for block in [b for b in cache if (b + 1) * BLOCK <= hi]:
            del cache[block]
        yield PortfolioChunk(
            index, lo + 1, hi, **{k: pa.concat_tables(v) for k, v in parts.items()}
        )


def _slice(table: pa.Table, first_id: int, last_id: int) -> pa.Table:
    """Rows of businesses first_id..last_id (by business_id, or by loan_id // 10)."""
    key = "business_id" if "business_id" in table.column_names else "loan_id"
    ids = table.column(key).to_numpy()
    if key == "loan_id":
        ids = ids // 10
    keep = (ids >= first_id) & (ids <= last_id)
    return table.filter(pa.array(keep))
