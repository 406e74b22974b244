"""The engine's answer on a synthetic portfolio does not depend on how it is evaluated.

Chunking by business id (memory), and folding lags into shifted first-pass frames (speed),
are execution choices: every output table must be identical with and without them.
"""

from __future__ import annotations

import functools

import pyarrow as pa
import pyarrow.compute as pc
import pytest

import kizashi.engine.exec.run as run_module
from kizashi.engine.exec.compiler import Compiler
from kizashi.engine.exec.run import RunResult, run_monitoring
from kizashi.synth.generator import LOAN_COLUMNS as SYNTH_LOANS
from kizashi.synth.generator import generate

TABLES = ("indicators", "firings", "episodes", "summary", "peers")
KEYS = {
    "indicators": ["business_id", "month"],
    "firings": ["business_id", "month", "rule_id"],
    "episodes": ["business_id", "rule_id", "opened_month"],
    "summary": ["business_id"],
    "peers": ["peer_group", "indicator"],
}


@pytest.fixture(scope="module")
def portfolio() -> dict[str, pa.Table]:
    parts: dict[str, list[pa.Table]] = {}
    for chunk in generate(2_000, seed=7, chunk_size=1_000):
        for name, t in chunk.tables().items():
            parts.setdefault(name, []).append(t)
    return {name: pa.concat_tables(ts) for name, ts in parts.items()}


def _run(p: dict[str, pa.Table], **kw: object) -> RunResult:
    return run_monitoring(
        p["panel"],
        p["businesses"],
        p["credit_events"],
        loans=p["loans"],
        loan_columns=SYNTH_LOANS,
        **kw,
    )


def _same(a: RunResult, b: RunResult) -> None:
    for name in TABLES:
        x, y = getattr(a, name), getattr(b, name)
        keys = [k for k in KEYS[name] if k in x.column_names]
        x, y = (
            x.sort_by([(k, "ascending") for k in keys]),
            y.sort_by([(k, "ascending") for k in keys]),
        )
        assert x.num_rows == y.num_rows, name
        assert x.equals(y), name


@pytest.fixture(scope="module")
def whole(portfolio: dict[str, pa.Table]) -> RunResult:
    res = _run(portfolio, chunk_businesses=None)
    assert res.indicators.num_rows == 2_000 and res.episodes.num_rows > 0
    return res


def test_chunks_give_the_same_answer_as_one_pass(portfolio, whole) -> None:
    _same(whole, _run(portfolio, chunk_businesses=300))


def test_folded_lags_give_the_same_answer(portfolio, whole, monkeypatch) -> None:
    monkeypatch.setattr(run_module, "Compiler", functools.partial(Compiler, fold_lags=True))
    _same(whole, _run(portfolio, chunk_businesses=None))


def test_plan_hints_leave_a_supplied_connection_as_it_was(portfolio, whole) -> None:
    """The main pass disables DuckDB's build-side swap for one statement only (a plan choice)."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET disabled_optimizers = 'top_n'")
    res = _run(portfolio, chunk_businesses=700, connection=con)
    setting = con.execute("SELECT current_setting('disabled_optimizers')").fetchone()[0]
    assert str(setting).strip().lower() == "top_n"
    _same(whole, res)


def test_stored_subtotals_give_the_same_answer_as_the_leaves(portfolio, whole, tmp_path) -> None:
    """The synthetic panel carries subtotals; without them the engine sums the leaves."""
    from kizashi.domain.panel import subtotal_columns

    panel = portfolio["panel"]
    assert "operating_profit" in panel.column_names
    bare = panel.drop_columns(list(subtotal_columns()))
    _same(whole, _run({**portfolio, "panel": bare}, chunk_businesses=None))

    # Parquet parts, one written before subtotals existed: the leaves are summed for all
    import pyarrow.parquet as pq

    (tmp_path / "panel").mkdir()
    half = panel.num_rows // 2
    pq.write_table(panel.slice(0, half), tmp_path / "panel" / "part-0.parquet")
    pq.write_table(bare.slice(half), tmp_path / "panel" / "part-1.parquet")
    mixed = _run({**portfolio, "panel": tmp_path / "panel"}, chunk_businesses=None)
    _same(whole, mixed)


def test_a_stored_subtotal_is_what_the_engine_reads(portfolio, whole) -> None:
    """The shortcut is really taken: a wrong stored subtotal changes the answer."""
    panel = portfolio["panel"]
    i = panel.column_names.index("operating_profit")
    wrong = panel.set_column(i, "operating_profit", pc.negate(panel.column(i)))
    res = _run({**portfolio, "panel": wrong}, chunk_businesses=None)
    assert not res.indicators.equals(whole.indicators)


def test_loan_balances_change_nothing_the_pack_does_not_read(portfolio, whole) -> None:
    """The default pack reads no loan balance: passing them gives the same answer."""
    res = run_monitoring(
        portfolio["panel"],
        portfolio["businesses"],
        portfolio["credit_events"],
        loans=portfolio["loans"],
        loan_columns=SYNTH_LOANS,
        loan_balances=portfolio["loan_balances"],
        chunk_businesses=None,
    )
    _same(whole, res)
