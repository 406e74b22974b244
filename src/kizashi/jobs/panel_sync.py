"""Keep the analytical monthly panel in step with the operational store, incrementally.

The panel (``kizashi.domain.panel``: one row per business × month, one column per standard
leaf) lives in a DuckDB file beside the store (``<data_dir>/analytics.duckdb``). A sync
re-pivots only the businesses that have statements newer than the last sync's watermark
(statement ids only grow; a correction is a new statement), so a monthly run does not re-read
billions of account rows. Running it twice changes nothing the second time.

Cumulative trial balances become flows here: a P/L flow is the difference from the previous
trial balance of the same fiscal year, or the cumulative figure itself for the first one of the
year; ``span_months`` says how many months it covers. With every month present that is one
month per row. After a missing month the row's flow covers the missing month too (June after
April: June's cumulative minus April's, ``span_months`` = 2): nothing is lost, the missing
month stays an explicit gap, and a trailing sum over it is still exact, because the engine
counts the months each row covers.

Monthly loan balances (``loan_balances``: business × month end, ``loan_balance`` and
``guaranteed_balance``) are rebuilt from the store's loans and the instalments' ``paid_on`` on
every sync: a payment changes no statement, so the statement watermark cannot find it. This
reads every loan and paid instalment (a few hundred thousand rows for the demo); an
incremental version needs a change record for loans (future work).

Each row also carries the subtotals (``kizashi.domain.panel.subtotal_columns``), computed here
from its leaves, so that a monitoring run reads ~20 columns instead of ~80.

Annual statements (決算書) fill the fiscal years for which a business has no monthly trial
balance at all: one row at the month of the statement's period end, with the year's P/L, the
year-end B/S balances and ``span_months`` = the months from ``period_start`` to ``period_end``
(normally 12). If any month of that fiscal year has a monthly trial balance, the monthly rows
win and the annual statement is left out: its P/L already contains those months, so keeping
both would count them twice (the year's other months stay explicit gaps).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import func, select, text

from kizashi.domain.chart import load_chart
from kizashi.domain.panel import (
    EXTRA_COLUMNS,
    KEY_COLUMNS,
    LATE_CORRECTION_COLUMNS,
    bs_columns,
    item_columns,
    pl_columns,
    subtotal_columns,
)
from kizashi.domain.vocabulary import StatementKind
from kizashi.engine.exec.dialect import DUCKDB
from kizashi.store.analytics import analytics_path
from kizashi.store.analytics_schema import (
    EMPTY_LOAN_BALANCES_DDL,
    LOAN_BALANCE_COLUMNS,
    LOAN_BALANCES,
    PANEL,
    PANEL_META,
    ensure_panel,
)
from kizashi.store.db import Store
from kizashi.store.models import Business, Loan, RepaymentInstalment, Statement, StatementLine

BATCH = 2000  # businesses re-pivoted per batch (bounds memory)


@dataclass(frozen=True)
class SyncResult:
    businesses_changed: int
    rows_written: int
    watermark: int


def _batches(items: list[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


_LINE_TYPES = {
    "statement_id": pa.int64(),
    "business_id": pa.int64(),
    "period_end": pa.date32(),
    "fiscal_year_start": pa.date32(),
    "period_start": pa.date32(),
    "item_code": pa.string(),
}


def _fetch_lines(store: Store, business_ids: list[int], kind: StatementKind) -> pa.Table:
    """Current (not superseded) statement lines of one kind, summed per standard item.

    A monthly trial balance is keyed by its month; an annual statement also by its id (of two
    closing in the same month, the one stored last is used) and by its period start (the
    months it covers).
    """
    keys: dict[str, Any] = {
        "business_id": Statement.business_id,
        "period_end": Statement.period_end,
        "fiscal_year_start": Statement.fiscal_year_start,
    }
    if kind == StatementKind.ANNUAL:
        keys = {"statement_id": Statement.id, **keys, "period_start": Statement.period_start}
    group = [*keys.values(), StatementLine.item_code]
    stmt = (
        select(*group, func.sum(StatementLine.amount))
        .join(StatementLine, StatementLine.statement_id == Statement.id)
        .where(
            Statement.kind == kind,
            Statement.superseded_by_id.is_(None),
            Statement.business_id.in_(business_ids),
        )
        .group_by(*group)
    )
    with store.read_session() as session:
        rows = session.execute(stmt).all()
    names = [*keys, "item_code"]
    cols: list[tuple[Any, ...]] = list(zip(*rows, strict=True)) if rows else [()] * (len(names) + 1)
    data = {n: pa.array(c, _LINE_TYPES[n]) for n, c in zip(names, cols, strict=False)}
    data["amount"] = pa.array([int(v) for v in cols[-1]], pa.int64())
    return pa.table(data)


def _employees(store: Store, business_ids: list[int]) -> pa.Table:
    with store.read_session() as session:
        rows = session.execute(
            select(Business.id, Business.employees).where(Business.id.in_(business_ids))
        ).all()
    return _table(rows, pa.schema({"business_id": pa.int64(), "employees": pa.int32()}))


CORRECTION_SCHEMA = pa.schema(
    {
        "business_id": pa.int64(),
        "month": pa.date32(),
        "late_corrections": pa.int16(),
        "late_correction_yen": pa.int64(),
    }
)


def _corrections(store: Store, business_ids: list[int]) -> pa.Table:
    """Late corrections (差し替え) of monthly trial balances, on the row of the month the books
    had reached when each arrived.

    A corrected file for a month stores a new version that supersedes the old one. It is *late*
    when, before it arrived, a trial balance of a later month had already been delivered: the
    books had moved on and a past month was rewritten. Each late correction counts on the row of
    the latest month delivered before it arrived (that month's run is the first to see it), with
    the largest change in any one standard item between the two versions (absolute yen; an item
    missing from one version is 0 there). A correction of the latest month is not late.
    """
    new, old = Statement.__table__.alias("new"), Statement.__table__.alias("old")
    with store.read_session() as session:
        pairs = session.execute(
            select(new.c.business_id, new.c.id, new.c.period_end, new.c.created_at, old.c.id)
            .join(old, old.c.superseded_by_id == new.c.id)
            .where(
                new.c.kind == StatementKind.MONTHLY_TB,
                new.c.business_id.in_(business_ids),
            )
        ).all()
        if not pairs:
            return CORRECTION_SCHEMA.empty_table()
        bids = sorted({p[0] for p in pairs})
        delivered: dict[int, list[tuple[datetime, date]]] = {}
        for bid, end, at in session.execute(
            select(Statement.business_id, Statement.period_end, Statement.created_at).where(
                Statement.kind == StatementKind.MONTHLY_TB, Statement.business_id.in_(bids)
            )
        ):
            delivered.setdefault(bid, []).append((at, end))
        ids = sorted({p[1] for p in pairs} | {p[4] for p in pairs})
        sums: dict[int, dict[str, int]] = {}
        for i in range(0, len(ids), 5000):
            for sid, code, amount in session.execute(
                select(
                    StatementLine.statement_id,
                    StatementLine.item_code,
                    func.sum(StatementLine.amount),
                )
                .where(StatementLine.statement_id.in_(ids[i : i + 5000]))
                .group_by(StatementLine.statement_id, StatementLine.item_code)
            ):
                sums.setdefault(sid, {})[code] = int(amount)
    out: dict[tuple[int, date], list[int]] = {}
    for bid, new_id, end, arrived, old_id in pairs:
        before = [e for at, e in delivered.get(bid, []) if at < arrived]
        reached = max(before, default=end)
        if reached <= end:
            continue  # the latest month corrected: not late
        a, b = sums.get(new_id, {}), sums.get(old_id, {})
        change = max((abs(a.get(c, 0) - b.get(c, 0)) for c in a.keys() | b.keys()), default=0)
        slot = out.setdefault((bid, reached.replace(day=1)), [0, 0])
        slot[0] += 1
        slot[1] = max(slot[1], change)
    rows = [(bid, m, n, y) for (bid, m), (n, y) in sorted(out.items())]
    return _table(rows, CORRECTION_SCHEMA)


def _table(rows: Sequence[Sequence[Any]], schema: pa.Schema) -> pa.Table:
    """Result rows of a store query as an Arrow table with ``schema`` (columns in order)."""
    cols = list(zip(*rows, strict=True)) if rows else [()] * len(schema)
    return pa.table([pa.array(c, f.type) for c, f in zip(cols, schema, strict=True)], schema=schema)


# Months from period_start to period_end, to the nearest whole month: a fiscal year closing on
# the 20th (21st to 20th) is 12 months, as is one whose end date is a day short.
_SPAN = (
    "CAST(GREATEST(1, round((date_diff('day', period_start, period_end) + 1) * 12 / 365.25)) "
    "AS SMALLINT)"
)


def _wide_sql() -> str:
    pivot = ", ".join(
        f"SUM(amount) FILTER (WHERE item_code = '{c}') AS \"{c}\"" for c in item_columns()
    )
    cum = (
        "SELECT business_id, date_trunc('month', period_end)::DATE AS month, fiscal_year_start, "
        f"{pivot} FROM lines GROUP BY ALL"
    )
    annual = (
        "SELECT business_id, statement_id, date_trunc('month', period_end)::DATE AS month, "
        f"{_SPAN} AS span_months, {pivot} FROM annual_lines GROUP BY ALL"
    )
    # a fiscal year with a monthly trial balance in any month it covers keeps the monthly rows
    # (the annual P/L contains those months); of two annual statements closing in the same
    # month (different end days), the one stored last
    years = (
        "SELECT * FROM annual a WHERE NOT EXISTS (SELECT 1 FROM cum c "
        "WHERE c.business_id = a.business_id AND c.month <= a.month "
        "AND c.month > a.month - to_months(a.span_months)) "
        "QUALIFY row_number() OVER (PARTITION BY business_id, month ORDER BY statement_id DESC) = 1"
    )
    # the previous trial balance of the same fiscal year, if any (not necessarily last month)
    same_year = "lag(fiscal_year_start) OVER w = fiscal_year_start"
    outs = []
    for c in bs_columns():
        outs.append(f'COALESCE("{c}", 0) AS "{c}"')
    for c in pl_columns():
        outs.append(
            f'CASE WHEN {same_year} THEN COALESCE("{c}", 0) - COALESCE(lag("{c}") OVER w, 0) '
            f'ELSE COALESCE("{c}", 0) END AS "{c}"'
        )
    span = (
        f"CAST(CASE WHEN {same_year} THEN date_diff('month', lag(month) OVER w, month) "
        "ELSE date_diff('month', fiscal_year_start, month) + 1 END AS SMALLINT) AS span_months"
    )
    select_items = ", ".join(f'"{c}"' for c in item_columns())
    year_items = ", ".join(f'COALESCE("{c}", 0) AS "{c}"' for c in item_columns())
    chart = load_chart()
    subtotals = "".join(
        ", "
        + " ".join(
            f'{"+" if sign > 0 else "-"} r."{leaf}"' for leaf, sign in chart.leaf_terms(c).items()
        ).lstrip("+ ")
        + f' AS "{c}"'
        for c in subtotal_columns(chart)
    )
    return (
        f"WITH cum AS ({cum}), flows AS (SELECT business_id, month, fiscal_year_start, "
        f"{', '.join(outs)}, {span} "
        "FROM cum WINDOW w AS (PARTITION BY business_id ORDER BY month)), "
        f"annual AS ({annual}), years AS ({years}), "
        f"panel_rows AS (SELECT business_id, month, fiscal_year_start, {select_items}, "
        "span_months FROM flows "
        "UNION ALL SELECT business_id, month, (month - to_months(span_months - 1))::DATE, "
        f"{year_items}, span_months FROM years) "
        f"SELECT r.*, e.employees{subtotals}, COALESCE(k.late_corrections, 0) AS late_corrections, "
        "COALESCE(k.late_correction_yen, 0) AS late_correction_yen "
        "FROM panel_rows r LEFT JOIN emp e USING (business_id) "
        "LEFT JOIN corr k ON k.business_id = r.business_id AND k.month = r.month"
    )


def sync_panel(
    store: Store, data_dir: Path, *, full: bool = False, path: Path | None = None
) -> SyncResult:
    """Bring the panel up to date with the store; ``full`` rebuilds it from scratch.

    ``path``: the file to write (a monitoring run passes its staged copy); by default the
    live file, in place — only for a process that is alone with the data directory.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path or analytics_path(data_dir)))
    try:
        ensure_panel(con)
        if full:
            con.execute(f"DELETE FROM {PANEL}")
            con.execute(f"UPDATE {PANEL_META} SET watermark = 0")
        watermark = con.execute(f"SELECT watermark FROM {PANEL_META}").fetchall()[0][0]
        with store.engine.connect() as conn:
            new_mark = conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM statement")).scalar_one()
            changed = [
                r[0]
                for r in conn.execute(
                    text("SELECT DISTINCT business_id FROM statement WHERE id > :w ORDER BY 1"),
                    {"w": watermark},
                )
            ]
        written = 0
        wide = _wide_sql()
        for batch in _batches(changed, BATCH):
            lines = _fetch_lines(store, batch, StatementKind.MONTHLY_TB)
            annual = _fetch_lines(store, batch, StatementKind.ANNUAL)
            emp = _employees(store, batch)
            con.register("lines", lines)
            con.register("annual_lines", annual)
            con.register("emp", emp)
            con.register("corr", _corrections(store, batch))
            con.execute("BEGIN")
            con.execute(f"DELETE FROM {PANEL} WHERE business_id IN (SELECT business_id FROM emp)")
            con.execute(f"INSERT INTO {PANEL} BY NAME {wide}")
            con.execute("COMMIT")
            written += (lines.num_rows or annual.num_rows) and con.execute(
                f"SELECT COUNT(*) FROM {PANEL} WHERE business_id IN (SELECT business_id FROM emp)"
            ).fetchall()[0][0]
            for name in ("lines", "annual_lines", "emp", "corr"):
                con.unregister(name)
        con.execute(f"UPDATE {PANEL_META} SET watermark = ?", [new_mark])
        _sync_loan_balances(store, con)
        return SyncResult(len(changed), written, int(new_mark))
    finally:
        con.close()


def loan_balances_sql(hi: int) -> str:
    """Per business and month end up to month index ``hi``: the loan balances.

    Over ``loans`` (loan_id, business_id, original_amount, guarantee_ratio_pct, start_date,
    paid_off_on) and ``paid`` (loan_id, principal, paid_on): a loan's balance is its original
    amount from its start month, less the principal paid by the month end, and 0 from the month
    it was paid off (完済: the payoff need not come as an instalment); ``guaranteed_balance``
    sums each loan's balance × its guarantee ratio (0 when not guaranteed), rounded down to the
    yen. A
    business's months run from its first loan or first panel month, 0 before any loan. The
    synthetic portfolio uses the same definition (``kizashi.synth.generator._loan_balances``).
    """
    mi = DUCKDB.month_index
    return f"""
WITH l AS (
  SELECT loan_id, business_id, original_amount, COALESCE(guarantee_ratio_pct, 0) AS r,
         {mi("start_date")} AS start_m, {mi("paid_off_on")} AS off_m
  FROM loans
),
p AS (SELECT loan_id, {mi("paid_on")} AS m, SUM(principal) AS principal FROM paid GROUP BY 1, 2),
lm AS (
  SELECT loan_id, business_id, original_amount, r, off_m, UNNEST(RANGE(start_m, {hi} + 1)) AS m
  FROM l
),
o AS (
  SELECT lm.business_id, lm.m, lm.r,
         CASE WHEN lm.off_m IS NOT NULL AND lm.m >= lm.off_m THEN 0
              ELSE lm.original_amount
                   - COALESCE(SUM(p.principal) OVER (PARTITION BY lm.loan_id ORDER BY lm.m
                                                     ROWS UNBOUNDED PRECEDING), 0)
         END AS out
  FROM lm LEFT JOIN p ON p.loan_id = lm.loan_id AND p.m = lm.m
),
per AS (
  SELECT business_id, m, SUM(out) AS loan_balance, SUM(out * r // 100) AS guaranteed_balance
  FROM o GROUP BY ALL
),
firsts AS (
  SELECT business_id, MIN(m0) AS lo FROM (
    SELECT business_id, start_m AS m0 FROM l
    UNION ALL SELECT business_id, {mi("month")} FROM {PANEL}
  ) AS u GROUP BY business_id
),
bm AS (SELECT business_id, UNNEST(RANGE(lo, {hi} + 1)) AS m FROM firsts)
SELECT bm.business_id, {DUCKDB.month_from_index("bm.m")} AS month,
       CAST(COALESCE(per.loan_balance, 0) AS BIGINT) AS loan_balance,
       CAST(COALESCE(per.guaranteed_balance, 0) AS BIGINT) AS guaranteed_balance
FROM bm LEFT JOIN per ON per.business_id = bm.business_id AND per.m = bm.m
"""


def _sync_loan_balances(store: Store, con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild ``loan_balances`` up to the panel's latest month (or the latest loan month)."""
    with store.read_session() as session:
        loans = session.execute(
            select(
                Loan.id,
                Loan.business_id,
                Loan.original_amount,
                Loan.guarantee_ratio_pct,
                Loan.start_date,
                Loan.paid_off_on,
            )
        ).all()
        paid = session.execute(
            select(
                RepaymentInstalment.loan_id,
                RepaymentInstalment.principal,
                RepaymentInstalment.paid_on,
            ).where(RepaymentInstalment.paid_on.is_not(None))
        ).all()
    loan_cols = {
        "loan_id": pa.int64(),
        "business_id": pa.int64(),
        "original_amount": pa.int64(),
        "guarantee_ratio_pct": pa.int32(),
        "start_date": pa.date32(),
        "paid_off_on": pa.date32(),
    }
    con.register("loans", _table(loans, pa.schema(loan_cols)))
    paid_cols = {"loan_id": pa.int64(), "principal": pa.int64(), "paid_on": pa.date32()}
    con.register("paid", _table(paid, pa.schema(paid_cols)))
    try:
        last = con.execute(
            f"SELECT GREATEST((SELECT MAX(month) FROM {PANEL}), "
            "(SELECT MAX(start_date) FROM loans))"
        ).fetchall()[0][0]
        con.execute("BEGIN")
        if last is None:  # nothing yet
            con.execute(EMPTY_LOAN_BALANCES_DDL)
        else:
            hi = last.year * 12 + last.month - 1
            con.execute(f"CREATE OR REPLACE TABLE {LOAN_BALANCES} AS {loan_balances_sql(hi)}")
        con.execute("COMMIT")
    finally:
        con.unregister("loans")
        con.unregister("paid")


def read_loan_balances(data_dir: Path, path: Path | None = None) -> pa.Table | None:
    """The monthly loan balances (``None`` before the first sync that wrote them)."""
    con = duckdb.connect(str(path or analytics_path(data_dir)), read_only=True)
    try:
        have = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
        if LOAN_BALANCES not in have:
            return None
        return con.sql(
            f"SELECT {', '.join(LOAN_BALANCE_COLUMNS)} FROM {LOAN_BALANCES} "
            "ORDER BY business_id, month"
        ).to_arrow_table()
    finally:
        con.close()


def read_panel(data_dir: Path, path: Path | None = None) -> pa.Table:
    """The whole panel as Arrow, in the contract's column order (``path``: as for sync)."""
    con = duckdb.connect(str(path or analytics_path(data_dir)), read_only=True)
    try:
        cols = ", ".join(
            f'"{c}"'
            for c in (
                *KEY_COLUMNS,
                *item_columns(),
                *EXTRA_COLUMNS,
                *subtotal_columns(),
                *LATE_CORRECTION_COLUMNS,
            )
        )
        return con.sql(f"SELECT {cols} FROM {PANEL} ORDER BY business_id, month").to_arrow_table()
    finally:
        con.close()
