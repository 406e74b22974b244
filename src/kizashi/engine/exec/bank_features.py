"""The bank features (``domain.bank_features``) per business × month, in DuckDB.

The businesses are taken in ranges of about ``CHUNK_ROWS`` transactions, one after another, so
memory and hash tables stay the size of a range. In each range, three passes over the
transactions, each a plain GROUP BY (no sort, no join on the big table):

1. per account × day: the day's net movement S1 = Σa, S2 = Σa·(2b − a) (b the balance after
   each movement) and the lowest balance. **The day's closing balance without knowing the order of the day's movements:**
   the balances after the movements {b_i} and before them {b_i − a_i} are the same set but for
   the day's closing and opening balance, so close − open = S1 and close² − open² = S2; where
   S1 ≠ 0, close = (S2 / S1 + S1) / 2 (exact integers). A day that nets to zero leaves the
   balance unchanged, so the month-end balance is the close of the account's last day with
   S1 ≠ 0 in the month (NULL when every day of the month nets to zero); that day's sums are
   carried to the account × month by ``ARG_MAX``, and the division done once per account-month.
2. per business × month × kind × sign × first digit of the payments (``slots_sql``, a few
   slots per business and month): the monthly sums by kind, the Benford digit counts and the
   cash forecast's monthly flows are all read from these slots;
3. per business × month × counterparty (by its hash) of the deposits: the largest customer's
   share.

The days roll up to months (small), then the 12-month Benford statistic is a window over the
monthly rows, invoices and open items are joined by month, and the books' roundness comes from
the panel. Everything is integer yen but the shares and the Benford MAD.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TypeAlias

import duckdb
import pyarrow as pa

from kizashi.domain.bank_features import BANK_FEATURE_COLUMNS, BENFORD, ROUND_ITEMS

from .cash_forecast import as_of_end, forecast_sql, horizon_end

Source: TypeAlias = str | Path | pa.Table | None
# transactions per pass (``compute_bank_features``): ~20,000 businesses of ~100 a month for 12
# months; a pass holds its day-level hash table (~6 M groups) and its features
CHUNK_ROWS = 24_000_000


def _register(con: duckdb.DuckDBPyConnection, name: str, src: Source, subdir: str) -> bool:
    if src is None:
        return False
    if isinstance(src, pa.Table):
        con.register(name, src)
        return True
    path = Path(src)
    glob = str(path / subdir / "**" / "*.parquet") if (path / subdir).is_dir() else str(path)
    con.execute(
        f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet('{glob}', union_by_name=true)"
    )
    return True


def _register_invoices(con: duckdb.DuckDBPyConnection, src: Source) -> bool:
    """``bank_inv_src``: the invoices with ``payable_yen`` (the total where not given) and
    ``settled_yen`` (0 where not given: files written before the columns). The synthetic
    portfolio writes both, its invoices paid in full or not at all."""
    if not _register(con, "bank_inv_raw", src, "invoices"):
        return False
    have = {r[0] for r in con.execute("DESCRIBE bank_inv_raw").fetchall()}
    payable = "COALESCE(payable_yen, total_yen)" if "payable_yen" in have else "total_yen"
    settled = "COALESCE(settled_yen, 0)" if "settled_yen" in have else "0"
    con.execute(
        "CREATE OR REPLACE VIEW bank_inv_src AS SELECT business_id, direction, issue_date, due_date,"
        f" total_yen, paid, CAST({payable} AS BIGINT) AS payable_yen,"
        f" CAST({settled} AS BIGINT) AS settled_yen FROM bank_inv_raw"
    )
    return True


def _register_instalments(
    con: duckdb.DuckDBPyConnection, src: Source, name: str = "bank_inst"
) -> bool:
    if src is not None and not isinstance(src, pa.Table):
        path = Path(src)
        if (path / "repayments").is_dir() and (path / "loans").is_dir():
            _register(con, "bank_rp", path, "repayments")
            _register(con, "bank_loans", path, "loans")
            con.execute(
                f"CREATE OR REPLACE VIEW {name} AS SELECT l.business_id, r.due_date, "
                "r.principal, r.interest, r.paid_on FROM bank_rp r JOIN bank_loans l USING (loan_id)"
            )
            return True
    return _register(con, name, src, "repayments")


def _mi(col: str) -> str:
    return f"(year({col}) * 12 + month({col}) - 1)"


def _upto(as_of_m: int) -> str:
    """Booked up to the end of the as-of month, as a plain comparison the scan applies."""
    y, mo = divmod(as_of_m + 1, 12)
    return f"booked_on < DATE '{y:04d}-{mo + 1:02d}-01'"


def slots_sql(as_of_m: int) -> str:
    """``bank_slots``: the transactions up to ``as_of_m`` in one GROUP BY business × month ×
    kind × sign × first digit (of the unclassified payments only, else NULL): the count, the
    net sum and the latest date. The monthly sums by kind, the Benford digits and the cash
    forecast's monthly flows are all read from it, so the transactions are grouped once for
    them (a few slots per business and month instead of the raw rows)."""
    digit = (
        "CAST(abs(amount_yen) // CAST(pow(10, floor(log10(abs(amount_yen)))) AS BIGINT) AS INTEGER)"
    )
    return f"""
SELECT business_id, {_mi("booked_on")} AS m, kind, sign(amount_yen) AS sg,
       CASE WHEN kind = 'other' AND amount_yen < 0 THEN {digit} END AS d,
       COUNT(*) AS n, SUM(amount_yen) AS net, MAX(booked_on) AS last_on
FROM bank_tx WHERE {_upto(as_of_m)} GROUP BY ALL
"""


def open_invoices_sql(as_of_m: int, *, open_items: bool) -> str:
    """The unpaid invoices up to the as-of month as open items (business_id, side, due_date,
    open_yen: payable less what matched payments and their fees settled; a credit note's is
    negative), for the businesses without a schedule of that side (``bank_oi``): a schedule is
    the whole list at its date, the invoices are the fallback. From ``bank_inv``."""
    side = "CASE WHEN direction = 'issued' THEN 'receivable' ELSE 'payable' END"
    no_schedule = (
        f" AND NOT EXISTS (SELECT 1 FROM bank_oi o WHERE o.business_id = i.business_id AND o.side = {side})"
        if open_items
        else ""
    )
    return (
        f"SELECT business_id, {side} AS side, due_date, payable_yen - settled_yen AS open_yen"
        f" FROM bank_inv i WHERE NOT paid AND {_mi('issue_date')} <= {as_of_m}{no_schedule}"
    )


def invoice_months_sql(as_of_m: int) -> str:
    """Per business × month of issue, from ``bank_inv``: the invoices issued (tax included) and
    what those of them past due at the as-of month's end (without a due date: 30 days after
    issue) still ask, unpaid — an invoice nobody paid is no evidence of a sale."""
    a = as_of_end(as_of_m)
    return (
        f"SELECT business_id, {_mi('issue_date')} AS m, SUM(total_yen) AS invoices_issued,"
        " COALESCE(SUM(payable_yen - settled_yen) FILTER (WHERE NOT paid AND payable_yen > settled_yen"
        f" AND COALESCE(due_date, issue_date + 30) < {a}), 0) AS invoices_overdue"
        " FROM bank_inv WHERE direction = 'issued' GROUP BY 1, 2"
    )


def features_sql(
    as_of_m: int, *, invoices: bool, open_items: bool, panel: bool, payments: bool = False
) -> str:
    """The features of every business and month up to ``as_of_m`` (a month index), from the
    relations ``bank_tx``, ``bank_slots`` (``slots_sql``) and, when present, ``bank_inv``,
    ``bank_oi``, ``bank_panel`` and ``bank_pay`` (the movements matched to invoices)."""
    digits = ", ".join(
        f"CAST(COALESCE(SUM(n) FILTER (WHERE d = {k}), 0) AS BIGINT) AS d{k}" for k in range(1, 10)
    )
    kinds = {
        # money in from customers; in a month without any (a statement without remitters),
        # the unclassified money in (``other_in``)
        "bank_deposits": ("kind = 'sales_receipt'", 1),
        "other_in": ("kind = 'other'", 1),
        "bank_payroll": ("kind = 'payroll'", -1),
        "bank_social_insurance": ("kind = 'social_insurance'", -1),
        "bank_rent": ("kind = 'rent'", -1),
        "bank_tax": ("kind = 'tax'", -1),
        "bank_utilities": ("kind = 'utilities'", -1),
        "bank_loan_payments": ("kind IN ('loan_repayment', 'interest')", -1),
    }
    # Σ|amount| over the slots of one sign is ±Σ net
    day_sums = ", ".join(
        f"SUM({'net' if sg > 0 else '-net'}) FILTER (WHERE {cond} AND sg = {sg}) AS {name}"
        for name, (cond, sg) in kinds.items()
    )
    win = "OVER (PARTITION BY business_id ORDER BY m RANGE BETWEEN 11 PRECEDING AND CURRENT ROW)"
    # the 12 months' digit counts c1..c9 and payments n, then from them the MAD and Pearson's
    # chi-square against Benford (``domain.bank_features.benford_stats``)
    counts12 = ", ".join(f"SUM(d{k}) {win} AS c{k}" for k in range(1, 10))
    mad = " + ".join(f"abs(c{k} / NULLIF(n, 0) - {p})" for k, p in enumerate(BENFORD, 1))
    chi2 = " + ".join(
        f"(c{k} - n * {p}) * (c{k} - n * {p}) / NULLIF(n * {p}, 0)"
        for k, p in enumerate(BENFORD, 1)
    )
    inv = (
        f"LEFT JOIN ({invoice_months_sql(as_of_m)}) AS inv USING (business_id, m)"
        if invoices
        else ""
    )
    inv_col = "inv.invoices_issued" if invoices else "CAST(NULL AS BIGINT)"
    overdue_col = "inv.invoices_overdue" if invoices else "CAST(NULL AS BIGINT)"
    # deposits matched to invoices issued (``bank_pay``) that the bank left unclassified are
    # customer receipts too (in a month without classified receipts all unclassified money in
    # already counts)
    pay = (
        f"LEFT JOIN (SELECT business_id, {_mi('booked_on')} AS m, SUM(amount_yen) AS matched_in"
        f" FROM bank_pay WHERE direction = 'issued' AND kind = 'other' AND {_upto(as_of_m)}"
        " GROUP BY 1, 2) AS pay USING (business_id, m)"
        if payments
        else ""
    )
    matched = "COALESCE(pay.matched_in, 0)" if payments else "0"
    # open receivables, per business: its receivables schedule when it sent one, else what its
    # unpaid invoices issued up to the as-of month still ask (``open_invoices_sql``)
    parts = []
    if open_items:
        parts.append(
            "SELECT business_id, amount_yen AS amount FROM bank_oi WHERE side = 'receivable'"
        )
    if invoices:
        parts.append(
            f"SELECT business_id, open_yen AS amount FROM ({open_invoices_sql(as_of_m, open_items=open_items)})"
            " AS i WHERE side = 'receivable'"
        )
    if parts:
        oi = (
            "LEFT JOIN (SELECT business_id, SUM(amount) AS open_receivables FROM ("
            + " UNION ALL ".join(parts)
            + f") AS r GROUP BY 1) AS oi ON oi.business_id = mo.business_id AND mo.m = {as_of_m}"
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
    upto = _upto(as_of_m)
    pay_slot = "kind = 'other' AND sg = -1"
    return f"""
WITH days AS (
  SELECT business_id, account_id, booked_on,
         SUM(amount_yen) AS s1,
         SUM(CAST(amount_yen AS HUGEINT) * (2 * CAST(balance_yen AS HUGEINT) - amount_yen)) AS s2,
         COUNT(balance_yen) = COUNT(*) AS has_bal, MIN(balance_yen) AS low
  FROM bank_tx WHERE {upto} GROUP BY business_id, account_id, booked_on
),
acct AS (
  SELECT business_id, account_id, {_mi("booked_on")} AS m,
         ARG_MAX({{'s1': s1, 's2': s2, 'hb': has_bal}}, booked_on) FILTER (WHERE s1 <> 0) AS last,
         BOOL_AND(has_bal) AS has_bal,
         COUNT(*) FILTER (WHERE low < 0) AS neg_days
  FROM days GROUP BY 1, 2, 3
),
bal AS (
  SELECT business_id, m,
         CASE WHEN BOOL_AND(has_bal AND last.hb IS NOT NULL AND last.hb) THEN
              SUM(CAST((last.s2 // last.s1 + last.s1) // 2 AS BIGINT)) END AS bank_balance,
         SUM(neg_days) AS bank_negative_days
  FROM acct GROUP BY 1, 2
),
mo AS (
  SELECT business_id, m, CAST(SUM(n) AS BIGINT) AS bank_tx,
         CAST(COALESCE(SUM(n) FILTER (WHERE kind = 'high_rate_lender'), 0) AS BIGINT)
           AS bank_high_rate_tx,
         CAST(COALESCE(SUM(n) FILTER (WHERE {pay_slot}), 0) AS BIGINT) AS n_pay,
         {day_sums}, {digits}
  FROM bank_slots GROUP BY 1, 2
),
cust AS (
  SELECT business_id, m, MAX(s) * 100.0 / NULLIF(SUM(s), 0) AS bank_top_customer_pct
  FROM (SELECT business_id, {m} AS m, hash(counterparty) AS who, SUM(amount_yen) AS s
        FROM bank_tx WHERE kind = 'sales_receipt' AND amount_yen > 0 AND {upto}
        GROUP BY 1, 2, 3) AS c
  GROUP BY 1, 2
),
ben AS (
  SELECT business_id, m, ({mad}) / 9 AS bank_benford_mad, ({chi2}) AS bank_benford_chi2,
         n AS bank_benford_n
  FROM (SELECT business_id, m, SUM(n_pay) {win} AS n, {counts12} FROM mo) AS c12
)
SELECT mo.business_id, mo.m, bal.bank_balance, mo.bank_tx,
       {", ".join(f"COALESCE(mo.{n}, 0) AS {n}" for n in kinds if n not in ("bank_deposits", "other_in"))},
       CASE WHEN COALESCE(mo.bank_deposits, 0) > 0 THEN mo.bank_deposits + {matched}
            ELSE COALESCE(mo.other_in, 0) END AS bank_deposits,
       mo.bank_high_rate_tx, bal.bank_negative_days,
       cust.bank_top_customer_pct, ben.bank_benford_mad, ben.bank_benford_chi2, ben.bank_benford_n,
       {inv_col} AS invoices_issued, {overdue_col} AS invoices_overdue,
       {oi_col} AS open_receivables, {pn_col} AS book_round_items
FROM mo
JOIN bal USING (business_id, m)
JOIN ben USING (business_id, m)
LEFT JOIN cust USING (business_id, m)
{inv} {oi} {pn} {pay}
"""


def _chunks(con: duckdb.DuckDBPyConnection, rows: int) -> list[tuple[int, int] | None]:
    """Business-id ranges of about ``rows`` transactions each (equal widths between the lowest
    and the highest id: the ranges only bound the work and memory of one pass, any split gives
    the same features); ``[None]`` when one pass holds them all."""
    n, lo, hi = con.execute(
        "SELECT COUNT(*), MIN(business_id), MAX(business_id) FROM bank_tx_src"
    ).fetchone()  # type: ignore[misc]
    k = -(-int(n) // max(rows, 1))
    if k <= 1 or lo is None:
        return [None]
    width = -(-(int(hi) - int(lo) + 1) // k)
    return [(a, min(a + width - 1, int(hi))) for a in range(int(lo), int(hi) + 1, width)]


def compute_bank_features(
    transactions: Source,
    as_of: dt.date,
    *,
    invoices: Source = None,
    open_items: Source = None,
    panel: Source = None,
    instalments: Source = None,
    payments: Source = None,
    con: duckdb.DuckDBPyConnection | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> pa.Table:
    """The features as an Arrow table (business_id, month, the ``BANK_FEATURE_COLUMNS``).

    Sources are Arrow tables or Parquet (a file, a glob, or a ``kizashi synth --bank``
    directory). ``open_items`` is the schedule as of ``as_of``'s month; ``instalments``
    (business_id, due_date, principal, interest, paid_on) the loans' repayment schedules (a
    synthetic portfolio directory: its repayments joined to its loans); ``payments`` the bank
    movements matched to invoices (``analytics_schema.INVOICE_PAYMENTS``). The cash forecast
    features are computed for the as-of month (``cash_forecast``). The businesses are taken in
    ranges of about ``chunk_rows`` transactions, one after another (``_chunks``): memory and
    the hash tables stay the size of a range, so the cost grows linearly with the portfolio.
    """
    own = con is None
    con = con or duckdb.connect(config={"preserve_insertion_order": False})
    try:
        con.execute("SET parquet_metadata_cache = true")  # every range reads the same footers
        _register(con, "bank_tx_src", transactions, "bank_transactions")
        has_inv = _register_invoices(con, invoices)
        has_oi = _register(con, "bank_oi_src", open_items, "open_items")
        has_pay = _register(con, "bank_pay_src", payments, "invoice_payments")
        has_pn = _register(con, "bank_panel_src", panel, "panel")
        has_inst = _register_instalments(con, instalments, "bank_inst_src")
        as_of_m = as_of.year * 12 + as_of.month - 1
        feat_sql = features_sql(
            as_of_m, invoices=has_inv, open_items=has_oi, panel=has_pn, payments=has_pay
        )
        slot_sql = slots_sql(as_of_m)
        fc = forecast_sql(
            as_of_m,
            open_items=has_oi,
            instalments=has_inst,
            invoices=open_invoices_sql(as_of_m, open_items=has_oi) if has_inv else None,
        )
        floats = {"bank_top_customer_pct", "bank_benford_mad", "bank_benford_chi2"}
        cols = ", ".join(
            f"CAST({c} AS {'DOUBLE' if c in floats else 'BIGINT'}) AS {c}"
            for c in BANK_FEATURE_COLUMNS
        )
        final = (
            "SELECT business_id, make_date(CAST(m // 12 AS INTEGER), CAST(m % 12 + 1 AS INTEGER), 1)"
            f" AS month, {cols} FROM bank_feat LEFT JOIN ({fc}) AS fc USING (business_id, m)"
        )
        if has_inst:
            # the unpaid instalments due within the forecast's 13 weeks (later ones fall beyond
            # its last week), once: the schedules are not sorted like the transactions, and
            # every range would read them all
            con.execute(
                "CREATE OR REPLACE TEMP TABLE bank_inst_due AS SELECT business_id, due_date,"
                " principal, interest, paid_on FROM bank_inst_src WHERE paid_on IS NULL"
                f" AND due_date <= {horizon_end(as_of_m)} ORDER BY business_id"
            )
        present = [
            ("bank_tx", True),
            ("bank_inv", has_inv),
            ("bank_oi", has_oi),
            ("bank_panel", has_pn),
            ("bank_inst", has_inst),
            ("bank_pay", has_pay),
        ]
        src = {"bank_inst": "bank_inst_due"}
        parts = []
        for rng in _chunks(con, chunk_rows):
            where = "" if rng is None else f" WHERE business_id BETWEEN {rng[0]} AND {rng[1]}"
            for name, there in present:
                if there:
                    con.execute(
                        f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM"
                        f" {src.get(name, name + '_src')}{where}"
                    )
            con.execute(f"CREATE OR REPLACE TEMP TABLE bank_slots AS {slot_sql}")
            con.execute(f"CREATE OR REPLACE TEMP TABLE bank_feat AS {feat_sql}")
            con.execute(
                "CREATE OR REPLACE TEMP VIEW bal AS SELECT business_id, m, bank_balance FROM bank_feat"
            )
            parts.append(con.sql(final).to_arrow_table())
        con.execute("DROP TABLE IF EXISTS bank_feat")
        con.execute("DROP TABLE IF EXISTS bank_slots")
        con.execute("DROP TABLE IF EXISTS bank_inst_due")
        return pa.concat_tables(parts)
    finally:
        if own:
            con.close()
