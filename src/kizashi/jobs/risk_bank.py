"""The bank features the risk model learns from: every month's, from the analytics file's money
tables (synced by the monitoring run), or None when no bank transaction is stored."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa

from kizashi.engine.exec.bank_features import compute_bank_features
from kizashi.model.bank import BANK_INPUTS
from kizashi.store.analytics_schema import BANK_TRANSACTIONS, INVOICES

from .money_sync import read_money_table


def bank_history(data_dir: Path, as_of: date) -> pa.Table | None:
    """The monthly bank features (``compute_bank_features``) of every business and month up to
    ``as_of``; each month's from the transactions and invoices up to that month (the model
    uses none of the as-of-only columns)."""
    tx = read_money_table(data_dir, BANK_TRANSACTIONS.name)
    if tx.num_rows == 0:
        return None
    inv = read_money_table(data_dir, INVOICES.name)
    feats = compute_bank_features(tx, as_of, invoices=inv if inv.num_rows else None)
    return feats.select(["business_id", "month", *BANK_INPUTS])  # what the model reads
