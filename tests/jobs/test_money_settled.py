"""A part-paid invoice counts at what it still asks, to the yen, through the real path: invoices
and bank statements imported into the store, matched to each other (``actions.matching``),
copied to the analytics file with what the matches settled (``jobs.money_sync``: ``payable_yen``
and ``settled_yen``), read by the bank features (``open_receivables``) and quoted by the rule
``authenticity.receivables_unsupported``. Invoice 156 (¥281,240) is paid less a ¥440 fee;
157 (¥281,240) received ¥100,000: ¥181,240 is still open, not ¥281,240."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select

from kizashi.jobs.money_sync import read_money_table, sync_money
from kizashi.jobs.monitoring import run_monitoring_job
from kizashi.store.models import Flag
from tests.actions.test_payment_matching import (
    BANK,
    ISSUED_156,
    ISSUED_157,
    PARTIAL,
)
from tests.actions.test_payment_matching import _import as import_money
from tests.jobs.test_reimport import _import as import_books
from tests.world import make_world

BOOKS_RECEIVABLES = 1_000_000


def _books() -> list[dict]:
    """Monthly cumulative trial balances Apr–Dec 2023 (fiscal year from April): receivables of
    ¥1,000,000 in the books at every month end."""
    out = []
    for k in range(9):
        y, m = divmod(3 + k, 12)
        end = date(2023 + y + (m + 1) // 12, (m + 1) % 12 + 1, 1).toordinal() - 1
        out.append(
            {
                "period_end": date.fromordinal(end),
                "fiscal_year_start": date(2023, 4, 1),
                "amounts": {
                    "cash_and_deposits": 400_000,
                    "accounts_receivable": BOOKS_RECEIVABLES,
                    "capital_stock": 1_400_000,
                    "sales": (k + 1) * 300_000,
                    "purchases": (k + 1) * 300_000,
                },
            }
        )
    return out


def test_part_paid_invoice_counts_at_what_is_left(cli, store, settings, tmp_path):
    with store.session() as s:
        world = make_world(s)
    owner, bid = world.actors["owner"], world.business.id
    import_books(cli, tmp_path, bid, _books(), "tb.csv")
    for data, name in (
        (ISSUED_156, "156.xml"),
        (ISSUED_157, "157.xml"),
        (BANK.encode("cp932"), "meisai.csv"),
        (PARTIAL.encode("utf-8"), "meisai2.csv"),
    ):
        assert import_money(store, owner, bid, data, name, tmp_path).stored

    # the analytics copy carries what each invoice asked and what its matches settled
    sync_money(store, settings.data_dir)
    inv = {r["invoice_id"]: r for r in read_money_table(settings.data_dir, "invoices").to_pylist()}
    assert {k: (r["paid"], r["payable_yen"], r["settled_yen"]) for k, r in inv.items()} == {
        "156": (True, 281_240, 281_240),  # 280,800 + the 440 fee
        "157": (False, 281_240, 100_000),
    }
    pay = read_money_table(settings.data_dir, "invoice_payments").to_pylist()
    assert sorted(
        (r["invoice_id"], r["amount_yen"], r["fee_yen"], r["direction"]) for r in pay
    ) == [
        ("156", 280_800, 440, "issued"),
        ("157", 100_000, 0, "issued"),
    ]

    run_monitoring_job(store, settings)
    with store.session() as s:
        flags = {
            f.rule_id: json.loads(f.evidence_latest)
            for f in s.execute(select(Flag).where(Flag.business_id == bid, Flag.is_open)).scalars()
        }
    assert flags["authenticity.receivables_unsupported"] == {
        "books": BOOKS_RECEIVABLES,
        "open": 281_240 - 100_000,
    }


def test_an_older_analytics_file_gets_the_columns_and_a_full_rewrite(tmp_path):
    """A file written before ``payable_yen``/``settled_yen`` and ``invoice_payments`` gets them,
    and its submission watermark goes back to 0 so that the next sync rewrites every business's
    invoices (their settled amounts); the transactions' watermark stays."""
    import duckdb

    from kizashi.store.analytics_schema import INVOICES, MONEY_META, ensure_money

    con = duckdb.connect(str(tmp_path / "analytics.duckdb"))
    old = ", ".join(
        f"{n} {t}" for n, t in INVOICES.columns if n not in ("payable_yen", "settled_yen")
    )
    con.execute(f"CREATE TABLE invoices ({old})")
    con.execute(
        "INSERT INTO invoices VALUES (1, 'A-1', 'issued', 'X', DATE '2024-01-31', NULL, 1100, 100, FALSE)"
    )
    con.execute(
        f"CREATE TABLE {MONEY_META} (transaction_watermark BIGINT, submission_watermark BIGINT)"
    )
    con.execute(f"INSERT INTO {MONEY_META} VALUES (40, 7)")
    ensure_money(con)
    cols = [r[0] for r in con.execute("DESCRIBE invoices").fetchall()]
    assert cols[-2:] == ["payable_yen", "settled_yen"]
    assert con.execute("SELECT payable_yen, settled_yen FROM invoices").fetchall() == [(None, 0)]
    assert con.execute(f"SELECT * FROM {MONEY_META}").fetchall() == [(40, 0)]
    assert con.execute("SELECT COUNT(*) FROM invoice_payments").fetchall() == [(0,)]
    con.execute(f"UPDATE {MONEY_META} SET submission_watermark = 9")
    ensure_money(con)  # brought up to date once: nothing reset again
    assert con.execute(f"SELECT * FROM {MONEY_META}").fetchall() == [(40, 9)]
    con.close()
