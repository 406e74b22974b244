"""Money that moved reaches the analytics file incrementally, and a second sync changes nothing."""

from __future__ import annotations

from datetime import date

from kizashi.actions.bank import do_import_money
from kizashi.ingest.money import MoneyOptions
from kizashi.jobs.money_sync import read_money_table, sync_money
from kizashi.store.analytics_schema import BANK_TRANSACTIONS
from tests.ingest import zengin_builder as zb
from tests.world import make_world

OPTS = MoneyOptions(today=date(2024, 5, 10))


def _import(store, actor, bid, data, name, tmp_path):
    with store.session() as s:
        out = do_import_money(
            s,
            actor,
            business_id=bid,
            data=data,
            filename=name,
            raw_dir=tmp_path / "raw",
            options=OPTS,
        )
    assert out.stored, out.issues
    return out


def test_transactions_invoices_and_open_items_sync(store, tmp_path):
    with store.session() as s:
        world = make_world(s)
    owner, bid = world.actors["owner"], world.business.id
    data_dir = tmp_path / "data"
    _import(store, owner, bid, b"\n".join(zb.statement03()), "m1.txt", tmp_path)
    first = sync_money(store, data_dir)
    assert first.transactions_added == 4 and first.businesses_rewritten == 1
    tx = read_money_table(data_dir, "bank_transactions")
    assert tuple(tx.column_names) == BANK_TRANSACTIONS.column_names
    assert sorted(tx.column("amount_yen").to_pylist()) == [-300_000, -120_000, -50_000, 500_000]
    assert set(tx.column("kind").to_pylist()) == {
        "sales_receipt",
        "payroll",
        "rent",
        "social_insurance",
    }
    again = sync_money(store, data_dir)
    assert (again.transactions_added, again.businesses_rewritten) == (0, 0)
    assert read_money_table(data_dir, "bank_transactions").num_rows == 4

    schedule = "得意先,入金予定日,残高\nA商事,2024/05/31,100\nB商店,2024/06/30,200\n"
    _import(store, owner, bid, schedule.encode(), "ar.csv", tmp_path)
    sync_money(store, data_dir)
    items = read_money_table(data_dir, "open_items")
    assert sorted(items.column("amount_yen").to_pylist()) == [100, 200]
    _import(
        store,
        owner,
        bid,
        "得意先,入金予定日,残高\nA商事,2024/06/30,50\n".encode(),
        "ar2.csv",
        tmp_path,
    )
    later = sync_money(store, data_dir)
    assert later.transactions_added == 0 and later.businesses_rewritten == 1
    items = read_money_table(data_dir, "open_items")
    assert items.column("amount_yen").to_pylist() == [50]
    assert items.column("side").to_pylist() == ["receivable"]
    full = sync_money(store, data_dir, full=True)
    assert full.transactions_added == 4
    assert read_money_table(data_dir, "bank_transactions").num_rows == 4
