"""The bank features as first written (three GROUP BYs over the raw transactions in one query,
the cash forecast's own scan): the reference the fast path of
``kizashi.engine.exec.bank_features`` is compared with (``test_bank_features_fast.py``).
Kept verbatim from commit c038d4e but for the names and the later definitions, taken from the
engine as they are (not a restructuring to check): the invoices per month of issue
(``invoice_months_sql``, with what is overdue), the open invoices (per business and side
without a schedule, at what they still ask, ``open_invoices_sql``: ``open_receivables`` and the
forecast's lines) and the 12 months' Benford chi-square; not used outside the tests."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa

from kizashi.domain.bank_features import BANK_FEATURE_COLUMNS, BENFORD, ROUND_ITEMS
from kizashi.engine.exec.bank_features import (
    Source,
    _register,
    _register_instalments,
    _register_invoices,
    invoice_months_sql,
    open_invoices_sql,
)

RECURRING = ("payroll", "rent", "utilities", "tax", "social_insurance")
TRADE = {"sales_receipt": "receivable", "supplier_payment": "payable"}


def forecast_sql(as_of_m: int, *, open_items: bool, instalments: bool, invoices: bool) -> str:
    """Per business: cash_shortfall_week, cash_lowest_yen; from ``bank_tx``, the relation
    ``bal`` (business_id, m, bank_balance) and, when present, ``bank_oi`` and ``bank_inst``
    (business_id, due_date, principal, interest, paid_on)."""
    y, mo = divmod(as_of_m, 12)
    a = f"(make_date({y}, {mo + 1}, 1) + INTERVAL 1 MONTH - INTERVAL 1 DAY)::DATE"
    end = f"({a} + 91)"
    m = "(year(booked_on) * 12 + month(booked_on) - 1)"
    kinds = ", ".join(f"'{k}'" for k in (*RECURRING, *TRADE))
    week = f"CASE WHEN due <= {a} THEN 1 ELSE (due - {a} - 1) // 7 + 1 END"
    oi = (
        f"SELECT business_id, side, COALESCE(due_date, {a}) AS due, amount_yen FROM bank_oi"
        if open_items
        else "SELECT NULL::BIGINT AS business_id, NULL AS side, NULL::DATE AS due, 0::BIGINT AS amount_yen WHERE FALSE"
    )
    if invoices:
        oi += (
            f" UNION ALL SELECT business_id, side, COALESCE(due_date, {a}), open_yen FROM"
            f" ({open_invoices_sql(as_of_m, open_items=open_items)}) AS inv WHERE open_yen > 0"
        )
    inst = (
        "SELECT business_id, due_date AS due, -(principal) AS amount FROM bank_inst WHERE paid_on IS NULL"
        " UNION ALL SELECT business_id, due_date, -(interest) FROM bank_inst WHERE paid_on IS NULL"
        if instalments
        else "SELECT NULL::BIGINT AS business_id, NULL::DATE AS due, 0::BIGINT AS amount WHERE FALSE"
    )
    return f"""
WITH hist AS (
  SELECT business_id, booked_on, amount_yen,
         CASE WHEN kind = 'other' THEN CASE WHEN amount_yen > 0 THEN 'sales_receipt'
              ELSE 'supplier_payment' END ELSE kind END AS k
  FROM bank_tx WHERE {m} BETWEEN {as_of_m - 2} AND {as_of_m}
),
monthly AS (
  SELECT business_id, k, {m} AS m, SUM(amount_yen) AS total, MAX(booked_on) AS last_on
  FROM hist WHERE k IN ({kinds}) GROUP BY 1, 2, 3
),
rec AS (
  SELECT business_id, k,
         list(total ORDER BY abs(total))[(COUNT(*) - 1) // 2 + 1] AS amount,
         day(MAX(last_on)) AS d
  FROM monthly GROUP BY 1, 2
  HAVING COUNT(*) >= 2 AND MAX(m) = {as_of_m}
),
months AS (
  SELECT UNNEST(RANGE({as_of_m}, {as_of_m} + 5)) AS mm
),
dated AS (
  SELECT r.business_id, r.k, r.amount, mm,
         make_date(CAST(mm // 12 AS INTEGER), CAST(mm % 12 + 1 AS INTEGER), 1) AS first_day, r.d
  FROM rec r CROSS JOIN months
),
lines AS (
  SELECT business_id, k, amount, mm,
         (first_day + INTERVAL (LEAST(d, day(last_day(first_day))) - 1) DAY)::DATE AS due
  FROM dated
),
items AS ({oi}),
due_by_month AS (
  SELECT business_id, side, year(GREATEST(due, {a})) * 12 + month(GREATEST(due, {a})) - 1 AS mm,
         SUM(abs(amount_yen)) AS due_total
  FROM items GROUP BY 1, 2, 3
),
flows AS (
  SELECT business_id, due, CASE WHEN side = 'receivable' THEN abs(amount_yen) ELSE -abs(amount_yen) END AS amount
  FROM items
  UNION ALL
  SELECT business_id, due, amount FROM ({inst}) AS i WHERE amount <> 0
  UNION ALL
  SELECT business_id, due, amount FROM lines
  WHERE k NOT IN ('sales_receipt', 'supplier_payment') AND due > {a} AND due <= {end}
  UNION ALL
  SELECT l.business_id, l.due,
         sign(l.amount) * (abs(l.amount) - COALESCE(dm.due_total, 0)) AS amount
  FROM lines l LEFT JOIN due_by_month dm
    ON dm.business_id = l.business_id AND dm.mm = l.mm
   AND dm.side = CASE WHEN l.k = 'sales_receipt' THEN 'receivable' ELSE 'payable' END
  WHERE l.k IN ('sales_receipt', 'supplier_payment') AND l.due > {a} AND l.due <= {end}
    AND abs(l.amount) - COALESCE(dm.due_total, 0) > 0
),
weekly AS (
  SELECT business_id, {week.replace("due", "f.due")} AS w, SUM(amount) AS net
  FROM flows f GROUP BY 1, 2
),
grid AS (
  SELECT b.business_id, b.bank_balance, UNNEST(RANGE(1, 14)) AS w
  FROM bal b WHERE b.m = {as_of_m} AND b.bank_balance IS NOT NULL
),
run AS (
  SELECT g.business_id, g.w,
         g.bank_balance + SUM(COALESCE(wk.net, 0)) OVER (PARTITION BY g.business_id ORDER BY g.w) AS closing
  FROM grid g LEFT JOIN weekly wk ON wk.business_id = g.business_id AND wk.w = g.w
)
SELECT business_id, {as_of_m} AS m,
       COALESCE(MIN(w) FILTER (WHERE closing < 0), 0) AS cash_shortfall_week,
       MIN(closing) AS cash_lowest_yen
FROM run GROUP BY business_id
"""


def _mi(col: str) -> str:
    return f"(year({col}) * 12 + month({col}) - 1)"


def features_sql(as_of_m: int, *, invoices: bool, open_items: bool, panel: bool) -> str:
    """The features of every business and month up to ``as_of_m`` (a month index), from the
    relations ``bank_tx`` and, when present, ``bank_inv``, ``bank_oi`` and ``bank_panel``."""
    digits = ", ".join(f"COUNT(*) FILTER (WHERE d = {k}) AS d{k}" for k in range(1, 10))
    kinds = {
        # money in from customers; in a month without any (a statement without remitters),
        # the unclassified money in (``other_in``)
        "bank_deposits": "kind = 'sales_receipt' AND amount_yen > 0",
        "other_in": "kind = 'other' AND amount_yen > 0",
        "bank_payroll": "kind = 'payroll' AND amount_yen < 0",
        "bank_social_insurance": "kind = 'social_insurance' AND amount_yen < 0",
        "bank_rent": "kind = 'rent' AND amount_yen < 0",
        "bank_tax": "kind = 'tax' AND amount_yen < 0",
        "bank_utilities": "kind = 'utilities' AND amount_yen < 0",
        "bank_loan_payments": "kind IN ('loan_repayment', 'interest') AND amount_yen < 0",
    }
    day_sums = ", ".join(
        f"SUM(abs(amount_yen)) FILTER (WHERE {cond}) AS {name}" for name, cond in kinds.items()
    )
    win = "OVER (PARTITION BY business_id ORDER BY m RANGE BETWEEN 11 PRECEDING AND CURRENT ROW)"
    n12 = f"SUM(n_pay) {win}"
    mad = " + ".join(
        f"abs(SUM(d{k}) {win} / NULLIF({n12}, 0) - {p})" for k, p in enumerate(BENFORD, 1)
    )
    chi2 = " + ".join(
        f"(SUM(d{k}) {win} - {n12} * {p}) * (SUM(d{k}) {win} - {n12} * {p})"
        f" / NULLIF({n12} * {p}, 0)"
        for k, p in enumerate(BENFORD, 1)
    )
    inv = (
        f"LEFT JOIN ({invoice_months_sql(as_of_m)}) AS inv USING (business_id, m)"
        if invoices
        else ""
    )
    inv_col = "inv.invoices_issued" if invoices else "CAST(NULL AS BIGINT)"
    overdue_col = "inv.invoices_overdue" if invoices else "CAST(NULL AS BIGINT)"
    # open receivables: the schedule of a business that has one, else its open invoices issued
    if open_items or invoices:
        parts = []
        if open_items:
            parts.append("SELECT business_id, amount_yen FROM bank_oi WHERE side = 'receivable'")
        if invoices:
            parts.append(
                "SELECT business_id, open_yen AS amount_yen FROM"
                f" ({open_invoices_sql(as_of_m, open_items=open_items)}) AS i"
                " WHERE side = 'receivable'"
            )
        oi = (
            "LEFT JOIN (SELECT business_id, SUM(amount_yen) AS open_receivables FROM ("
            + " UNION ALL ".join(parts)
            + f") AS u GROUP BY 1) AS oi ON oi.business_id = mo.business_id AND mo.m = {as_of_m}"
        )
        oi_col = "oi.open_receivables"
    else:
        oi, oi_col = "", "CAST(NULL AS BIGINT)"
    if panel:
        rounds = " + ".join(
            f"CAST(COALESCE({c}, 0) <> 0 AND {c} % 10000 = 0 AS INTEGER)" for c in ROUND_ITEMS
        )
        pn = (
            f"LEFT JOIN (SELECT business_id, {_mi('month')} AS m, {rounds} AS book_round_items"
            " FROM bank_panel) AS pn USING (business_id, m)"
        )
        pn_col = "pn.book_round_items"
    else:
        pn, pn_col = "", "CAST(NULL AS INTEGER)"
    m = _mi("booked_on")
    pay = "kind = 'other' AND amount_yen < 0"
    digit = (
        "CAST(abs(amount_yen) // CAST(pow(10, floor(log10(abs(amount_yen)))) AS BIGINT) AS INTEGER)"
    )
    return f"""
WITH days AS (
  SELECT business_id, account_id, booked_on, {m} AS m,
         SUM(amount_yen) AS s1,
         SUM(CAST(amount_yen AS HUGEINT) * (2 * CAST(balance_yen AS HUGEINT) - amount_yen)) AS s2,
         COUNT(balance_yen) = COUNT(*) AS has_bal, MIN(balance_yen) AS low
  FROM bank_tx WHERE {m} <= {as_of_m} GROUP BY business_id, account_id, booked_on
),
acct AS (
  SELECT business_id, account_id, m,
         ARG_MAX(CASE WHEN has_bal THEN CAST((s2 // NULLIF(s1, 0) + s1) // 2 AS BIGINT) END, booked_on)
           FILTER (WHERE s1 <> 0) AS close,
         BOOL_AND(has_bal) AS has_bal,
         COUNT(*) FILTER (WHERE low < 0) AS neg_days
  FROM days GROUP BY 1, 2, 3
),
bal AS (
  SELECT business_id, m, CASE WHEN BOOL_AND(has_bal AND close IS NOT NULL) THEN SUM(close) END
         AS bank_balance, SUM(neg_days) AS bank_negative_days FROM acct GROUP BY 1, 2
),
mo AS (
  SELECT business_id, m, COUNT(*) AS bank_tx,
         COUNT(*) FILTER (WHERE kind = 'high_rate_lender') AS bank_high_rate_tx,
         COUNT(*) FILTER (WHERE {pay}) AS n_pay, {day_sums}, {digits}
  FROM (SELECT business_id, {m} AS m, amount_yen, kind,
               CASE WHEN {pay} THEN {digit} END AS d
        FROM bank_tx WHERE {m} <= {as_of_m}) AS t
  GROUP BY 1, 2
),
cust AS (
  SELECT business_id, m, MAX(s) * 100.0 / NULLIF(SUM(s), 0) AS bank_top_customer_pct
  FROM (SELECT business_id, {m} AS m, hash(counterparty) AS who, SUM(amount_yen) AS s
        FROM bank_tx WHERE kind = 'sales_receipt' AND amount_yen > 0 AND {m} <= {as_of_m}
        GROUP BY 1, 2, 3) AS c
  GROUP BY 1, 2
),
ben AS (
  SELECT business_id, m, ({mad}) / 9 AS bank_benford_mad, ({chi2}) AS bank_benford_chi2,
         {n12} AS bank_benford_n FROM mo
)
SELECT mo.business_id, mo.m, bal.bank_balance, mo.bank_tx,
       {", ".join(f"COALESCE(mo.{n}, 0) AS {n}" for n in kinds if n not in ("bank_deposits", "other_in"))},
       CASE WHEN COALESCE(mo.bank_deposits, 0) > 0 THEN mo.bank_deposits
            ELSE COALESCE(mo.other_in, 0) END AS bank_deposits,
       mo.bank_high_rate_tx, bal.bank_negative_days,
       cust.bank_top_customer_pct, ben.bank_benford_mad, ben.bank_benford_chi2, ben.bank_benford_n,
       {inv_col} AS invoices_issued, {overdue_col} AS invoices_overdue, {oi_col} AS open_receivables, {pn_col} AS book_round_items
FROM mo
JOIN bal USING (business_id, m)
JOIN ben USING (business_id, m)
LEFT JOIN cust USING (business_id, m)
{inv} {oi} {pn}
"""


def reference_bank_features(
    transactions: Source,
    as_of: dt.date,
    *,
    invoices: Source = None,
    open_items: Source = None,
    panel: Source = None,
    instalments: Source = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> pa.Table:
    """The features as an Arrow table (business_id, month, the ``BANK_FEATURE_COLUMNS``).

    Sources are Arrow tables or Parquet (a file, a glob, or a ``kizashi synth --bank``
    directory). ``open_items`` is the schedule as of ``as_of``'s month; ``instalments``
    (business_id, due_date, principal, interest, paid_on) the loans' repayment schedules (a
    synthetic portfolio directory: its repayments joined to its loans). The cash forecast
    features are computed for the as-of month (``cash_forecast``).
    """
    own = con is None
    con = con or duckdb.connect(config={"preserve_insertion_order": False})
    try:
        _register(con, "bank_tx", transactions, "bank_transactions")
        has_inv = _register_invoices(con, invoices)
        if has_inv:
            con.execute("CREATE OR REPLACE VIEW bank_inv AS SELECT * FROM bank_inv_src")
        has_oi = _register(con, "bank_oi", open_items, "open_items")
        has_pn = _register(con, "bank_panel", panel, "panel")
        has_inst = _register_instalments(con, instalments)
        as_of_m = as_of.year * 12 + as_of.month - 1
        sql = features_sql(as_of_m, invoices=has_inv, open_items=has_oi, panel=has_pn)
        con.execute(f"CREATE OR REPLACE TEMP TABLE bank_feat AS {sql}")
        con.execute(
            "CREATE OR REPLACE TEMP VIEW bal AS SELECT business_id, m, bank_balance FROM bank_feat"
        )
        fc = forecast_sql(as_of_m, open_items=has_oi, instalments=has_inst, invoices=has_inv)
        sql = f"SELECT * FROM bank_feat LEFT JOIN ({fc}) AS fc USING (business_id, m)"
        floats = {"bank_top_customer_pct", "bank_benford_mad", "bank_benford_chi2"}
        cols = ", ".join(
            f"CAST({c} AS {'DOUBLE' if c in floats else 'BIGINT'}) AS {c}"
            for c in BANK_FEATURE_COLUMNS
        )
        return con.sql(
            f"SELECT business_id, make_date(CAST(m // 12 AS INTEGER), CAST(m % 12 + 1 AS INTEGER), 1)"
            f" AS month, {cols} FROM ({sql}) AS f"
        ).to_arrow_table()
    finally:
        if own:
            con.close()
