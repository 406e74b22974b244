"""The model's bank features (``kizashi.model.bank``): a bank feature that decides the event is
ranked and explained; a row's bank features use only bank data up to its month (features
computed on the truncated data are the same, and later bank data never change the trees)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kizashi.domain.bank_features import BANK_FEATURE_COLUMNS
from kizashi.engine.exec.bank_features import compute_bank_features
from kizashi.model import metrics
from kizashi.model.bank import add_bank_features, bank_catalogue
from kizashi.model.catalogue import direction, feature
from kizashi.model.explain import reasons, sentence
from kizashi.model.features import Frame, catalogue
from kizashi.model.fit import fit_model
from kizashi.model.pipeline import train_evaluate
from kizashi.model.split import calibration_holdout
from kizashi.synth import generate
from kizashi.synth.bank import BankOptions, bank_chunk
from kizashi.synth.calendar import month_index

NAMES = tuple(f.id for f in catalogue())
NEG = "bank_negative_days_3m"


def _portfolio(
    n_biz: int, months: int, seed: int, *, events_after: int | None = None
) -> tuple[Frame, pa.Table, dict[int, np.datetime64]]:
    """Businesses × months with noise for every panel feature; 80 % send bank data. A third of
    those go below zero on 3–6 days a month from a random month on; the rest never do."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2022-01", "M")
    bid = np.repeat(np.arange(1, n_biz + 1), months)
    m = np.tile(start + np.arange(months), n_biz).astype("datetime64[D]")
    X = rng.normal(size=(bid.size, len(NAMES))).astype(np.float32)
    peer = np.array([f"g{b % 3}" for b in bid], dtype=object)
    frame = Frame(bid, m, peer, X, NAMES, np.zeros(bid.size))
    has_bank = rng.uniform(size=n_biz) < 0.8
    risky = has_bank & (rng.uniform(size=n_biz) < 0.33)
    from_t = rng.integers(0, months, n_biz)
    t = np.tile(np.arange(months), n_biz)
    keep = has_bank[bid - 1]
    r = bid.size
    neg = np.where(risky[bid - 1] & (t >= from_t[bid - 1]), rng.integers(3, 7, r), 0)
    cols: dict[str, np.ndarray] = {c: np.zeros(r, dtype=np.int64) for c in BANK_FEATURE_COLUMNS}
    cols.update(
        bank_balance=rng.integers(1, 30, r) * 1_000_000,
        bank_tx=rng.integers(20, 200, r),
        bank_deposits=rng.integers(5, 50, r) * 1_000_000,
        bank_payroll=rng.integers(1, 9, r) * 1_000_000,
        bank_social_insurance=rng.integers(1, 9, r) * 100_000,
        bank_rent=np.full(r, 300_000),
        bank_loan_payments=rng.integers(0, 20, r) * 100_000,
        bank_negative_days=neg,
        invoices_issued=rng.integers(5, 50, r) * 1_000_000,
    )
    bank = pa.table(
        {
            "business_id": pa.array(bid[keep], pa.int64()),
            "month": pa.array(m[keep], pa.date32()),
            **{
                c: pa.array(v[keep], pa.float64() if c.endswith("_pct") else pa.int64())
                for c, v in cols.items()
            },
        }
    )
    bank = bank.set_column(
        bank.schema.get_field_index("bank_top_customer_pct"),
        "bank_top_customer_pct",
        pa.array(rng.uniform(10, 90, int(keep.sum()))),
    )
    firsts: dict[int, np.datetime64] = {}
    if events_after is not None:  # a 条件変更 a few months after the first month below zero
        for b in np.flatnonzero(risky) + 1:
            firsts[int(b)] = (start + from_t[b - 1] + events_after).astype(
                "datetime64[D]"
            ) + np.timedelta64(9, "D")
    return frame, bank, firsts


def test_one_bank_feature_decides_and_is_the_reason():
    """Events happen exactly when the balance went below zero on 6 days or more in 3 months:
    the model ranks by that feature and names it first, with its value and peer band."""
    frame, bank = _portfolio(500, 24, 1)[:2]
    out = add_bank_features(frame, bank)
    assert out.names == (*NAMES, *(f.id for f in bank_catalogue()))
    j = out.names.index(NEG)
    y = (np.nan_to_num(out.X[:, j]) >= 6).astype(float)
    assert 0.05 < y.mean() < 0.5
    mono = tuple(direction(n) for n in out.names)
    assert mono[j] == 1 and direction("bank_data") == 0 and direction("unknown") == 0
    model = fit_model(
        out.X, y, out.names, monotone=mono, calib_mask=calibration_holdout(out.business_id)
    )
    test = add_bank_features(*_portfolio(300, 24, 2)[:2])
    yt = np.nan_to_num(test.X[:, j]) >= 6
    assert metrics.auc(yt, model.probability(test.X)) > 0.99
    contrib = model.contributions(test.X)
    risky = np.flatnonzero(yt)[:40]
    assert risky.size == 40
    for i in risky:
        why = reasons(contrib[i], test.X[i], test.names)
        assert why[0].feature == NEG and why[0].contribution > 0
        assert why[0].value == test.X[i, j]
        assert why[0].ja.startswith("口座残高がマイナスになった日数(直近3か月)が")
        assert f"{why[0].value:,.0f}日" in why[0].ja and "押し上げ" in why[0].ja
        assert "同業の" in why[0].ja  # its peer band among businesses with bank data
        assert why[0].en.startswith("Days the bank balance was below zero, last 3 months is")
        assert 1 <= len(why) <= 5
    # the band follows the peer percentile of the same month and peer group
    pct = test.X[risky, test.names.index(f"pct_{NEG}")]
    assert np.all(pct > 50)


def test_rows_without_bank_data():
    frame, _bank, _ = _portfolio(20, 6, 3)
    out = add_bank_features(frame, None)
    block = out.X[:, len(NAMES) :]
    assert np.all(block[:, 0] == 0) and np.all(np.isnan(block[:, 1:]))
    ja, en = sentence(feature("bank_data"), 0.0, None, True)
    assert ja == "口座の入出金データがない状態で、確率を押し上げています。"
    assert en == "Bank account data for the month is missing, which raises the probability."
    # a frame with bank data for some rows: the others stay unknown, with the indicator 0
    frame, bank, _ = _portfolio(60, 8, 4)
    out = add_bank_features(frame, bank)
    with_bank = set(bank.column("business_id").to_pylist())
    flag = out.X[:, out.names.index("bank_data")]
    for b, f, v in zip(out.business_id, flag, out.X[:, out.names.index(NEG)], strict=True):
        assert f == (1.0 if b in with_bank else 0.0)
        assert np.isnan(v) == (b not in with_bank)


def _until(table: pa.Table, column: str, last: dt.date) -> pa.Table:
    return table.filter(pc.less_equal(table.column(column), pa.scalar(last, pa.date32())))


def test_bank_features_use_only_data_up_to_their_month():
    """The features of every month up to M from all the bank data equal those computed from
    the transactions and invoices up to M's end alone (as the month-end run of M saw them)."""
    end = dt.date(2026, 9, 1)
    ch = next(generate(200, seed=4, months=18, end_month=end, chunk_size=200))
    panel, blocks = bank_chunk(
        ch.panel, ch.repayments, ch.loan_balances, month_index(end), BankOptions(share=0.5, seed=4)
    )
    parts = list(blocks)
    tx = pa.concat_tables([b["bank_transactions"] for b in parts])
    inv = pa.concat_tables([b["invoices"] for b in parts])
    bid = np.asarray(panel.column("business_id").to_numpy(), dtype=np.int64)
    month = np.asarray(panel.column("month").to_numpy(), dtype="datetime64[D]")
    frame = Frame(
        bid,
        month,
        np.array([f"g{b % 2}" for b in bid], dtype=object),
        np.zeros((bid.size, 1), np.float32),
        ("x",),
    )
    full = add_bank_features(frame, compute_bank_features(tx, end, invoices=inv))
    for cut in (dt.date(2026, 2, 1), dt.date(2026, 6, 1)):
        last_day = dt.date(cut.year, cut.month + 1, 1) - dt.timedelta(days=1)
        seen = compute_bank_features(
            _until(tx, "booked_on", last_day), cut, invoices=_until(inv, "issue_date", last_day)
        )
        rows = month <= np.datetime64(cut)
        part = add_bank_features(frame.take(rows), seen)
        assert part.X[:, 0].size == rows.sum() and np.nansum(part.X[:, 1]) > 0
        np.testing.assert_array_equal(part.X, full.X[rows])  # NaN where NaN


def test_later_bank_data_never_reach_training():
    """Change every bank row after the cut-off (and the events after it): the same trees."""
    frame, bank, firsts = _portfolio(400, 40, 5, events_after=3)
    observed = np.datetime64("2025-04-30")
    cutoff = np.datetime64("2023-09", "M")
    model, meta = train_evaluate(add_bank_features(frame, bank), firsts, observed, cutoff=cutoff)
    assert meta["train"]["last_month"] == "2022-09" and meta["metrics"]["model"]["auc"] > 0.7
    assert NEG in model.names and model.monotone[model.names.index(NEG)] == 1
    later = pc.greater(bank.column("month"), pa.scalar(dt.date(2023, 9, 30), pa.date32()))
    rng = np.random.default_rng(9)
    changed = bank
    for c in ("bank_negative_days", "bank_deposits", "bank_balance", "bank_payroll"):
        noise = pa.array(rng.integers(0, 10**7, bank.num_rows))
        i = changed.schema.get_field_index(c)
        changed = changed.set_column(i, c, pc.if_else(later, noise, changed.column(c)))
    cut_day = (cutoff + 1).astype("datetime64[D]")
    firsts2 = {b: d for b, d in firsts.items() if d < cut_day}
    firsts2.update({b: np.datetime64("2023-12-01") for b in range(1, 401, 5) if b not in firsts2})
    model2, _ = train_evaluate(add_bank_features(frame, changed), firsts2, observed, cutoff=cutoff)
    assert model2.booster.model_to_string() == model.booster.model_to_string()
    assert model2.calibration == model.calibration
