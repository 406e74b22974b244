"""The 13-week cash forecast of every business at once, in DuckDB: the same method as
``kizashi.domain.cash.build_forecast`` (which is the reference; ``tests/engine/test_cash_sql.py``
compares the two week by week), for the rule that flags a projected shortfall.

As of the last day A of the as-of month: the opening balance is the bank balance then (the
feature ``bank_balance``); week k covers A + 7(k − 1) + 1 … A + 7k, and anything due on or
before A counts in week 1. Flows: open items by due date (receivables +, payables −: per side the
schedule a business sent, else its unpaid invoices issued by A at what they still ask); the loans'
unpaid instalments (principal and interest); per kind, the recurring monthly flow learned from
the three months up to A (seen in at least two of them and in the last; the lower median of the
monthly totals; on the day of the latest payment, the month's last day when shorter), with
unclassified money read as trade; and the trade run rate beyond the open items due in each
month. Result per business: ``cash_shortfall_week`` (the first week whose closing balance is
below zero, 0 when none) and ``cash_lowest_yen`` (the lowest closing balance of the 13 weeks).
"""

from __future__ import annotations

RECURRING = ("payroll", "rent", "utilities", "tax", "social_insurance")
TRADE = {"sales_receipt": "receivable", "supplier_payment": "payable"}


def as_of_end(as_of_m: int) -> str:
    """A, the last day of the as-of month (a month index), as SQL."""
    y, mo = divmod(as_of_m, 12)
    return f"(make_date({y}, {mo + 1}, 1) + INTERVAL 1 MONTH - INTERVAL 1 DAY)::DATE"


def horizon_end(as_of_m: int) -> str:
    """The last day of week 13 (A + 91), as SQL: flows due later are beyond the forecast."""
    return f"({as_of_end(as_of_m)} + 91)"


def forecast_sql(
    as_of_m: int, *, open_items: bool, instalments: bool, invoices: str | None = None
) -> str:
    """Per business: cash_shortfall_week, cash_lowest_yen; from the transactions' monthly slots
    ``bank_slots`` (``bank_features.slots_sql``: business_id, m, kind, sg, net, last_on), the
    relation ``bal`` (business_id, m, bank_balance) and, when present, ``bank_oi``, ``bank_inst``
    (business_id, due_date, principal, interest, paid_on) and ``invoices``: a query of the open
    invoices of the businesses without a schedule of that side (business_id, side, due_date,
    open_yen; ``bank_features.open_invoices_sql``), those still owing something counted."""
    a = as_of_end(as_of_m)
    end = horizon_end(as_of_m)
    kinds = ", ".join(f"'{k}'" for k in (*RECURRING, *TRADE))
    week = f"CASE WHEN due <= {a} THEN 1 ELSE (due - {a} - 1) // 7 + 1 END"
    oi = (
        f"SELECT business_id, side, COALESCE(due_date, {a}) AS due, amount_yen FROM bank_oi"
        if open_items
        else "SELECT NULL::BIGINT AS business_id, NULL AS side, NULL::DATE AS due, 0::BIGINT AS amount_yen WHERE FALSE"
    )
    if invoices is not None:
        oi += (
            f" UNION ALL SELECT business_id, side, COALESCE(due_date, {a}), open_yen"
            f" FROM ({invoices}) AS inv WHERE open_yen > 0"
        )
    inst = (
        "SELECT business_id, due_date AS due, -(principal) AS amount FROM bank_inst WHERE paid_on IS NULL"
        " UNION ALL SELECT business_id, due_date, -(interest) FROM bank_inst WHERE paid_on IS NULL"
        if instalments
        else "SELECT NULL::BIGINT AS business_id, NULL::DATE AS due, 0::BIGINT AS amount WHERE FALSE"
    )
    return f"""
WITH monthly AS (
  SELECT business_id, k, m, SUM(net) AS total, MAX(last_on) AS last_on
  FROM (SELECT business_id, m, net, last_on,
               CASE WHEN kind = 'other' THEN CASE WHEN sg > 0 THEN 'sales_receipt'
                    ELSE 'supplier_payment' END ELSE kind END AS k
        FROM bank_slots WHERE m BETWEEN {as_of_m - 2} AND {as_of_m}) AS h
  WHERE k IN ({kinds}) GROUP BY 1, 2, 3
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
