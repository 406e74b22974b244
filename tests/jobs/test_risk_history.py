"""Training's history on a store (SQLite and PostgreSQL): the frame ``risk_model.history``
streams month by month from the analytics file's panel (``jobs.risk_history``) is the one the
engine's every-month tables give at once, and ``kizashi model train`` keeps only the months its
split uses."""

from __future__ import annotations

import numpy as np
import pytest

from kizashi.engine.exec.run import run_monitoring
from kizashi.jobs.panel_sync import read_loan_balances, read_panel
from kizashi.jobs.risk_history import training_months
from kizashi.jobs.risk_model import history
from kizashi.jobs.run_inputs import register_inputs
from kizashi.model.features import build_frame

from ..demo_cache import monitored_demo


@pytest.fixture
def demo(store, settings):
    monitored_demo(store, settings, businesses=150, seed=11)
    return settings


def test_streamed_history_is_the_one_table_history(store, demo):
    data_dir = demo.data_dir
    panel = read_panel(data_dir)
    last = max(panel.column("month").to_pylist())
    businesses, events, loans = register_inputs(store, None, last)
    full = run_monitoring(
        panel, businesses, events, None, last, loans=loans,
        loan_balances=read_loan_balances(data_dir), history=True,
    )  # fmt: skip
    labelled = np.arange(np.datetime64("2000-01"), np.datetime64(last, "M") - 11)
    one_table = build_frame(
        full.indicators, full.episodes, events, months=labelled.astype("datetime64[D]")
    )
    h = history(store, data_dir)
    f = h.frame
    assert len(f) == len(one_table) > 1000
    assert (f.business_id == one_table.business_id).all() and (f.month == one_table.month).all()
    common = [n for n in one_table.names if n in f.names]
    assert len(common) == len(one_table.names)
    np.testing.assert_array_equal(f.columns(tuple(common)), one_table.columns(tuple(common)))
    assert list(f.peer_group) == list(one_table.peer_group)

    # a training's history: only the rows its split trains or tests on, the same values
    t = history(store, data_dir, test_months=3)
    kept = set(training_months(last, test_months=3))
    assert set(np.unique(t.frame.month)) <= kept and 0 < len(t.frame) < len(f)
    key = f.business_id * 100_000 + f.month.astype(np.int64)
    at = np.searchsorted(key, t.frame.business_id * 100_000 + t.frame.month.astype(np.int64))
    assert (f.business_id[at] == t.frame.business_id).all() and (f.month[at] == t.frame.month).all()
    np.testing.assert_array_equal(t.frame.X, f.X[at])
