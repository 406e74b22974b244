"""The analytics file's schema (``<data_dir>/analytics.duckdb``): every table, its columns and
how an older file is brought up to date, in one place.

Writers (``kizashi.jobs.panel_sync``, ``kizashi.jobs.monitoring``, ``store.analytics``'s staging)
and readers (``store.analytics``, ``jobs.panel_sync.read_*``) name tables and columns from here.

=================  ============================================================================
table              rows
=================  ============================================================================
``panel``          business × month: keys, every standard leaf (BIGINT yen), ``employees``,
                   ``span_months``, the subtotals (``kizashi.domain.panel``)
``panel_meta``     one row: the statement-id watermark of the last sync
``loan_balances``  business × month end: ``loan_balance``, ``guaranteed_balance`` (BIGINT yen)
``indicator_values``  pack × as-of month × business: every indicator of the pack and its peer
                   percentile ``pct_<indicator>`` (columns follow the pack: added as they appear)
``peer_stats``     pack × as-of month × peer group × indicator: ``n``, ``p25``, ``median``,
                   ``p75``
``generation``     one row: the token of the job that wrote a staged file
``bank_transactions``  bank account movements (``kizashi.jobs.money_sync``; ``BANK_TRANSACTIONS``)
``invoices``       invoices issued and received, paid or not, and what matched payments settled
                   (``INVOICES``)
``open_items``     receivables and payables still open (``OPEN_ITEMS``)
``invoice_payments``  bank movements matched to invoices: date, kind, yen applied, fee
                   (``INVOICE_PAYMENTS``)
``money_meta``     one row: the transaction and submission watermarks of the last money sync
``risk_scores``    model version × as-of month × business: the probability, priorities and the
                   inputs the reasons need (``kizashi.store.risk_scores``; columns follow the
                   model's rows)
``risk_peer_stats``  model version × as-of month × peer group: ``n``, ``median`` probability
=================  ============================================================================

``TABLES`` names every table a file may hold; a test compares it with a full run's file.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa

from kizashi.domain.panel import item_columns, subtotal_columns

PANEL = "panel"
PANEL_META = "panel_meta"
LOAN_BALANCES = "loan_balances"
INDICATOR_VALUES = "indicator_values"
PEER_STATS = "peer_stats"
GENERATION = "generation"
MONEY_META = "money_meta"
RISK_SCORES = "risk_scores"
RISK_PEER_STATS = "risk_peer_stats"

RUN_OUTPUTS = (INDICATOR_VALUES, PEER_STATS)  # written by a monitoring run per pack × month
PEER_STAT_COLUMNS = ("indicator", "n", "p25", "median", "p75")
LOAN_BALANCE_COLUMNS = ("business_id", "month", "loan_balance", "guaranteed_balance")

# panel columns added after the first panel files were written: a file without one is
# re-pivoted (its watermark reset)
PANEL_LATER = {
    "span_months": "SMALLINT",
    **{c: "BIGINT" for c in subtotal_columns()},
    # late corrections of past months' trial balances (``jobs.panel_sync._corrections``)
    "late_corrections": "SMALLINT",
    "late_correction_yen": "BIGINT",
}


# --------------------------------------------------------------------------- money tables


@dataclass(frozen=True)
class Table:
    """A table with fixed columns: its name and (column, DuckDB type) pairs."""

    name: str
    columns: tuple[tuple[str, str], ...]  # (name, DuckDB type)

    def ddl(self) -> str:
        cols = ", ".join(f"{n} {t}" for n, t in self.columns)
        return f"CREATE TABLE IF NOT EXISTS {self.name} ({cols})"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(n for n, _ in self.columns)


BANK_TRANSACTIONS = Table(
    "bank_transactions",
    (
        ("business_id", "INTEGER NOT NULL"),
        ("account_id", "INTEGER NOT NULL"),
        ("booked_on", "DATE NOT NULL"),
        ("amount_yen", "BIGINT NOT NULL"),  # + in, − out
        ("balance_yen", "BIGINT"),
        ("counterparty", "VARCHAR"),
        ("description", "VARCHAR"),
        ("kind", "VARCHAR NOT NULL"),  # kizashi.domain.bank.TxKind value
    ),
)

INVOICES = Table(
    "invoices",
    (
        ("business_id", "INTEGER NOT NULL"),
        ("invoice_id", "VARCHAR NOT NULL"),
        ("direction", "VARCHAR NOT NULL"),  # kizashi.domain.bank.InvoiceDirection value
        ("counterparty", "VARCHAR"),
        ("issue_date", "DATE NOT NULL"),
        ("due_date", "DATE"),
        ("total_yen", "BIGINT NOT NULL"),
        ("tax_yen", "BIGINT NOT NULL"),
        ("paid", "BOOLEAN NOT NULL"),
        # what the customer was asked to pay (after prepaid amounts), and what the payments
        # matched to it settled (applied + the payer's transfer fees, ``invoice_payment``):
        # the invoice is still owed ``payable_yen - settled_yen`` until ``paid``
        ("payable_yen", "BIGINT"),
        ("settled_yen", "BIGINT NOT NULL DEFAULT 0"),
    ),
)

OPEN_ITEMS = Table(
    "open_items",
    (
        ("business_id", "INTEGER NOT NULL"),
        ("side", "VARCHAR NOT NULL"),  # kizashi.domain.bank.OpenItemSide value
        ("counterparty", "VARCHAR"),
        ("due_date", "DATE"),
        ("amount_yen", "BIGINT NOT NULL"),
    ),
)

# the bank movements matched to invoices (``invoice_payment``), one row per movement × invoice
INVOICE_PAYMENTS = Table(
    "invoice_payments",
    (
        ("business_id", "INTEGER NOT NULL"),
        ("invoice_id", "VARCHAR NOT NULL"),
        ("direction", "VARCHAR NOT NULL"),  # the invoice's
        ("booked_on", "DATE NOT NULL"),  # the movement's
        ("kind", "VARCHAR NOT NULL"),  # the movement's kizashi.domain.bank.TxKind value
        ("amount_yen", "BIGINT NOT NULL"),  # applied to the invoice (> 0)
        ("fee_yen", "BIGINT NOT NULL"),  # the transfer fee the payer deducted
    ),
)

MONEY_TABLES: tuple[Table, ...] = (BANK_TRANSACTIONS, INVOICES, OPEN_ITEMS, INVOICE_PAYMENTS)
MONEY_META_TABLE = Table(
    MONEY_META, (("transaction_watermark", "BIGINT"), ("submission_watermark", "BIGINT"))
)

# --------------------------------------------------------------------------- risk scores

# risk_scores: these keys, then the columns of the rows the model writes
RISK_SCORE_KEYS = ("model_version", "as_of")
RISK_PEER_STATS_TABLE = Table(
    RISK_PEER_STATS,
    (
        ("model_version", "VARCHAR"),
        ("as_of", "DATE"),
        ("peer_group", "VARCHAR"),
        ("n", "BIGINT"),
        ("median", "DOUBLE"),
    ),
)

TABLES = frozenset(
    {PANEL, PANEL_META, LOAN_BALANCES, INDICATOR_VALUES, PEER_STATS, GENERATION}
    | {t.name for t in MONEY_TABLES}
    | {MONEY_META, RISK_SCORES, RISK_PEER_STATS}
)


def ensure_money(con: duckdb.DuckDBPyConnection) -> None:
    """Create the money tables and their watermark row when the file lacks them."""
    had_payments = INVOICE_PAYMENTS.name in tables(con)
    for table in MONEY_TABLES:
        con.execute(table.ddl())
    con.execute(MONEY_META_TABLE.ddl())
    if con.execute(f"SELECT COUNT(*) FROM {MONEY_META}").fetchall()[0][0] == 0:
        con.execute(f"INSERT INTO {MONEY_META} VALUES (0, 0)")
    # invoice columns and the matched payments added later: a file without them gets them and
    # every business's invoices are rewritten by the next sync (its submission watermark reset)
    have = {r[0] for r in con.execute(f"DESCRIBE {INVOICES.name}").fetchall()}
    later = [(n, t) for n, t in INVOICES.columns if n not in have]
    for n, t in later:
        con.execute(f"ALTER TABLE {INVOICES.name} ADD COLUMN {n} {t.replace(' NOT NULL', '')}")
    if later or not had_payments:
        con.execute(f"UPDATE {MONEY_META} SET submission_watermark = 0")


def ensure_risk_scores(con: duckdb.DuckDBPyConnection, version: str, as_of: object) -> None:
    """Create the risk tables when the file lacks them; ``risk_scores`` takes its columns from
    the registered relation ``new_rows`` after the keys."""
    if RISK_SCORES not in tables(con):
        con.execute(
            f"CREATE TABLE {RISK_SCORES} AS SELECT ?::VARCHAR AS {RISK_SCORE_KEYS[0]}, "
            f"?::DATE AS {RISK_SCORE_KEYS[1]}, * FROM new_rows WHERE FALSE",
            [version, as_of],
        )
    con.execute(RISK_PEER_STATS_TABLE.ddl())


def tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }


def has_run_outputs(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether a monitoring run has written its outputs into this file."""
    return set(RUN_OUTPUTS) <= tables(con)


def ensure_panel(con: duckdb.DuckDBPyConnection) -> None:
    """Create the panel tables, or add the columns an older file lacks (then every business is
    re-pivoted once: its rows lack them, and older annual statements were never pivoted)."""
    cols = ", ".join(f'"{c}" BIGINT' for c in item_columns())
    subtotals = "".join(f', "{c}" BIGINT' for c in subtotal_columns())
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {PANEL} (business_id BIGINT, month DATE, "
        f"fiscal_year_start DATE, {cols}, employees INTEGER, span_months SMALLINT{subtotals})"
    )
    con.execute(f"CREATE TABLE IF NOT EXISTS {PANEL_META} (watermark BIGINT)")
    if con.execute(f"SELECT COUNT(*) FROM {PANEL_META}").fetchall()[0][0] == 0:
        con.execute(f"INSERT INTO {PANEL_META} VALUES (0)")
    have = {r[0] for r in con.execute(f"DESCRIBE {PANEL}").fetchall()}
    missing = [c for c in PANEL_LATER if c not in have]
    if missing:
        con.execute("BEGIN")
        for c in missing:
            con.execute(f'ALTER TABLE {PANEL} ADD COLUMN "{c}" {PANEL_LATER[c]}')
        con.execute(f"UPDATE {PANEL_META} SET watermark = 0")
        con.execute("COMMIT")


EMPTY_LOAN_BALANCES_DDL = (
    f"CREATE OR REPLACE TABLE {LOAN_BALANCES} (business_id BIGINT, month DATE, "
    "loan_balance BIGINT, guaranteed_balance BIGINT)"
)


def write_run_output(
    con: duckdb.DuckDBPyConnection, name: str, pack_ref: str, as_of: object, rows: pa.Table
) -> None:
    """Replace run output table ``name``'s rows of (``pack_ref``, ``as_of``) with ``rows``.

    The table's columns are ``pack_ref``, ``as_of`` and the rows' own; a column the rows bring
    that the file lacks (a new indicator or its percentile) is added, NULL in older rows, so a
    file written before it keeps working: its old months read as "no value".
    """
    if name not in RUN_OUTPUTS:
        raise ValueError(f"{name} is not a run output table")
    con.register("new_rows", rows)
    try:
        if name not in tables(con):
            con.execute(
                f"CREATE TABLE {name} AS SELECT ?::VARCHAR AS pack_ref, ?::DATE AS as_of, * "
                "FROM new_rows WHERE FALSE",
                [pack_ref, as_of],
            )
        else:
            have = {r[0] for r in con.execute(f"DESCRIBE {name}").fetchall()}
            for column, typ, *_ in con.execute("DESCRIBE new_rows").fetchall():
                if column not in have:
                    con.execute(f'ALTER TABLE {name} ADD COLUMN "{column}" {typ}')
        con.execute(f"DELETE FROM {name} WHERE pack_ref = ? AND as_of = ?", [pack_ref, as_of])
        con.execute(
            f"INSERT INTO {name} BY NAME SELECT ?::VARCHAR AS pack_ref, ?::DATE AS as_of, * "
            "FROM new_rows",
            [pack_ref, as_of],
        )
    finally:
        con.unregister("new_rows")


def write_generation(con: duckdb.DuckDBPyConnection, token: str) -> None:
    con.execute(f"CREATE OR REPLACE TABLE {GENERATION} (token VARCHAR)")
    con.execute(f"INSERT INTO {GENERATION} VALUES (?)", [token])


def read_generation(con: duckdb.DuckDBPyConnection) -> str | None:
    if GENERATION not in tables(con):
        return None
    rows = con.execute(f"SELECT token FROM {GENERATION}").fetchall()
    return rows[0][0] if rows else None
