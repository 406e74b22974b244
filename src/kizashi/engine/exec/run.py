"""``run_monitoring``: the whole default (or an organisation's) pack over a monthly panel.

Businesses are processed in chunks of business ids only to bound memory; within a chunk
nothing loops per business. Peer functions are computed in a first pass over the whole
portfolio, so chunking never changes a result.

A short pipeline: register the sources, compile the pack, pass 1 (peer inputs), pass 2 (per
chunk), then the result tables. One :class:`~.executors.Executor`, chosen once, runs the passes:
by default :func:`.vector.evaluate`, where DuckDB builds the spine (NumPy sorts it) and computes
every scalar expression and NumPy computes the windows on the sorted, dense rows; or the SQL
reference, every window in DuckDB. The episode marks (the condition's last known value before each month) are NumPy too. The
as-of month's rows (every month with ``history``) go to the table ``out``; the rows where a flag
opens or closes in other months go, one row per mark, to ``mk``. Peer statistics, percentiles,
episodes and the summary are SQL over those two tables.
"""

from __future__ import annotations

import datetime as dt
import itertools
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol, TypeAlias

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from kizashi.domain.chart import Chart, load_chart
from kizashi.domain.panel import LOAN_COLUMNS, LoanColumns, subtotal_columns

from ..spec.expr import Call, Name, Node, walk
from ..spec.indicators import (
    BANK_FEATURE_NAMES,
    LOAN_BALANCE_NAMES,
    PLAN_FEATURE_NAMES,
    Indicator,
    load_indicators,
    rated_total,
)
from ..spec.locaben import Thresholds, load_thresholds
from ..spec.packs import Pack, default_pack
from .compiler import Compiler
from .dialect import DUCKDB
from .episodes import episodes_sql, firing_columns, firing_outputs, mark_rows_sql
from .executors import Executor, executor_for, store
from .locaben_sql import rating_sql
from .panel import businesses_sql, spine_sql
from .summary import peers_sql, percentile_column, percentile_indicators, summary_sql
from .vector import (
    keep_freed_memory,
    release_freed_memory,
    stop_keeping_freed_memory,
    take_rows,
    with_marks,
)

Source: TypeAlias = str | Path | pa.Table | None
_MARK_BATCH = 400_000  # rows written to out / mk at once (each write has a fixed cost)
_HANDOVER_MEMORY = "256MB"  # DuckDB's limit while the months are handed over (it has no work)
_ROW_GROUP = 1 << 24  # the history file's row groups: one per chunk and month, always below
# rows handed to the sink at once: a month in pieces of about this many (at 1.5M businesses a
# whole month, with what the sink makes of it, is ~2 GB beside the frame it fills; each call
# has a fixed cost, ~30 ms for the model's frame)
_PIECE_ROWS = 300_000
_PCT_BATCH = 7  # a month's percentile inputs read this many columns at a time


class HistorySink(Protocol):
    """Receives every month's indicators of a run one month at a time (``run_monitoring``'s
    ``history_sink``), so that no table of every month is ever held whole."""

    def begin(self, keys: pa.Table, episodes: pa.Table) -> None:
        """Before the months: the keys (``business_id``, ``month``, ``has_data``) of every row
        to come, ordered by business and month, and the run's flag episodes."""

    def month(self, indicators: pa.Table) -> None:
        """Rows of one month (the columns of ``RunResult.indicators``), ordered by business: a
        month comes in one or more calls, each a range of businesses after the previous one's,
        before the next month's."""


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


@dataclass(frozen=True)
class _Inputs:
    """The registered sources of one run and what it needs to know about them."""

    panel_columns: list[str]
    stored: dict[str, dict[str, int]]
    events: str | None
    loans: str | None
    loan_balances: str | None  # only when a formula reads the balances
    bank_features: str | None = None  # only when a formula reads them
    plan_targets: str | None = None  # only when a formula reads them


def _connect(
    connection: duckdb.DuckDBPyConnection | None, memory_limit: str | None
) -> duckdb.DuckDBPyConnection:
    con = connection or duckdb.connect(config={"preserve_insertion_order": False})
    if memory_limit and connection is None:  # DuckDB spills to disk beyond this
        con.execute(f"SET memory_limit = '{memory_limit}'")
    if connection is None:  # every chunk reads the same Parquet footers
        con.execute("SET parquet_metadata_cache = true")
    return con


def _inputs(
    con: duckdb.DuckDBPyConnection,
    sources: dict[str, Source],
    chart: Chart,
    th: Thresholds,
    roots: list[Node],
) -> _Inputs:
    """Register the sources as views or tables; ``biz`` is the business register prepared."""
    _register(con, "panel_src", sources["panel"], "panel")
    _register(con, "businesses_src", sources["businesses"], "businesses")
    has = {
        name: _register(con, f"{name}_src", sources[name], subdir)
        for name, subdir in (
            ("events", "credit_events"),
            ("loans", "loans"),
            ("loan_balances", "loan_balances"),
            ("bank_features", "bank_features"),
            ("plan_targets", "plan_targets"),
        )
    }
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE biz AS {businesses_sql('businesses_src', th, DUCKDB)}"
    )
    # the monthly loan balances are joined only when something reads them: the join costs
    # ~0.15 s per spine query of 25,000 businesses (1.5-2 s of ~12 at 150k), and the default
    # pack does not read them
    reads_balances = any(
        isinstance(x, Name) and x.name in LOAN_BALANCE_NAMES for r in roots for x in walk(r)
    )
    reads_bank = any(
        isinstance(x, Name) and x.name in BANK_FEATURE_NAMES for r in roots for x in walk(r)
    )
    reads_plan = any(
        (isinstance(x, Name) and x.name in PLAN_FEATURE_NAMES)
        or (isinstance(x, Call) and x.fn == "plan_to_date")
        for r in roots
        for x in walk(r)
    )
    return _Inputs(
        [r[0] for r in con.execute("DESCRIBE panel_src").fetchall()],
        stored_subtotals(con, sources["panel"], "panel", chart),
        "events_src" if has["events"] else None,
        "loans_src" if has["loans"] else None,
        "loan_balances_src" if has["loan_balances"] and reads_balances else None,
        "bank_features_src" if has["bank_features"] and reads_bank else None,
        "plan_targets_src" if has["plan_targets"] and reads_plan else None,
    )


def _as_of(con: duckdb.DuckDBPyConnection, month: dt.date | str | None) -> dt.date:
    if month is None:
        as_of = con.execute("SELECT MAX(month) FROM panel_src").fetchone()[0]  # type: ignore[index]
    else:
        as_of = dt.date.fromisoformat(
            month + "-01" if isinstance(month, str) and len(month) == 7 else str(month)
        )
    return dt.date(as_of.year, as_of.month, 1)


def run_monitoring(
    panel: Source,
    businesses: Source,
    events: Source = None,
    pack: Pack | None = None,
    month: dt.date | str | None = None,
    *,
    loans: Source = None,
    loan_balances: Source = None,
    bank_features: Source = None,
    plan_targets: Source = None,
    loan_columns: LoanColumns = LOAN_COLUMNS,
    chunk_businesses: int | None = 25_000,
    connection: duckdb.DuckDBPyConnection | None = None,
    history: bool = False,
    memory_limit: str | None = "6GB",
    windows: str = "numpy",
    history_sink: HistorySink | None = None,
    history_months: Sequence[dt.date] | None = None,
    as_of_tables: bool = True,
    evidence: bool = True,
) -> RunResult:
    """Evaluate ``pack`` on the panel up to ``month`` (default: the latest month in the panel).

    ``panel``/``businesses``/``events``/``loans``/``loan_balances`` are Arrow tables or Parquet
    paths (a file, a glob or a directory); ``loans`` has one row per loan, its columns named by
    ``loan_columns`` (``domain.panel.LoanColumns``); ``loan_balances`` (business_id, month,
    loan_balance, guaranteed_balance) gives the spine's monthly loan balances; ``bank_features``
    (``engine.exec.bank_features.compute_bank_features``) the money that moved;
    ``plan_targets`` (business_id, month, plan_pos, ``domain.plans.PLAN_FEATURE_COLUMNS``: the
    rows of ``domain.plans.plan_months``, only for businesses with a plan) the plans. The result
    depends only on data up to ``month`` and the pack, so rerunning a month gives the same
    answer. ``memory_limit`` caps DuckDB (it spills to a
    temporary directory beyond it); peak memory is also bounded by ``chunk_businesses``. With
    ``history=True`` the ``indicators`` and ``firings`` tables cover every month instead of the
    as-of month only (small panels). ``windows`` chooses the executor (``executors``):
    "numpy" (arrays, the default) or "sql" (every window in DuckDB: the same answer, slower,
    the reference for tests).

    ``history_sink`` (large panels; ``history`` is then ignored): the result is the as-of
    month's, and the indicators of the months ``history_months`` (first days; default: every
    month up to the as-of month) go to the sink instead, one month at a time. Pass 2 writes each
    chunk's rows of those months to a temporary Parquet file, one row group per chunk and month;
    each month's row groups are then read back, its percentiles computed over them (they are
    per peer group × month, so the values are those of ``history=True``), and the month is
    handed over. Memory stays that of a latest-month run plus one month's rows.
    ``as_of_tables=False`` (with a sink): the result's tables are not built (all are empty): a
    training run needs only the sink's months, and at 1.5M businesses those tables are about
    2 GB beside the sink's frame.
    ``evidence=False``: the flags' evidence is neither computed nor kept (the episodes' and
    firings' ``evidence`` is NULL), nor are the peer statistics only evidence reads. A training
    run needs only when each flag opened and closed (``model.features`` counts them, never
    reads their evidence), and at 1.5M businesses the evidence is a fifth of pass 2.
    """
    if history_sink is not None:
        history = False
    executor = executor_for(windows)
    keep_freed_memory()
    pack = pack or default_pack()
    if not evidence:  # the same rules and ref; only what they show as evidence is dropped
        pack = replace(
            pack, rules=tuple(replace(r, evidence={}, evidence_nodes={}) for r in pack.rules)
        )
    chart, indicators, th = load_chart(), load_indicators(), load_thresholds()
    roots: list[Node] = [i.node for i in indicators if i.node is not None]
    roots += [r.condition_node for r in pack.rules]
    roots += [n for r in pack.rules for n in r.evidence_nodes.values()]
    params = {k: p.value for k, p in pack.params.items()}
    con = _connect(connection, memory_limit)
    sources = {
        "panel": panel,
        "businesses": businesses,
        "events": events,
        "loans": loans,
        "loan_balances": loan_balances,
        "bank_features": bank_features,
        "plan_targets": plan_targets,
    }
    src = _inputs(con, sources, chart, th, roots)
    as_of = _as_of(con, month)
    as_of_m = _month_index(as_of)
    chunks = _chunks(con, chunk_businesses)
    tmp = tempfile.TemporaryDirectory(prefix="kizashi-history-") if history_sink else None
    wanted = None if history_months is None else [_month_index(m) for m in history_months]
    hist = _HistoryWriter(Path(tmp.name) / "history.parquet", wanted, as_of_m) if tmp else None

    def compiler() -> Compiler:
        return Compiler(chart, indicators, th, params)

    def spine(c: Compiler, rng: tuple[int, int] | None) -> str:
        return spine_sql(
            panel="panel_src",
            panel_columns=src.panel_columns,
            items=c.base_items,
            businesses="biz",
            events=src.events,
            as_of_m=as_of_m,
            start_m=None,
            business_range=rng,
            peer_values=executor.spine_peers() if c is main else None,
            d=DUCKDB,
            fy_lags=c.fy_lags,
            stored=src.stored,
            loan_balances=src.loan_balances,
            bank_features=src.bank_features,
            plan_targets=src.plan_targets,
        )

    # ---- pass 1: peer inputs over the whole portfolio
    main = compiler()
    main.peer_args(roots)
    if main.peers:
        pre = compiler()
        outs = [f"{pre.column(p.arg)[0]} AS {p.arg_column}" for p in main.peers.values()]
        pre_cols = _columns(con, spine(pre, chunks[0]))
        pre_out = ["business_id", "m", "peer_group", *dict.fromkeys(outs)]
        spines = [spine(pre, rng) for rng in chunks]
        executor.peer_pass(con, main, pre, spines, pre_cols, pre_out, as_of_m)

    # ---- pass 2: indicators, rule conditions and evidence per business × month
    try:
        ind_cols = _main_pass(
            con, executor, main, spine, chunks, pack, indicators, th, as_of_m, history, hist
        )
    except BaseException:
        if hist is not None:  # its writer thread stops before the error goes on
            with suppress(Exception):
                hist.close()
        raise
    release_freed_memory()  # the chunks' arrays

    # ---- results: percentiles, firings, episodes, peer statistics, the summary
    where_month = "TRUE" if history else f"m = {as_of_m}"
    pct_cols = percentile_indicators(indicators)
    ind_names = ", ".join([*ind_cols, "locaben_rating", *map(percentile_column, pct_cols)])
    ep_sql, firing_sql = episodes_sql(pack, as_of_m, where_month, history)

    def episodes_table() -> pa.Table:
        return con.sql(
            f"SELECT * FROM ({ep_sql}) AS e ORDER BY business_id, rule_id, opened_month"
        ).to_arrow_table()

    def episodes_only() -> pa.Table:
        # no as-of tables to come: once the episodes are out, DuckDB's tables are not needed
        # while the sink's frame fills (at 1.5M the marks alone are gigabytes)
        ep = episodes_table()
        con.execute("DROP TABLE IF EXISTS mk")
        con.execute("DROP TABLE IF EXISTS out")
        return ep

    if history_sink is not None and hist is not None and tmp is not None:
        # before the as-of month's tables exist: at 1.5M × 36 the sink's frame alone is 7 GB
        try:
            _stream_history(
                executor,
                con,
                hist,
                history_sink,
                episodes_table if as_of_tables else episodes_only,
                main.peer_min_n,
                pct_cols,
                [*ind_cols, "locaben_rating"],
            )
        finally:
            tmp.cleanup()
        if not as_of_tables:
            con.execute("DROP TABLE IF EXISTS mk")  # if no month was handed over
            con.execute("DROP TABLE IF EXISTS out")
            if connection is None:
                con.close()
            stop_keeping_freed_memory()
            empty = pa.table({})
            return RunResult(pack.ref, as_of, empty, empty, empty, empty, empty)
    episodes = episodes_table()
    pct = executor.percentiles(con, pct_cols, where_month, main.peer_min_n)
    indicators_tbl = con.sql(
        f"SELECT business_id, month, peer_group, has_data, {ind_names} FROM out "
        f"JOIN {pct} AS p USING (business_id, m) WHERE {where_month} ORDER BY business_id, month"
    ).to_arrow_table()
    firings = con.sql(firing_sql).to_arrow_table()
    numeric = [c for i, c in zip(indicators, ind_cols, strict=True) if i.type == "num"]
    peers = con.sql(peers_sql(numeric, as_of_m)).to_arrow_table()
    # the per-row tables are done with: free them before the summary (peak memory at 1.5M)
    con.execute("DROP TABLE IF EXISTS mk")
    con.execute("DROP TABLE IF EXISTS out")
    cols = "business_id, is_open, severity, opened_month"
    store(con, "episodes", episodes, f"SELECT {cols} FROM _t", create=True)
    summary = con.sql(summary_sql(pack, as_of_m, src.loans, con, loan_columns)).to_arrow_table()
    if connection is None:
        con.close()
    stop_keeping_freed_memory()  # the tables' temporaries, before the caller's next step
    return RunResult(pack.ref, as_of, indicators_tbl, firings, episodes, summary, peers)


class _HistoryWriter:
    """Pass 2's rows of the months ``months`` (month indices; None: every month up to
    ``until_m``) into one Parquet file: per chunk, one row group per month, whose numbers
    ``groups`` keeps per month (so that a month is read back from its own row groups, in chunk
    order: by business). A chunk is written in a thread of its own while the next one is
    computed (the gather and the compression release the GIL); at most one chunk waits."""

    def __init__(self, path: Path, months: list[int] | None, until_m: int) -> None:
        self.path, self.until_m = path, until_m
        self.months = None if months is None else np.asarray(sorted(set(months)), np.int64)
        self.writer: pq.ParquetWriter | None = None
        self.groups: dict[int, list[int]] = {}
        self._n = 0
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kizashi-history")
        self._pending: Future[None] | None = None

    def add(self, rows: pa.Table) -> None:
        """Write ``rows`` (one chunk) once the previous chunk is written (its error, if any,
        is raised here)."""
        self._wait()
        self._pending = self._thread.submit(self._write, rows)

    def _wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def _write(self, rows: pa.Table) -> None:
        m = rows.column("m").to_numpy(zero_copy_only=False).astype(np.int64)
        keep = np.flatnonzero(m <= self.until_m if self.months is None else np.isin(m, self.months))
        order = keep[np.argsort(m[keep], kind="stable")]  # by month, then as before
        if self.writer is None:
            # dictionaries only for the text columns: on the numbers they cost half the write
            # and save little
            text = [
                f.name
                for f in rows.schema
                if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
            ]
            self.writer = pq.ParquetWriter(
                self.path,
                rows.schema,
                compression="lz4",
                use_dictionary=text,
                write_statistics=False,
            )
        elif rows.schema != self.writer.schema:  # a column all NULL in one chunk
            rows = rows.cast(self.writer.schema)
        if not order.size:
            return
        ordered = take_rows(rows, order)  # one gather; each month is then a slice of it
        m = m[order]
        starts = np.r_[0, np.flatnonzero(np.diff(m)) + 1, m.size]
        for a, b in itertools.pairwise(starts):
            if b - a >= _ROW_GROUP:
                raise ValueError("a chunk's month is larger than one row group")
            self.writer.write_table(ordered.slice(int(a), int(b - a)), row_group_size=_ROW_GROUP)
            self.groups.setdefault(int(m[a]), []).append(self._n)
            self._n += 1

    def close(self) -> None:
        try:
            self._wait()
        finally:
            self._thread.shutdown()
            if self.writer is not None:
                self.writer.close()


@contextmanager
def _memory_limit(con: duckdb.DuckDBPyConnection, limit: str) -> Iterator[None]:
    """DuckDB's memory limit lowered to ``limit`` inside (its tables beyond it go to its
    temporary directory, and are read back when needed), then restored."""
    prev = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]  # type: ignore[index]
    con.execute(f"SET memory_limit = '{limit}'")
    try:
        yield
    finally:
        con.execute(f"SET memory_limit = '{prev}'")


def _stream_history(
    executor: Executor,
    con: duckdb.DuckDBPyConnection,
    hist: _HistoryWriter,
    sink: HistorySink,
    episodes: Callable[[], pa.Table],
    min_n: int,
    pct_cols: list[str],
    columns: list[str],
) -> None:
    """Hand every month of the history file to ``sink`` with its peer percentiles: each month
    read from its own row groups (already by business: the chunks are business ranges in
    order), its percentiles computed by the executor over the whole month, no join and no sort;
    the month then handed over in pieces of a few row groups (``_PIECE_ROWS``). The next
    month's percentiles are computed in a thread of their own while this month's pieces are
    handed over (a piece is mostly one thread's work; the percentiles' sorts use the pool).
    ``episodes``: the run's, queried here and dropped once the sink has taken what it needs of
    them (at 1.5M their evidence is most of a gigabyte). Meanwhile DuckDB's limit is lowered:
    its tables go to its temporary directory while the sink's frame fills."""
    hist.close()
    if hist.writer is None:
        return
    pct_names = [percentile_column(c) for c in pct_cols]
    head = ["business_id", "month", "peer_group", "has_data", *columns]
    ep = episodes()
    stop_keeping_freed_memory()  # the chunk loop is over: what the months free goes back
    months = sorted(hist.groups)
    with (
        _memory_limit(con, _HANDOVER_MEMORY),
        pq.ParquetFile(hist.path) as f,
        pq.ParquetFile(hist.path) as ahead_f,  # the look-ahead thread's own reader
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="kizashi-percentiles") as ahead,
    ):

        def percentiles_of(i: int) -> Future[pa.Table | None] | None:
            if i >= len(months):
                return None
            groups = hist.groups[months[i]]
            return ahead.submit(_month_percentiles, executor, con, ahead_f, groups, pct_cols, min_n)

        following = percentiles_of(0)  # while the sink lays out its frame
        keys = f.read(columns=["business_id", "month", "has_data"])
        order = np.lexsort(
            (
                keys.column("month").to_numpy(zero_copy_only=False).astype(np.int64),
                keys.column("business_id").to_numpy(zero_copy_only=False),
            )
        )
        sink.begin(keys.take(pa.array(order)), ep)
        del keys, order, ep
        for i, m in enumerate(months):
            groups = hist.groups[m]
            bid = f.read_row_groups(groups, columns=["business_id"]).column(0)
            bid = bid.to_numpy(zero_copy_only=False)
            if bid.size > 1 and not (np.diff(bid) > 0).all():
                raise RuntimeError("a month's rows of the history are not ordered by business")
            del bid
            assert following is not None  # submitted for every month
            pct = following.result()
            following = percentiles_of(i + 1)  # while this month's pieces are handed over
            at = 0
            for piece in _pieces(f, groups):
                rows = f.read_row_groups(piece, columns=head, use_threads=True)
                if pct is not None:
                    for name in pct_names:
                        rows = rows.append_column(name, pct.column(name).slice(at, rows.num_rows))
                at += rows.num_rows
                sink.month(rows)
                del rows
                release_freed_memory()
            del pct


def _month_percentiles(
    executor: Executor,
    con: duckdb.DuckDBPyConnection,
    f: pq.ParquetFile,
    groups: list[int],
    pct_cols: list[str],
    min_n: int,
) -> pa.Table | None:
    """The percentile columns of the month in ``groups``, each over the whole month, a few
    input columns read at a time (``_PCT_BATCH``): at 1.5M the month's 28 inputs, the outputs
    and the sorts' temporaries (~1 GB at once) come on top of the sink's nearly full frame."""
    if not pct_cols:
        return None
    parts: list[pa.Table] = []
    for at in range(0, len(pct_cols), _PCT_BATCH):
        batch = pct_cols[at : at + _PCT_BATCH]
        keyed = f.read_row_groups(groups, columns=["business_id", "m", "peer_group", *batch])
        parts.append(executor.month_percentiles(con, keyed, batch, min_n))
        del keyed
    return pa.Table.from_arrays(
        [c for p in parts for c in p.columns], names=[n for p in parts for n in p.column_names]
    )


def _pieces(f: pq.ParquetFile, groups: list[int]) -> Iterator[list[int]]:
    """``groups`` (row groups, in order) in runs of about ``_PIECE_ROWS`` rows."""
    run: list[int] = []
    n = 0
    for g in groups:
        run.append(g)
        n += f.metadata.row_group(g).num_rows
        if n >= _PIECE_ROWS:
            yield run
            run, n = [], 0
    if run:
        yield run


def _main_pass(
    con: duckdb.DuckDBPyConnection,
    executor: Executor,
    main: Compiler,
    spine: Callable[[Compiler, tuple[int, int] | None], str],
    chunks: list[tuple[int, int] | None],
    pack: Pack,
    indicators: tuple[Indicator, ...],
    th: Thresholds,
    as_of_m: int,
    history: bool,
    hist: _HistoryWriter | None = None,
) -> list[str]:
    """Pass 2, one chunk at a time, then the episode marks; only the as-of month (``out``; every
    month with ``history``) and the marks of other months (``mk``) are kept. The indicator
    columns of ``out``."""
    ind_cols = [main.indicator(i.id)[0] for i in indicators]
    total_col = main.indicator(rated_total(indicators).id)[0]
    fire = firing_columns(main, pack)
    head = ["business_id", "m", "month", "peer_group", "has_data", *ind_cols]
    rated = [*head, f"{rating_sql(total_col, th)} AS locaben_rating"]
    firsts = list(dict.fromkeys([*rated, *fire.columns()]))
    outputs = [*head, "locaben_rating", *firing_outputs(fire)]
    head_set = {*head, "locaben_rating"}
    # what the mk rows read: keys and evidence (the marks are added by with_marks)
    mark_cols = ["business_id", "m", *(col for ev in fire.evidence for _, col in ev)]
    main_cols = executor.spine_columns(_columns(con, spine(main, chunks[0])))
    con.execute(
        "CREATE OR REPLACE TEMP TABLE mk (business_id BIGINT, m INTEGER, k INTEGER, "
        "is_start BOOLEAN, is_end BOOLEAN, evidence VARCHAR)"
    )
    pending: list[pa.Table] = []  # marked rows, written to mk in batches
    pending_out: list[pa.Table] = []  # the as-of month's rows, written to out in batches
    made_out = False
    with executor.main_pass(con):
        for n, rng in enumerate(chunks):
            t, ch = executor.chunk(con, main, spine(main, rng), main_cols, firsts, n)
            if hist is not None:  # every month's indicator rows, before the marks are added
                hist.add(t.select([c for c in t.column_names if c in head_set]))
            t, marked = with_marks(t, ch, len(pack.rules), None if history else as_of_m, mark_cols)
            rows = t if history else t.filter(pa.array(ch.m == as_of_m))
            pending_out.append(rows.combine_chunks())
            if sum(p.num_rows for p in pending_out) >= _MARK_BATCH or n == len(chunks) - 1:
                batch = pa.concat_tables(pending_out).combine_chunks()
                pending_out.clear()
                store(con, "out", batch, f"SELECT {', '.join(outputs)} FROM _t", not made_out)
                made_out = True
            pending.append(marked)
            if sum(p.num_rows for p in pending) >= _MARK_BATCH or n == len(chunks) - 1:
                batch = pa.concat_tables(pending)
                pending.clear()
                if batch.num_rows:
                    store(con, "mk", batch.combine_chunks(), mark_rows_sql(fire, "_t"), False)
    return ind_cols


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
