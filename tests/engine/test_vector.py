"""The NumPy windows give exactly what DuckDB's window functions give.

Each :class:`Win` the compiler can emit is computed both ways over random dense chunks
(businesses of 1 to 40 months, nulls, negative amounts, fractions, booleans, per-row frame
starts), and the whole engine is run both ways on a synthetic portfolio.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from kizashi.engine.exec.compiler import Win
from kizashi.engine.exec.run import run_monitoring
from kizashi.engine.exec.vector import Chunk, last_known, sort_rows, window, with_marks
from kizashi.synth.generator import LOAN_COLUMNS as SYNTH_LOANS
from kizashi.synth.generator import generate


def _chunk(seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 41, size=300)
    lengths[:3] = [1, 2, 40]
    n = int(lengths.sum())
    business = np.repeat(np.arange(len(lengths)) * 7 + 3, lengths)
    first = np.repeat(rng.integers(24_000, 24_300, size=len(lengths)), lengths)
    pos = np.arange(n) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    m = first + pos

    def nulls(p: float) -> np.ndarray:
        return rng.random(n) < p

    whole = rng.integers(-(10**9), 10**9, size=n).astype(np.float64)
    return pa.table(
        {
            "business_id": pa.array(business, pa.int64()),
            "m": pa.array(m, pa.int32()),
            "first_m": pa.array(first, pa.int32()),
            "yen": pa.array(whole, mask=nulls(0.1)),
            "ratio": pa.array(rng.normal(size=n) * 1e3, mask=nulls(0.2)),
            "months": pa.array(np.where(nulls(0.5), None, m).tolist(), pa.int32()),
            "span": pa.array(rng.integers(0, 13, size=n), pa.int32()),
            "flag": pa.array(rng.random(n) < 0.4, mask=nulls(0.3)),
            "sparse": pa.array(whole, mask=nulls(0.9)),
            "fy": pa.array(rng.integers(0, 12, size=n), pa.int32()),
        }
    )


WINDOWS = [
    Win("LAG", "yen", 1),
    Win("LAG", "yen", 12),
    Win("LAG", "flag", 3),
    Win("LAG", "months", 6),
    *(
        Win(fn, col, end, start)
        for fn in ("SUM", "COUNT", "AVG")
        for col in ("yen", "ratio", "span", "sparse")
        for end, start in ((0, 11), (0, 2), (0, 0), (3, 14), (12, 23), (0, None), (2, None))
    ),
    *(
        Win(fn, col, end, start)
        for fn in ("MIN", "MAX")
        for col in ("yen", "ratio", "months", "sparse", "flag")
        for end, start in ((0, 2), (0, 11), (0, 35), (4, 15), (0, None), (5, None), (0, 0))
    ),
    *(
        Win(fn, col, end, start, "fy")
        for fn in ("SUM", "COUNT", "MAX", "MIN")
        for col in ("yen", "span", "ratio")
        for end, start in ((0, 0), (3, 3), (12, 12))
    ),
]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_window_matches_duckdb(seed: int) -> None:
    t = _chunk(seed)
    con = duckdb.connect()
    con.register("t", t)
    exprs = ", ".join(f"{w.sql()} AS w{i}" for i, w in enumerate(WINDOWS))
    want = con.sql(
        f"SELECT {exprs} FROM t WINDOW w AS (PARTITION BY business_id ORDER BY m) "
        "ORDER BY business_id, m"
    ).to_arrow_table()
    ch = Chunk(
        t.column("business_id").to_numpy(), t.column("m").to_numpy(), t.column("first_m").to_numpy()
    )
    for i, w in enumerate(WINDOWS):
        arg = ch.column(w.arg, t.column(w.arg))
        sc = ch.column(w.start_col, t.column(w.start_col)) if w.start_col else None
        got = window(ch, w, arg, sc).to_pylist()
        exp = want.column(f"w{i}").to_pylist()
        assert [g is None for g in got] == [e is None for e in exp], w.sql()
        if w.arg == "ratio" and w.fn in ("SUM", "AVG"):  # fractions: summed in another order
            assert np.allclose(
                [g or 0.0 for g in got], [float(e or 0) for e in exp], rtol=1e-12, atol=1e-9
            ), w.sql()
        else:
            assert got == exp, w.sql()


@pytest.mark.parametrize("seed", [4, 5])
def test_last_known_value_matches_lag_ignore_nulls(seed: int) -> None:
    t = _chunk(seed)
    con = duckdb.connect()
    con.register("t", t)
    want = (
        con.sql(
            "SELECT LAG(flag IGNORE NULLS) OVER (PARTITION BY business_id ORDER BY m) AS p "
            "FROM t ORDER BY business_id, m"
        )
        .to_arrow_table()
        .column("p")
        .to_pylist()
    )
    ch = Chunk(
        t.column("business_id").to_numpy(), t.column("m").to_numpy(), t.column("first_m").to_numpy()
    )
    vals, known = last_known(ch, t.column("flag"))
    assert [bool(v) if k else None for v, k in zip(vals, known, strict=False)] == want


def test_marks_open_and_close_episodes_by_hand() -> None:
    # one business: unknown, true, unknown, true, false, false, true ; another: true
    f = [None, True, None, True, False, False, True, True]
    t = pa.table(
        {
            "business_id": [1] * 7 + [2],
            "m": [*list(range(100, 107)), 103],
            "f_0": pa.array(f, pa.bool_()),
        }
    )
    ch = Chunk(
        t.column("business_id").to_numpy(), t.column("m").to_numpy(), np.array([100] * 7 + [103])
    )
    out, marked = with_marks(t, ch, 1, as_of_m=106)
    assert out.column("st_0").to_pylist() == [False, True, False, False, False, False, True, True]
    assert out.column("en_0").to_pylist() == [False, False, False, False, True, False, False, False]
    # marks outside the as-of month: the opening at 101, the close at 104, business 2's at 103
    assert marked.column("m").to_pylist() == [101, 104, 103]


def test_unsorted_or_holed_chunks_are_refused() -> None:
    with pytest.raises(ValueError, match="not sorted"):
        Chunk(np.array([1, 1, 1]), np.array([10, 12, 13]), np.array([10, 10, 10]))
    with pytest.raises(ValueError, match="not sorted"):
        Chunk(np.array([1, 2, 1]), np.array([10, 10, 11]), np.array([10, 10, 10]))


@pytest.fixture(scope="module")
def portfolio() -> dict[str, pa.Table]:
    parts: dict[str, list[pa.Table]] = {}
    for chunk in generate(1_500, seed=11, chunk_size=500):
        for name, t in chunk.tables().items():
            parts.setdefault(name, []).append(t)
    return {name: pa.concat_tables(ts) for name, ts in parts.items()}


@pytest.mark.parametrize("history", [False, True])
def test_the_engine_gives_the_same_answer_with_numpy_or_sql_windows(portfolio, history) -> None:
    def run(windows: str):  # type: ignore[no-untyped-def]
        p = portfolio
        return run_monitoring(
            p["panel"],
            p["businesses"],
            p["credit_events"],
            loans=p["loans"],
            loan_columns=SYNTH_LOANS,
            chunk_businesses=600,
            history=history,
            windows=windows,
        )

    a, b = run("numpy"), run("sql")
    assert a.episodes.num_rows > 100
    for name in ("indicators", "firings", "episodes", "summary", "peers"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.schema == y.schema, name
        assert x.equals(y), name


def test_windows_must_be_named() -> None:
    with pytest.raises(ValueError, match="windows"):
        run_monitoring(pa.table({"x": [1]}), pa.table({"x": [1]}), windows="pandas")


@pytest.mark.parametrize("seed", [6, 7])
def test_peer_statistics_on_arrays_match_duckdb(seed: int) -> None:
    from kizashi.engine.exec.compiler import PeerTerm, percentile_sql
    from kizashi.engine.exec.peers import PeerInputs
    from kizashi.engine.spec.expr import Name

    rng = np.random.default_rng(seed)
    n = 20_000
    groups = rng.choice(["E|micro", "E|small", "I|micro", "P|medium", "T|micro"], size=n)
    m = rng.integers(24_000, 24_006, size=n)
    x = np.round(rng.normal(size=n) * 100, 1)  # ties
    # nulls, and a group whose months mostly have too few values (min_n = 5)
    null = (rng.random(n) < 0.2) | ((groups == "P|medium") & (rng.random(n) < 0.998))
    t = pa.table(
        {
            "business_id": np.arange(n),
            "m": pa.array(m, pa.int32()),
            "peer_group": groups,
            "_parg_0": pa.array(x, mask=null),
        }
    )
    terms = [
        PeerTerm("_peer_0", "_parg_0", "peer_percentile", None, Name(1, 1, "x")),
        PeerTerm("_peer_1", "_parg_0", "peer_median", None, Name(1, 1, "x")),
        *(
            PeerTerm(f"_peer_{k}", "_parg_0", "peer_quantile", q, Name(1, 1, "x"))
            for k, q in [(2, 0.1), (3, 0.25), (4, 0.9)]
        ),
    ]
    inputs = PeerInputs(terms, 5, 24_010)
    half = t.num_rows // 2
    inputs.add(t.slice(0, half))
    inputs.add(t.slice(half))
    inputs.compute()
    got = [inputs.chunk(0), inputs.chunk(1)]
    con = duckdb.connect()
    con.register("s", t)
    cols = [percentile_sql("s._parg_0", "s.peer_group, s.m", "g.n", 5) + " AS _peer_0"]
    cols += [
        f"CASE WHEN s._parg_0 IS NOT NULL AND g.n >= 5 THEN g.q{k} END AS _peer_{k}"
        for k in range(1, 5)
    ]
    want = con.sql(
        "WITH g AS (SELECT peer_group, m, COUNT(_parg_0) AS n, QUANTILE_CONT(_parg_0, 0.5) AS q1, "
        "QUANTILE_CONT(_parg_0, 0.1) AS q2, QUANTILE_CONT(_parg_0, 0.25) AS q3, "
        "QUANTILE_CONT(_parg_0, 0.9) AS q4 FROM s GROUP BY ALL) "
        f"SELECT s.business_id, {', '.join(cols)} FROM s LEFT JOIN g USING (peer_group, m) ORDER BY s.business_id"
    ).to_arrow_table()
    for k in range(5):
        mine = [*got[0][f"_peer_{k}"].to_pylist(), *got[1][f"_peer_{k}"].to_pylist()]
        assert mine == want.column(f"_peer_{k}").to_pylist(), k
    assert sum(v is not None for v in mine) > 1000


@pytest.mark.parametrize("far_apart", [False, True])
def test_sort_rows_orders_by_business_and_month_like_duckdb(far_apart: bool) -> None:
    rng = np.random.default_rng(5)
    n = 5_000
    b = rng.integers(0, 300, n) * (2**55 if far_apart else 1)  # far apart: no single key fits
    m = rng.integers(24_000, 24_040, n)
    t = pa.table({"business_id": b, "m": m, "v": rng.normal(size=n), "s": [str(x) for x in m]})
    got = sort_rows(t)
    want = duckdb.sql("SELECT * FROM t ORDER BY business_id, m, v").to_arrow_table()
    # equal keys keep no particular order: compare with ties broken the same way
    key = pa.table({"b": got["business_id"], "m": got["m"]})
    assert key.equals(pa.table({"b": want["business_id"], "m": want["m"]}))
    assert sorted(got.to_pylist(), key=lambda r: (r["business_id"], r["m"], r["v"])) == (
        want.to_pylist()
    )
    assert sort_rows(got).equals(got)  # already sorted: returned as it is
