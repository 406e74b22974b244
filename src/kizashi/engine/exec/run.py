"""``run_monitoring``: the whole default (or an organisation's) pack over a monthly panel.

Businesses are processed in chunks of business ids only to bound memory; within a chunk
nothing loops per business. Peer functions are computed in a first pass over the whole
portfolio, so chunking never changes a result.

Per chunk, :func:`.vector.evaluate` runs the compiled pack: DuckDB builds the spine (NumPy sorts it)
and computes every scalar expression, NumPy computes the windows on the sorted, dense rows.
The episode marks (the condition's last known value before each month) are NumPy too. The
as-of month's rows (every month with ``history``) go to the table ``out``; the rows where a flag
opens or closes in other months go, one row per mark, to ``mk``. Peer statistics, percentiles,
episodes and the summary are SQL over those two tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import (
    Any,
    TypeAlias,
)

import duckdb
import pyarrow as pa

from kizashi.domain.chart import Chart, load_chart
from kizashi.domain.panel import subtotal_columns

from ..spec.expr import Name, Node, walk
from ..spec.indicators import LOAN_BALANCE_NAMES, load_indicators
from ..spec.locaben import load_thresholds
from ..spec.packs import Pack, default_pack
from .compiler import Compiler
from .dialect import DUCKDB
from .episodes import episodes_sql, firing_columns, firing_outputs, mark_rows_sql
from .locaben_sql import rating_sql
from .panel import businesses_sql, spine_sql
from .peers import PeerInputs, checksum, percentiles
from .summary import (
    peers_sql,
    percentile_column,
    percentile_indicators,
    percentiles_sql,
    summary_sql,
)
from .vector import (
    Chunk,
    evaluate,
    evaluate_sql,
    keep_freed_memory,
    release_freed_memory,
    with_marks,
)

Source: TypeAlias = str | Path | pa.Table | None
_MARK_BATCH = 400_000  # rows written to out / mk at once (each write has a fixed cost)


@dataclass(frozen=True)
class RunResult:
    pack: str  # id@version
    as_of: dt.date
    indicators: pa.Table  # as-of month, per business: indicators, scores, rating, percentiles
    firings: pa.Table  # rule firings at the as-of month, with evidence
    episodes: pa.Table  # flags as episodes: opened / closed / last fired month, evidence
    summary: pa.Table  # per business: open flags by severity, priority score, exposure
    peers: pa.Table  # per peer group × indicator at the as-of month: n, quartiles


def _glob(src: str | Path, subdir: str | None) -> str:
    """The Parquet files of ``src``: a file, a glob, or a directory (its ``subdir`` if any)."""
    path = Path(src)
    if not path.is_dir():
        return str(path)
    sub = path / subdir if subdir and (path / subdir).is_dir() else path
    return str(sub / "**" / "*.parquet")


def _register(
    con: duckdb.DuckDBPyConnection, name: str, src: Source, subdir: str | None = None
) -> bool:
    if src is None:
        return False
    if isinstance(src, pa.Table):
        con.register(name, src)
        return True
    con.execute(
        f"CREATE OR REPLACE VIEW {name} AS "
        f"SELECT * FROM read_parquet('{_glob(src, subdir)}', union_by_name=true)"
    )
    return True


def stored_subtotals(
    con: duckdb.DuckDBPyConnection, src: Source, subdir: str, chart: Chart
) -> dict[str, dict[str, int]]:
    """The panel's subtotal columns that every part has, with their leaf terms.

    A part written before subtotals existed lacks them (read as NULL through
    ``union_by_name``): a subtotal is used only when no part lacks it.
    """
    codes = subtotal_columns(chart)
    if src is None:
        return {}
    if isinstance(src, pa.Table):
        have = set(src.column_names)
    else:
        glob = _glob(src, subdir)
        rows = con.execute(
            f"SELECT name, COUNT(DISTINCT file_name), (SELECT COUNT(*) FROM glob('{glob}')) "
            f"FROM parquet_schema('{glob}') GROUP BY name"
        ).fetchall()
        have = {name for name, n, files in rows if n == files}
    return {c: chart.leaf_terms(c) for c in codes if c in have}


def _month_index(d: dt.date) -> int:
    return d.year * 12 + d.month - 1


def _chunks(con: duckdb.DuckDBPyConnection, size: int | None) -> list[tuple[int, int] | None]:
    n = con.execute("SELECT COUNT(*) FROM biz").fetchone()[0]  # type: ignore[index]
    if not size or n <= size:
        return [None]
    k = -(-n // size)
    qs = ", ".join(str(i / k) for i in range(1, k))
    cuts = con.execute(f"SELECT quantile_disc(business_id, [{qs}]) FROM biz").fetchone()[0]  # type: ignore[index]
    lo = -(2**62)
    out: list[tuple[int, int] | None] = []
    for c in [*cuts, 2**62]:
        out.append((lo, int(c)))
        lo = int(c) + 1
    return out


def _columns(con: duckdb.DuckDBPyConnection, query: str) -> list[str]:
    return [d[0] for d in con.execute(f"SELECT * FROM ({query}) AS q LIMIT 0").description]


@contextmanager
def _keep_build_side(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Run the queries inside with DuckDB's build/probe side swap disabled.

    The spine's ``LEFT JOIN`` of the peer values (a few narrow columns, one row per business ×
    month of the chunk) must build its hash table on the peer values; the optimizer's
    cardinality estimate for the spine is far too low, so it builds on the wide spine instead
    (about 0.3 s more per chunk of 50,000 businesses). Only the plan changes, never a result.
    """
    prev = con.execute("SELECT current_setting('disabled_optimizers')").fetchone()[0]  # type: ignore[index]
    opts = [o for o in str(prev or "").split(",") if o.strip()]
    con.execute(f"SET disabled_optimizers = '{','.join([*opts, 'build_side_probe_side'])}'")
    try:
        yield
    finally:
        con.execute(f"SET disabled_optimizers = '{','.join(opts)}'")


def _store(
    con: duckdb.DuckDBPyConnection, table: str, rows: pa.Table, select: str, create: bool
) -> None:
    """``select`` (over ``_t`` = ``rows``) into a temporary table, created on the first chunk."""
    con.register("_t", rows)
    try:
        head = f"CREATE OR REPLACE TEMP TABLE {table} AS " if create else f"INSERT INTO {table} "
        con.execute(head + select)
    finally:
        con.unregister("_t")


def run_monitoring(
    panel: Source,
    businesses: Source,
    events: Source = None,
    pack: Pack | None = None,
    month: dt.date | str | None = None,
    *,
    loans: Source = None,
    loan_balances: Source = None,
    chunk_businesses: int | None = 25_000,
    connection: duckdb.DuckDBPyConnection | None = None,
    history: bool = False,
    memory_limit: str | None = "6GB",
    windows: str = "numpy",
) -> RunResult:
    """Evaluate ``pack`` on the panel up to ``month`` (default: the latest month in the panel).

    ``panel``/``businesses``/``events``/``loans``/``loan_balances`` are Arrow tables or Parquet
    paths (a file, a glob or a directory); ``loan_balances`` (business_id, month,
    loan_balance, guaranteed_balance) gives the spine's monthly loan balances. The result
    depends only on data up to ``month`` and the pack, so rerunning a month gives the same
    answer. ``memory_limit`` caps DuckDB (it spills to a
    temporary directory beyond it); peak memory is also bounded by ``chunk_businesses``. With
    ``history=True`` the ``indicators`` and ``firings`` tables cover every month instead of the
    as-of month only (small panels). ``windows="sql"`` computes the window functions in DuckDB
    instead of NumPy (the same answer, slower: the reference for tests).
    """
    if windows not in ("numpy", "sql"):
        raise ValueError(f"windows must be 'numpy' or 'sql', not {windows!r}")
    run_chunk = evaluate if windows == "numpy" else evaluate_sql
    keep_freed_memory()
    pack = pack or default_pack()
    chart, indicators, th = load_chart(), load_indicators(), load_thresholds()
    con = connection or duckdb.connect(config={"preserve_insertion_order": False})
    if memory_limit and connection is None:  # DuckDB spills to disk beyond this
        con.execute(f"SET memory_limit = '{memory_limit}'")
    if connection is None:  # every chunk reads the same Parquet footers
        con.execute("SET parquet_metadata_cache = true")
    _register(con, "panel_src", panel, "panel")
    _register(con, "businesses_src", businesses, "businesses")
    has_events = _register(con, "events_src", events, "credit_events")
    has_loans = _register(con, "loans_src", loans, "loans")
    has_balances = _register(con, "loan_balances_src", loan_balances, "loan_balances")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE biz AS {businesses_sql('businesses_src', th, DUCKDB)}"
    )
    panel_cols = [r[0] for r in con.execute("DESCRIBE panel_src").fetchall()]
    stored = stored_subtotals(con, panel, "panel", chart)
    if month is None:
        as_of = con.execute("SELECT MAX(month) FROM panel_src").fetchone()[0]  # type: ignore[index]
    else:
        as_of = dt.date.fromisoformat(
            month + "-01" if isinstance(month, str) and len(month) == 7 else str(month)
        )
    as_of = dt.date(as_of.year, as_of.month, 1)
    as_of_m = _month_index(as_of)
    chunks = _chunks(con, chunk_businesses)
    events_rel = "events_src" if has_events else None

    roots: list[Node] = [i.node for i in indicators if i.node is not None]
    roots += [r.condition_node for r in pack.rules]
    roots += [n for r in pack.rules for n in r.evidence_nodes.values()]
    params = {k: p.value for k, p in pack.params.items()}
    # the monthly loan balances are joined only when something reads them: the join costs
    # ~0.15 s per spine query of 25,000 businesses (1.5-2 s of ~12 at 150k), and the default
    # pack does not read them
    reads_balances = any(
        isinstance(x, Name) and x.name in LOAN_BALANCE_NAMES for r in roots for x in walk(r)
    )

    def compiler() -> Compiler:
        return Compiler(chart, indicators, th, params)

    def spine(c: Compiler, rng: tuple[int, int] | None, peers: Any) -> str:
        return spine_sql(
            panel="panel_src",
            panel_columns=panel_cols,
            items=c.base_items,
            businesses="biz",
            events=events_rel,
            as_of_m=as_of_m,
            start_m=None,
            business_range=rng,
            peer_values=peers,
            d=DUCKDB,
            fy_lags=c.fy_lags,
            stored=stored,
            loan_balances="loan_balances_src" if has_balances and reads_balances else None,
        )

    # ---- pass 1: peer inputs over the whole portfolio
    main = compiler()
    main.peer_args(roots)
    peer_rel = None  # windows="sql": the peer values as a table joined into the spine
    attach = None  # windows="numpy": the peer values by position, chunk by chunk
    peer_names = [p.column for p in main.peers.values()]
    if main.peers:
        pre = compiler()
        outs = [f"{pre.column(p.arg)[0]} AS {p.arg_column}" for p in main.peers.values()]
        pre_cols = _columns(con, spine(pre, chunks[0], None))
        pre_out = ["business_id", "m", "peer_group", *dict.fromkeys(outs)]
        if windows == "sql":
            for n, rng in enumerate(chunks):
                t, _ = evaluate_sql(con, pre, spine(pre, rng, None), pre_cols, pre_out)
                _store(con, "peer_in", t, "SELECT * FROM _t", create=n == 0)
            stats = main.peer_stats_sql("peer_in")
            con.execute(f"CREATE OR REPLACE TEMP TABLE peer_values AS {stats}")
            con.execute("DROP TABLE peer_in")
            peer_rel = ("peer_values", peer_names)
        else:
            same = {p.arg_column: pre.column(p.arg)[0] for p in main.peers.values()}
            inputs = PeerInputs(list(main.peers.values()), main.peer_min_n, as_of_m, same)
            for rng in chunks:
                inputs.add(evaluate(con, pre, spine(pre, rng, None), pre_cols, pre_out)[0])
            release_freed_memory()  # the first pass's chunks
            inputs.compute()
            release_freed_memory()  # the sort's temporaries

            def attach_for(n: int) -> tuple[list[str], Any]:
                def give(ch: Chunk) -> dict[str, pa.Array]:
                    c = inputs.chunks[n]
                    if (ch.n, checksum(ch.business_id, ch.m)) != (c.n, c.checksum):
                        raise RuntimeError("the main pass's rows differ from the peer pass's")
                    return inputs.chunk(n)

                return peer_names, give

            attach = attach_for

    # ---- pass 2: indicators, rule conditions and evidence per business × month (one chunk
    # at a time), then the episode marks; only the as-of month (``out``) and the marks of
    # other months (``mk``) are kept.
    ind_cols = [main.indicator(i.id)[0] for i in indicators]
    total_col = main.indicator("locaben_total")[0]
    fire = firing_columns(main, pack)
    head = ["business_id", "m", "month", "peer_group", "has_data", *ind_cols]
    rated = [*head, f"{rating_sql(total_col, th)} AS locaben_rating"]
    firsts = list(dict.fromkeys([*rated, *fire.columns()]))
    outputs = [*head, "locaben_rating", *firing_outputs(fire)]
    # what the mk rows read: keys and evidence (the marks are added by with_marks)
    mark_cols = ["business_id", "m", *(col for ev in fire.evidence for _, col in ev)]
    main_cols = _columns(con, spine(main, chunks[0], peer_rel))
    if attach is not None:
        main_cols = [*main_cols, *peer_names]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE mk (business_id BIGINT, m INTEGER, k INTEGER, "
        "is_start BOOLEAN, is_end BOOLEAN, evidence VARCHAR)"
    )
    pending: list[pa.Table] = []  # marked rows, written to mk in batches
    pending_out: list[pa.Table] = []  # the as-of month's rows, written to out in batches
    made_out = False
    with _keep_build_side(con) if peer_rel else nullcontext():
        for n, rng in enumerate(chunks):
            sp = spine(main, rng, peer_rel)
            if attach is None:
                t, ch = run_chunk(con, main, sp, main_cols, firsts)
            else:
                t, ch = evaluate(con, main, sp, main_cols, firsts, attach(n))
            t, marked = with_marks(t, ch, len(pack.rules), None if history else as_of_m, mark_cols)
            rows = t if history else t.filter(pa.array(ch.m == as_of_m))
            pending_out.append(rows.combine_chunks())
            if sum(p.num_rows for p in pending_out) >= _MARK_BATCH or n == len(chunks) - 1:
                batch = pa.concat_tables(pending_out).combine_chunks()
                pending_out.clear()
                _store(con, "out", batch, f"SELECT {', '.join(outputs)} FROM _t", not made_out)
                made_out = True
            pending.append(marked)
            if sum(p.num_rows for p in pending) >= _MARK_BATCH or n == len(chunks) - 1:
                batch = pa.concat_tables(pending)
                pending.clear()
                if batch.num_rows:
                    _store(con, "mk", batch.combine_chunks(), mark_rows_sql(fire, "_t"), False)

    if attach is not None:
        inputs.release()
    release_freed_memory()  # the chunks' arrays
    where_month = "TRUE" if history else f"m = {as_of_m}"
    pct_cols = percentile_indicators(indicators)
    ind_names = ", ".join([*ind_cols, "locaben_rating", *map(percentile_column, pct_cols)])
    if windows == "sql":
        pct = f"({percentiles_sql(pct_cols, where_month, main.peer_min_n)})"
    else:
        rows = con.sql(
            f"SELECT business_id, m, peer_group, {', '.join(pct_cols)} FROM out WHERE {where_month}"
        ).to_arrow_table()
        names = [percentile_column(c) for c in pct_cols]
        con.register("_pct", percentiles(rows, pct_cols, names, main.peer_min_n))
        pct = "_pct"
    indicators_tbl = con.sql(
        f"SELECT business_id, month, peer_group, has_data, {ind_names} FROM out "
        f"JOIN {pct} AS p USING (business_id, m) WHERE {where_month} ORDER BY business_id, month"
    ).to_arrow_table()
    ep_sql, firing_sql = episodes_sql(pack, as_of_m, where_month, history)
    firings = con.sql(firing_sql).to_arrow_table()
    peers = con.sql(peers_sql([c for c in ind_cols if c != "insolvent"], as_of_m)).to_arrow_table()
    episodes = con.sql(
        f"SELECT * FROM ({ep_sql}) AS e ORDER BY business_id, rule_id, opened_month"
    ).to_arrow_table()
    # the per-row tables are done with: free them before the summary (peak memory at 1.5M)
    con.execute("DROP TABLE IF EXISTS mk")
    con.execute("DROP TABLE IF EXISTS out")
    _store(
        con,
        "episodes",
        episodes,
        "SELECT business_id, is_open, severity, opened_month FROM _t",
        create=True,
    )
    summary = con.sql(
        summary_sql(pack, as_of_m, "loans_src" if has_loans else None, con)
    ).to_arrow_table()
    if connection is None:
        con.close()
    return RunResult(pack.ref, as_of, indicators_tbl, firings, episodes, summary, peers)


def describe_run(result: RunResult) -> dict[str, Any]:
    """Counts for the CLI and logs."""
    return {
        "pack": result.pack,
        "as_of": result.as_of.isoformat()[:7],
        "businesses": result.indicators.num_rows,
        "firings": result.firings.num_rows,
        "episodes": result.episodes.num_rows,
        "open_flags": sum(
            1 for c in result.episodes.column("closed_month").to_pylist() if c is None
        ),
    }
