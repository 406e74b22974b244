"""Every table of the analytics file is declared in ``kizashi.store.analytics_schema``."""

from __future__ import annotations

import datetime as dt
import re

import duckdb

from kizashi.jobs.monitoring import run_monitoring_job
from kizashi.store import analytics_schema as schema
from kizashi.store.analytics import analytics_path
from kizashi.synth import generate
from kizashi.synth.bank import BankOptions, bank_chunk
from kizashi.synth.calendar import month_index

from ..demo_cache import monitored_demo


def test_every_table_of_a_full_run_is_declared(cli, store, settings):
    monitored_demo(store, settings, businesses=150, seed=11)
    out = cli("model", "train", "--test-months", "3")
    assert out.exit_code == 0, out.output
    version = re.search(r"版 (v\d{8}-\d{6})", out.output).group(1)
    assert cli("model", "activate", version).exit_code == 0
    run_monitoring_job(store, settings)  # scores with the active model

    con = duckdb.connect(str(analytics_path(settings.data_dir)), read_only=True)
    try:
        columns: dict[str, list[str]] = {}
        for table, column in con.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "ORDER BY table_name, ordinal_position"
        ).fetchall():
            columns.setdefault(table, []).append(column)
    finally:
        con.close()
    assert set(columns) == schema.TABLES  # money and risk tables included
    for table in schema.MONEY_TABLES:
        assert tuple(columns[table.name]) == table.column_names
    assert tuple(columns[schema.RISK_PEER_STATS]) == schema.RISK_PEER_STATS_TABLE.column_names
    assert tuple(columns[schema.RISK_SCORES][:2]) == schema.RISK_SCORE_KEYS
    assert columns[schema.LOAN_BALANCES] == list(schema.LOAN_BALANCE_COLUMNS)


def test_synthetic_money_has_the_declared_columns():
    end = dt.date(2026, 9, 1)
    ch = next(generate(60, seed=3, months=24, end_month=end, chunk_size=60))
    _, blocks = bank_chunk(
        ch.panel, ch.repayments, ch.loan_balances, month_index(end), BankOptions(seed=3)
    )
    block = next(blocks)
    for table in schema.MONEY_TABLES:
        if table is schema.INVOICE_PAYMENTS:  # no matches in the synthetic portfolio
            assert table.name not in block
            continue
        assert tuple(block[table.name].column_names) == table.column_names
