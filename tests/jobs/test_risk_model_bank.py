"""The store's train path picks up the bank features where bank statements are stored: they
reach the training rows (``bank_data`` = 1 exactly in the statements' months), the trained
version and its card, the monitoring run's scores and the reasons (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from datetime import date

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from sqlalchemy import select

from kizashi.access import Actor
from kizashi.actions.bank import do_import_money
from kizashi.domain.vocabulary import OrgKind, Role
from kizashi.jobs.monitoring import run_monitoring_job
from kizashi.jobs.risk_model import history
from kizashi.model import registry
from kizashi.store.models import Business
from kizashi.store.risk_scores import business_scores, write_scores

from ..demo_cache import built_demo

WITH_BANK = range(1, 61)  # businesses 1–60 send statements for the last 24 months
MONTHS = [date(2024 + (9 + k) // 12, (9 + k) % 12 + 1, 1) for k in range(24)]  # 2024-10 … 2026-09


def _statement(bid: int) -> bytes:
    """A net-banking CSV (the SBI layout): each month a customer deposit, payroll and rent;
    every fifth business overdraws in the last 6 months (payroll before the deposit)."""
    rows = ['"日付","内容","出金金額(円)","入金金額(円)","残高(円)","メモ"']
    bal = 2_000_000
    for k, m in enumerate(MONTHS):
        short = bid % 5 == 0 and k >= len(MONTHS) - 6
        moves = [
            (1 if not short else 20, "振込 ヤマダショウジ", 0, 1_500_000 + 10_000 * bid),
            (10, "給与", 1_200_000 + (1_000_000 if short else 0), 0),
            (27, "家賃", 200_000, 0),
        ]
        for day, text, out, inn in sorted(moves):
            bal += inn - out
            rows.append(
                f'"{m.year}/{m.month:02d}/{day:02d}","{text}","{out or ""}","{inn or ""}","{bal}",""'
            )
    return ("\n".join(rows) + "\n").encode("utf-8")


@pytest.fixture
def demo(store, settings):
    built_demo(store, settings, businesses=150, seed=11)
    with store.session() as s:
        orgs = dict(s.execute(select(Business.id, Business.org_id)).all())
    for bid in WITH_BANK:
        owner = Actor(None, orgs[bid], OrgKind.BUSINESS, Role.OWNER, login=f"test-owner-{bid}")
        with store.session() as s:
            out = do_import_money(
                s,
                owner,
                business_id=bid,
                data=_statement(bid),
                filename=f"meisai{bid}.csv",
                raw_dir=settings.raw_dir,
            )
        assert out.stored, out.issues
    run_monitoring_job(store, settings)  # syncs the statements into the analytics file
    return settings


def test_train_path_uses_the_stored_bank_data(cli, store, demo, tmp_path):
    data_dir = tmp_path / "data"
    h = history(store, data_dir)
    names = h.frame.names
    assert "bank_data" in names and "pct_bank_negative_days_3m" in names
    flag = h.frame.X[:, names.index("bank_data")]
    month = h.frame.month.astype("datetime64[M]")
    covered = np.isin(h.frame.business_id, list(WITH_BANK)) & (
        month >= np.datetime64(MONTHS[0], "M")
    )
    assert covered.any() and (~covered).any()
    assert np.array_equal(flag == 1, covered)
    neg = h.frame.X[:, names.index("bank_negative_days_3m")]
    assert np.isnan(neg[~covered]).all() and not np.isnan(neg[covered]).any()
    overdrawn = covered & (h.frame.business_id % 5 == 0) & (month >= np.datetime64("2026-06"))
    assert (neg[overdrawn] > 0).all() and (neg[covered & ~overdrawn] == 0).all()

    out = cli("model", "train", "--test-months", "3")
    assert out.exit_code == 0, out.output
    version = re.search(r"版 (v\d{8}-\d{6})", out.output).group(1)
    model = registry.load_model(data_dir, version)
    assert "bank_negative_days_3m" in model.names
    assert model.monotone[model.names.index("bank_negative_days_3m")] == 1
    assert model.monotone[model.names.index("bank_cash_cover_months")] == -1
    card = cli("model", "card", version).output
    assert "口座残高がマイナスになった日数(直近3か月)" in card
    assert (
        "Days the bank balance was below zero"
        in cli("model", "card", version, "--lang", "en").output
    )

    assert cli("model", "activate", version).exit_code == 0
    run_monitoring_job(store, demo)  # scores with the bank features of the run
    row = business_scores(data_dir, 5, version)[0]
    assert row["bank_data"] == 1.0 and row["bank_negative_days_3m"] > 0
    assert row["bank_regular_gap_months"] == 0.0
    other = business_scores(data_dir, 100, version)[0]
    assert other["bank_data"] == 0.0 and other["bank_negative_days_3m"] is None
    out = cli("model", "explain", "1", "--as", "owner1")
    assert out.exit_code == 0, out.output
    assert cli("model", "drift").exit_code == 0


def test_scores_of_a_bank_model_go_into_an_older_scores_table(tmp_path):
    """A file whose scores came from a model without bank features takes a later model's bank
    columns (added to the table), the older rows reading NULL there."""
    path = tmp_path / "analytics.duckdb"
    old = pa.table({"business_id": [1, 2], "peer_group": ["g", "g"], "probability": [0.1, 0.2]})
    write_scores(path, "v1", date(2026, 8, 1), old)
    new = old.append_column("bank_data", pa.array([1.0, 0.0])).append_column(
        "bank_negative_days_3m", pa.array([4.0, None], pa.float64())
    )
    write_scores(path, "v2", date(2026, 9, 1), new)
    con = duckdb.connect(str(path), read_only=True)
    got = con.sql(
        "SELECT model_version, business_id, bank_data, bank_negative_days_3m FROM risk_scores "
        "ORDER BY 1, 2"
    ).fetchall()
    con.close()
    assert got == [
        ("v1", 1, None, None),
        ("v1", 2, None, None),
        ("v2", 1, 1.0, 4.0),
        ("v2", 2, 0.0, None),
    ]
