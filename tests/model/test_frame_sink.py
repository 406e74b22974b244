"""The feature frame streamed month by month (``run_monitoring(history_sink=…)`` into
``FrameSink``, ``jobs.risk_history``) is the frame built from the whole history at once, and the
model trained on it is the same model."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from kizashi.engine.exec import run as run_module
from kizashi.engine.exec.run import run_monitoring
from kizashi.jobs.risk_history import history_frame, training_frame, training_months
from kizashi.model.features import build_frame
from kizashi.model.frame_sink import FrameSink
from kizashi.model.labels import first_serious, month_end
from kizashi.model.pipeline import train_evaluate
from kizashi.synth import LOAN_COLUMNS
from kizashi.synth.generator import generate


@pytest.fixture(scope="module")
def portfolio() -> dict[str, pa.Table]:
    chunks = list(generate(700, seed=5, months=28))
    return {
        k: pa.concat_tables([getattr(c, k) for c in chunks])
        for k in ("businesses", "panel", "credit_events", "loans", "loan_balances")
    }


@pytest.fixture(scope="module")
def full(portfolio):  # type: ignore[no-untyped-def]
    """The one-table path: the engine's every month at once."""
    p = portfolio
    return run_monitoring(p["panel"], p["businesses"], p["credit_events"], history=True,
                          chunk_businesses=300, **_inputs(p))  # fmt: skip


def _inputs(p: dict[str, pa.Table]) -> dict[str, object]:
    return {"loans": p["loans"], "loan_columns": LOAN_COLUMNS, "loan_balances": p["loan_balances"]}


def _same(a, b) -> None:  # type: ignore[no-untyped-def]
    assert len(a) == len(b) > 0
    assert (a.business_id == b.business_id).all() and (a.month == b.month).all()
    assert a.names == b.names
    np.testing.assert_array_equal(a.X, b.X)  # NaN where NaN
    assert list(a.peer_group) == list(b.peer_group)
    np.testing.assert_array_equal(a.rule_points, b.rule_points)


@pytest.mark.parametrize("windows", ["numpy", "sql"])
def test_streamed_frame_is_the_one_table_frame(portfolio, full, windows, monkeypatch):
    p = portfolio
    monkeypatch.setattr(run_module, "_PIECE_ROWS", 250)  # months in pieces (row groups of 300)
    monkeypatch.setattr(run_module, "_PCT_BATCH", 2)  # percentiles a few columns at a time
    one_table = build_frame(full.indicators, full.episodes, p["credit_events"])
    # events in no order: each piece's joins see only its businesses' events and episodes
    ev = p["credit_events"]
    sink = FrameSink(ev.take(pa.array(np.random.default_rng(1).permutation(ev.num_rows))))
    streamed = run_monitoring(
        p["panel"], p["businesses"], p["credit_events"], history_sink=sink, windows=windows,
        chunk_businesses=300, **_inputs(p),
    )  # fmt: skip
    _same(sink.frame(), one_table)
    # the run's own result is the latest month's, as without the sink
    plain = run_monitoring(
        p["panel"], p["businesses"], p["credit_events"], windows=windows, chunk_businesses=300,
        **_inputs(p),
    )  # fmt: skip
    assert streamed.indicators.equals(plain.indicators)
    assert streamed.episodes.equals(full.episodes) and streamed.summary.equals(plain.summary)


def test_without_evidence_the_same_flags_and_indicators(portfolio, full):
    """``evidence=False`` (a training run's): the same indicators, firings and episodes (when
    each flag opened and closed, its severity), only their evidence is not computed."""
    p = portfolio
    bare = run_monitoring(p["panel"], p["businesses"], p["credit_events"], history=True,
                          chunk_businesses=300, evidence=False, **_inputs(p))  # fmt: skip
    assert bare.indicators.equals(full.indicators) and bare.summary.equals(full.summary)
    assert bare.peers.equals(full.peers)
    kept = ["evidence_opened", "evidence_latest"]
    assert full.episodes.num_rows > 0 and full.episodes.column("evidence_opened").null_count == 0
    assert bare.episodes.drop_columns(kept).equals(full.episodes.drop_columns(kept))
    assert all(bare.episodes.column(c).null_count == bare.episodes.num_rows for c in kept)
    assert full.firings.column("evidence").null_count < full.firings.num_rows
    assert bare.firings.drop_columns(["evidence"]).equals(full.firings.drop_columns(["evidence"]))
    assert bare.firings.column("evidence").null_count == bare.firings.num_rows


def test_training_months_and_business_subset(portfolio, full):
    p = portfolio
    last = max(p["panel"].column("month").to_pylist())
    months = training_months(last, test_months=3)
    lab = np.datetime64(last, "M") - 12
    assert lab.astype("datetime64[D]") in months  # the last labelled month is kept
    assert (lab - 4).astype("datetime64[D]") not in months  # neither trained nor tested on
    ids = np.arange(1, 701, 3)
    one_table = build_frame(
        full.indicators.filter(pa.compute.is_in(full.indicators.column("business_id"),
                                                pa.array(ids))),
        full.episodes, p["credit_events"], months=months,
    )  # fmt: skip
    streamed = history_frame(
        p["panel"], p["businesses"], p["credit_events"], last, months=months,
        business_ids=ids, **_inputs(p),  # type: ignore[arg-type]
    )  # fmt: skip
    _same(streamed, one_table)
    assert set(np.unique(streamed.month)) <= set(months)


def test_same_model_from_the_streamed_history(portfolio, full):
    """Training on the rows ``training_frame`` keeps, laid out as ``train_evaluate`` reads them,
    gives the model (trees, cut-off, rows, measures) that training on every month gives; and
    the training and test rows are views of the frame, not copies."""
    p = portfolio
    last = max(p["panel"].column("month").to_pylist())
    observed = month_end(np.asarray([np.datetime64(last, "D")]))[0]
    firsts = first_serious(p["credit_events"])
    one_table = build_frame(full.indicators, full.episodes, p["credit_events"])
    streamed = training_frame(
        p["panel"], p["businesses"], p["credit_events"], last, test_months=3,
        **_inputs(p),  # type: ignore[arg-type]
    )  # fmt: skip
    assert len(streamed) < len(one_table)  # the unlabelled and unused months are not built
    m1, meta1 = train_evaluate(one_table, firsts, observed, test_months=3)
    m2, meta2 = train_evaluate(streamed, firsts, observed, test_months=3)
    for k in ("cutoff", "train", "test", "trees"):
        assert meta1[k] == meta2[k]
    assert meta1["metrics"]["model"]["auc"] == meta2["metrics"]["model"]["auc"]
    assert m1.booster.model_to_string() == m2.booster.model_to_string()
    # the training rows (fit, then calibration), then the test rows, then the rest
    n_train, n_test = meta2["train"]["rows"], meta2["test"]["rows"]
    assert n_train + n_test <= len(streamed)
    test_months = streamed.month[n_train : n_train + n_test].astype("datetime64[M]")
    assert test_months.min() > np.datetime64(meta2["cutoff"], "M")
    train_months = streamed.month[: meta2["train"]["rows"]].astype("datetime64[M]")
    assert train_months.max() <= np.datetime64(meta2["cutoff"], "M") - 12


def test_pieces_of_one_business_count_its_own_flags_and_events(portfolio, full):
    """A piece's joins see only its businesses' episodes and events (sliced by business): with
    one business per piece, the frame is still the one-table frame of those businesses."""
    p = portfolio
    ep_ids = set(full.episodes.column("business_id").to_pylist())
    ev_ids = set(p["credit_events"].column("business_id").to_pylist())
    ids = sorted(ep_ids & ev_ids)[:8]
    assert len(ids) == 8
    ind = full.indicators.filter(pa.compute.is_in(full.indicators.column("business_id"),
                                                  pa.array(ids, pa.int64())))  # fmt: skip
    ind = ind.sort_by([("month", "ascending"), ("business_id", "ascending")])
    keys = ind.select(["business_id", "month", "has_data"]).sort_by(
        [("business_id", "ascending"), ("month", "ascending")]
    )
    sink = FrameSink(p["credit_events"])
    sink.begin(keys, full.episodes)
    for i in range(ind.num_rows):  # each row its own piece: one business, one month
        sink.month(ind.slice(i, 1))
    one_table = build_frame(ind, full.episodes, p["credit_events"])
    got = sink.frame()
    _same(got, one_table)
    names = list(got.names)
    assert got.rule_points.sum() > 0  # flags counted …
    assert (got.X[:, names.index("max_dpd_3m")] > 0).any()  # … and arrears seen


def test_a_month_never_handed_over_is_an_error():
    keys = pa.table(
        {
            "business_id": pa.array([1, 1], pa.int64()),
            "month": pa.array(np.array(["2025-01-01", "2025-02-01"], "datetime64[D]")),
            "has_data": pa.array([True, True]),
        }
    )
    sink = FrameSink(None)
    sink.begin(keys, pa.table({"business_id": pa.array([], pa.int64())}))
    with pytest.raises(ValueError, match="never handed over"):
        sink.frame()


class _Recorder:
    """A ``HistorySink`` that keeps what it is handed."""

    def __init__(self) -> None:
        self.keys: pa.Table | None = None
        self.months: list[pa.Table] = []
        self.calls = 0

    def begin(self, keys: pa.Table, episodes: pa.Table) -> None:
        self.keys = keys

    def month(self, indicators: pa.Table) -> None:
        """A month may come in pieces: joined here into one table per month."""
        self.calls += 1
        m = indicators.column("month")[0].as_py()
        if self.months and self.months[-1].column("month")[0].as_py() == m:
            self.months[-1] = pa.concat_tables([self.months[-1], indicators])
        else:
            self.months.append(indicators)


@pytest.mark.parametrize("windows", ["numpy", "sql"])
def test_only_the_months_asked_for_are_handed_over(portfolio, full, windows, monkeypatch):
    """``history_months``: only those months are written and handed over, each once, in order,
    ordered by business, with the columns and values (percentiles included) of the one-table
    run's rows of that month; ``as_of_tables=False`` builds nothing else."""
    p = portfolio
    ms = sorted(set(p["panel"].column("month").to_pylist()))
    asked = [ms[2], ms[5], ms[6], ms[-3]]
    monkeypatch.setattr(run_module, "_PIECE_ROWS", 250)  # months in pieces (row groups of 300)
    monkeypatch.setattr(run_module, "_PCT_BATCH", 2)  # percentiles a few columns at a time
    sink = _Recorder()
    result = run_monitoring(
        p["panel"], p["businesses"], p["credit_events"], history_sink=sink, windows=windows,
        chunk_businesses=300, history_months=asked, as_of_tables=False, **_inputs(p),
    )  # fmt: skip
    # no table of the result built
    assert all(t.num_rows == 0 for t in (result.indicators, result.firings, result.episodes))
    assert result.summary.num_rows == result.peers.num_rows == 0
    assert [t.column("month")[0].as_py() for t in sink.months] == asked
    assert sink.calls > len(asked)  # in pieces, each business once (the rows compared below)
    assert sink.keys is not None
    assert sorted(set(sink.keys.column("month").to_pylist())) == asked
    for got in sink.months:
        month = got.column("month")[0].as_py()
        want = full.indicators.filter(pa.compute.equal(full.indicators.column("month"), month))
        assert got.column_names == want.column_names
        assert got.num_rows == want.num_rows > 0
        for c in got.column_names:  # the percentiles are floats computed two ways: to 1e-9
            a, b = got.column(c), want.column(c)
            if pa.types.is_floating(a.type):
                np.testing.assert_allclose(
                    a.to_numpy(zero_copy_only=False), b.to_numpy(zero_copy_only=False), rtol=1e-9
                )
            else:
                assert a.equals(b), c


def test_a_failed_history_write_fails_the_run(portfolio, monkeypatch):
    """Each chunk's rows are written in a thread while the next chunk is computed: a write that
    fails stops the run with its own error, and the writer's thread does not outlive it."""
    import threading

    p = portfolio
    calls: list[int] = []
    real = run_module._HistoryWriter._write

    def failing(self, rows):  # type: ignore[no-untyped-def]
        calls.append(rows.num_rows)
        if len(calls) == 2:
            raise OSError("disk full")
        real(self, rows)

    monkeypatch.setattr(run_module._HistoryWriter, "_write", failing)
    with pytest.raises(OSError, match="disk full"):
        run_monitoring(
            p["panel"], p["businesses"], p["credit_events"],
            history_sink=FrameSink(p["credit_events"]), chunk_businesses=300, **_inputs(p),
        )  # fmt: skip
    assert len(calls) == 2  # the chunk after the failed one is never written
    assert not [t for t in threading.enumerate() if t.name.startswith("kizashi-history")]


def test_a_failed_month_of_percentiles_fails_the_run(portfolio, monkeypatch):
    """The next month's percentiles are computed in a thread while this month is handed over:
    an error there stops the run with its own error, before that month reaches the sink, and
    the thread does not outlive the run."""
    import threading

    p = portfolio
    asked: list[int] = []
    real = run_module._month_percentiles

    def failing(*args):  # type: ignore[no-untyped-def]
        asked.append(len(asked))
        if len(asked) == 3:
            raise MemoryError("no room for the third month")
        return real(*args)

    handed: set[object] = set()

    class Counting(FrameSink):
        def month(self, indicators: pa.Table) -> None:
            handed.add(indicators.column("month")[0].as_py())
            super().month(indicators)

    sink = Counting(p["credit_events"])
    monkeypatch.setattr(run_module, "_month_percentiles", failing)
    with pytest.raises(MemoryError, match="third month"):
        run_monitoring(
            p["panel"], p["businesses"], p["credit_events"], history_sink=sink,
            chunk_businesses=300, **_inputs(p),
        )  # fmt: skip
    assert len(asked) == 3  # no month asked for after the failed one
    assert len(handed) == 2  # the months before it were handed over, not the third
    assert not [t for t in threading.enumerate() if t.name.startswith("kizashi-percentiles")]
