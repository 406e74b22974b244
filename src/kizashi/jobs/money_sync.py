"""Money that moved, copied from the store to the analytics file, incrementally.

The money tables of ``kizashi.store.analytics_schema`` (``bank_transactions``, ``invoices``,
``open_items``, ``invoice_payments``) live beside the panel in ``<data_dir>/analytics.duckdb``,
for the bank features, the 真贋性 checks and the cash forecast at scale.

* Bank transactions are never changed once stored (an overlapping statement adds only new
  rows), so a sync appends the rows whose store id is above the file's watermark.
* Invoices, open items and the matched payments change (a schedule replaces its side; an
  invoice is marked paid, or paid in part: ``settled_yen``, the payments matched to it and the
  fees its payer deducted, ``invoice_payment``), so a sync rewrites them for the businesses with a money submission above
  the file's submission watermark (matching runs in the import's unit of work, so a changed
  match comes with a submission; after a change of the matching rules, ``full=True``).

Running it twice changes nothing the second time. ``path``: the file to write (a monitoring run
passes its staged copy); by default the live file, in place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import BigInteger, cast, func, select

from kizashi.store.analytics import analytics_path
from kizashi.store.analytics_schema import (
    BANK_TRANSACTIONS,
    INVOICE_PAYMENTS,
    INVOICES,
    MONEY_META,
    MONEY_TABLES,
    OPEN_ITEMS,
    ensure_money,
    tables,
)
from kizashi.store.db import Store
from kizashi.store.matching_models import InvoicePayment
from kizashi.store.models import (
    BankTransaction,
    Counterparty,
    Invoice,
    OpenItem,
    Submission,
)

BATCH = 200_000
MONEY_FORMATS = ("zengin", "netbank_csv", "ubl_invoice", "sme_edi", "open_items")


@dataclass(frozen=True)
class MoneySyncResult:
    transactions_added: int
    businesses_rewritten: int
    transaction_watermark: int
    submission_watermark: int


def _arrow(
    rows: Sequence[Sequence[Any]], columns: tuple[str, ...], types: list[pa.DataType]
) -> pa.Table:
    cols = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
    return pa.table(
        {
            name: pa.array(list(values), type=t)
            for name, values, t in zip(columns, cols, types, strict=True)
        }
    )


_TX_TYPES = [
    pa.int32(),
    pa.int32(),
    pa.date32(),
    pa.int64(),
    pa.int64(),
    pa.string(),
    pa.string(),
    pa.string(),
]
_INV_TYPES = [
    pa.int32(),
    pa.string(),
    pa.string(),
    pa.string(),
    pa.date32(),
    pa.date32(),
    pa.int64(),
    pa.int64(),
    pa.bool_(),
    pa.int64(),
    pa.int64(),
]
_OPEN_TYPES = [pa.int32(), pa.string(), pa.string(), pa.date32(), pa.int64()]
_PAY_TYPES = [
    pa.int32(),
    pa.string(),
    pa.string(),
    pa.date32(),
    pa.string(),
    pa.int64(),
    pa.int64(),
]


def sync_money(
    store: Store, data_dir: Path, *, full: bool = False, path: Path | None = None
) -> MoneySyncResult:
    """Bring the money tables of the analytics file up to date with the store."""
    data_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path or analytics_path(data_dir)))
    try:
        ensure_money(con)
        if full:
            for table in MONEY_TABLES:
                con.execute(f"DELETE FROM {table.name}")
            con.execute(
                f"UPDATE {MONEY_META} SET transaction_watermark = 0, submission_watermark = 0"
            )
        tx_mark, sub_mark = con.execute(
            f"SELECT transaction_watermark, submission_watermark FROM {MONEY_META}"
        ).fetchall()[0]
        added = 0
        with store.session() as s:
            new_tx_mark = tx_mark
            while True:
                rows = s.execute(
                    select(
                        BankTransaction.id,
                        BankTransaction.business_id,
                        BankTransaction.account_id,
                        BankTransaction.booked_on,
                        BankTransaction.amount_yen,
                        BankTransaction.balance_yen,
                        BankTransaction.counterparty,
                        BankTransaction.description,
                        BankTransaction.kind,
                    )
                    .where(BankTransaction.id > new_tx_mark)
                    .order_by(BankTransaction.id)
                    .limit(BATCH)
                ).all()
                if not rows:
                    break
                batch = _arrow([r[1:] for r in rows], BANK_TRANSACTIONS.column_names, _TX_TYPES)
                con.register("new_tx", batch)
                con.execute(f"INSERT INTO {BANK_TRANSACTIONS.name} BY NAME SELECT * FROM new_tx")
                con.unregister("new_tx")
                added += len(rows)
                new_tx_mark = rows[-1][0]
            new_sub_mark = (
                s.execute(
                    select(Submission.id).order_by(Submission.id.desc()).limit(1)
                ).scalar_one_or_none()
                or 0
            )
            changed = sorted(
                set(
                    s.execute(
                        select(Submission.business_id).where(
                            Submission.id > sub_mark, Submission.format.in_(MONEY_FORMATS)
                        )
                    ).scalars()
                )
            )
            inv_rows: list[tuple[Any, ...]] = []
            open_rows: list[tuple[Any, ...]] = []
            pay_rows: list[tuple[Any, ...]] = []
            if changed:
                settled = (
                    select(
                        InvoicePayment.invoice_id,
                        func.sum(InvoicePayment.amount_yen + InvoicePayment.fee_yen).label("yen"),
                    )
                    .where(InvoicePayment.business_id.in_(changed))
                    .group_by(InvoicePayment.invoice_id)
                    .subquery()
                )
                inv_rows = [
                    tuple(r)
                    for r in s.execute(
                        select(
                            Invoice.business_id,
                            Invoice.invoice_number,
                            Invoice.direction,
                            Counterparty.name,
                            Invoice.issue_date,
                            Invoice.due_date,
                            Invoice.total_yen,
                            Invoice.tax_yen,
                            Invoice.paid,
                            Invoice.payable_yen,
                            cast(func.coalesce(settled.c.yen, 0), BigInteger),
                        )
                        .join(Counterparty, Counterparty.id == Invoice.counterparty_id)
                        .outerjoin(settled, settled.c.invoice_id == Invoice.id)
                        .where(Invoice.business_id.in_(changed))
                        .order_by(Invoice.id)
                    )
                ]
                pay_rows = [
                    tuple(r)
                    for r in s.execute(
                        select(
                            InvoicePayment.business_id,
                            Invoice.invoice_number,
                            Invoice.direction,
                            BankTransaction.booked_on,
                            BankTransaction.kind,
                            InvoicePayment.amount_yen,
                            InvoicePayment.fee_yen,
                        )
                        .join(Invoice, Invoice.id == InvoicePayment.invoice_id)
                        .join(BankTransaction, BankTransaction.id == InvoicePayment.transaction_id)
                        .where(InvoicePayment.business_id.in_(changed))
                        .order_by(InvoicePayment.id)
                    )
                ]
                open_rows = [
                    tuple(r)
                    for r in s.execute(
                        select(
                            OpenItem.business_id,
                            OpenItem.side,
                            Counterparty.name,
                            OpenItem.due_date,
                            OpenItem.amount_yen,
                        )
                        .join(Counterparty, Counterparty.id == OpenItem.counterparty_id)
                        .where(OpenItem.business_id.in_(changed))
                        .order_by(OpenItem.id)
                    )
                ]
        if changed:
            con.register("changed", pa.table({"business_id": pa.array(changed, pa.int32())}))
            con.register("new_inv", _arrow(inv_rows, INVOICES.column_names, _INV_TYPES))
            con.register("new_open", _arrow(open_rows, OPEN_ITEMS.column_names, _OPEN_TYPES))
            con.register("new_pay", _arrow(pay_rows, INVOICE_PAYMENTS.column_names, _PAY_TYPES))
            con.execute("BEGIN")
            for table, new in (
                (INVOICES, "new_inv"),
                (OPEN_ITEMS, "new_open"),
                (INVOICE_PAYMENTS, "new_pay"),
            ):
                con.execute(
                    f"DELETE FROM {table.name} WHERE business_id IN (SELECT business_id FROM changed)"
                )
                con.execute(f"INSERT INTO {table.name} BY NAME SELECT * FROM {new}")
            con.execute("COMMIT")
            for name in ("changed", "new_inv", "new_open", "new_pay"):
                con.unregister(name)
        con.execute(
            f"UPDATE {MONEY_META} SET transaction_watermark = ?, submission_watermark = ?",
            [new_tx_mark, max(new_sub_mark, sub_mark)],
        )
        return MoneySyncResult(
            added, len(changed), int(new_tx_mark), int(max(new_sub_mark, sub_mark))
        )
    finally:
        con.close()


def read_money_table(data_dir: Path, name: str, path: Path | None = None) -> pa.Table:
    """One money table of the analytics file (empty when never synced)."""
    target = path or analytics_path(data_dir)
    if not target.exists():
        return pa.table({})
    con = duckdb.connect(str(target), read_only=True)
    try:
        if name not in {t.name for t in MONEY_TABLES}:
            raise ValueError(f"{name} is not a money table")
        if name not in tables(con):
            return pa.table({})
        return con.sql(f"SELECT * FROM {name}").to_arrow_table()
    finally:
        con.close()
