"""A monitoring run over the store reads the bank and the lenders' records: books with sales the
deposits do not show and no borrowings against the lenders' 35,000,000 are flagged; a deposit
balance 300,001 yen off the books' stays below the threshold (max(500,000, 5 %))."""

from __future__ import annotations

import json

from sqlalchemy import select

from kizashi.jobs.monitoring import run_monitoring_job
from kizashi.store.models import Flag
from tests.cli.test_cash_cmd import _statement
from tests.jobs.test_reimport import SALES, _history, _import
from tests.world import make_world


def test_run_flags_books_that_disagree_with_the_bank(cli, store, settings, tmp_path):
    with store.session() as s:
        bid = make_world(s).business.id
    _import(cli, tmp_path, bid, _history(None), "tb.csv")  # books: cash 0.2 × sales all along
    r = cli("ingest", str(_statement(tmp_path / "m.csv")), "--business", str(bid), "--as", "owner")
    assert r.exit_code == 0, r.output
    run_monitoring_job(store, settings)
    with store.session() as s:
        flags = {
            f.rule_id: f
            for f in s.execute(select(Flag).where(Flag.business_id == bid, Flag.is_open)).scalars()
        }
    assert "authenticity.deposit_balance_mismatch" not in flags  # 2,000,000 vs 2,300,001

    def evidence(rule: str) -> dict:
        return json.loads(flags[rule].evidence_latest)

    # Jul–Sep: 2,000,000 + 3 × 1,300,000 deposited (unclassified money in) against 3 × SALES
    assert evidence("authenticity.sales_unsupported")["sales"] == 3 * SALES
    assert evidence("authenticity.sales_unsupported")["deposits"] == 5_900_000
    # the lenders' balance: original amounts less principal paid (no instalments recorded)
    assert evidence("authenticity.borrowings_understated")["lenders"] == 35_000_000
