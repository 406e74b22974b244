"""``run_monitoring``: the whole default (or an organisation's) pack over a monthly panel.

Everything is SQL over the whole panel in DuckDB. Businesses are processed in chunks of
business ids only to bound memory; within a chunk nothing loops per business. Peer functions
are computed in a first pass over the whole portfolio, so chunking never changes a result.

Per chunk: the spine and the first window pass go into a temporary table ``a`` (every output it
can compute); the later window passes and the episode marks (``LAG(fired IGNORE NULLS)``) run
over a narrow projection of ``a`` and keep only the rows with a mark or in the as-of month
(table ``k``); ``out`` joins the two on those rows only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import (
    Any,
    TypeAlias,
)

import duckdb
import pyarrow as pa

from kizashi.domain.chart import load_chart

from .compiler import Compiler
from .dialect import DUCKDB
from .episodes import episodes_sql, firing_columns, firing_outputs, marks_sql
from .expr import Node
from .indicators import load_indicators
from .locaben import load_thresholds, rating_sql
from .packs import Pack, default_pack
from .panel import businesses_sql, spine_sql
from .summary import (
    peers_sql,
    percentile_column,
    percentile_indicators,
    percentiles_sql,
    summary_sql,
)

Source: TypeAlias = str | Path | pa.Table | None


@dataclass(frozen=True)
class RunResult:
    pack: str  # id@version
    as_of: dt.date
    indicators: pa.Table  # as-of month, per business: indicators, scores, rating, percentiles
    firings: pa.Table  # rule firings at the as-of month, with evidence
    episodes: pa.Table  # flags as episodes: opened / closed / last fired month, evidence
    summary: pa.Table  # per business: open flags by severity, priority score, exposure
    peers: pa.Table  # per peer group × indicator at the as-of month: n, quartiles


def _register(
    con: duckdb.DuckDBPyConnection, name: str, src: Source, subdir: str | None = None
) -> bool:
    if src is None:
        return False
    if isinstance(src, pa.Table):
        con.register(name, src)
        return True
    path = Path(src)
    if path.is_dir():
        sub = path / subdir if subdir and (path / subdir).is_dir() else path
        glob = str(sub / "**" / "*.parquet")
    else:
        glob = str(path)
    con.execute(
        f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet('{glob}', union_by_name=true)"
    )
    return True


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


def _keep_build_side(con: duckdb.DuckDBPyConnection, query: str) -> None:
    """Run ``query`` with DuckDB's build/probe side swap disabled.

    The spine's ``LEFT JOIN`` of the peer values (a few narrow columns, one row per business ×
    month of the chunk) must build its hash table on the peer values; the optimizer's
    cardinality estimate for the spine is far too low, so it builds on the wide spine instead
    (about 0.3 s more per chunk of 50,000 businesses). Only the plan changes, never a result.
    """
    prev = con.execute("SELECT current_setting('disabled_optimizers')").fetchone()[0]  # type: ignore[index]
    opts = [o for o in str(prev or "").split(",") if o.strip()]
    con.execute(f"SET disabled_optimizers = '{','.join([*opts, 'build_side_probe_side'])}'")
    try:
        con.execute(query)
    finally:
        con.execute(f"SET disabled_optimizers = '{','.join(opts)}'")


def run_monitoring(
    panel: Source,
    businesses: Source,
    events: Source = None,
    pack: Pack | None = None,
    month: dt.date | str | None = None,
    *,
    loans: Source = None,
    chunk_businesses: int | None = 50_000,
    connection: duckdb.DuckDBPyConnection | None = None,
    history: bool = False,
    memory_limit: str | None = "6GB",
) -> RunResult:
    """Evaluate ``pack`` on the panel up to ``month`` (default: the latest month in the panel).

    ``panel``/``businesses``/``events``/``loans`` are Arrow tables or Parquet paths (a file, a
    glob or a directory). The result depends only on data up to ``month`` and the pack, so
    rerunning a month gives the same answer. ``memory_limit`` caps DuckDB (it spills to a
    temporary directory beyond it); peak memory is also bounded by ``chunk_businesses``. With ``history=True`` the ``indicators`` and
    ``firings`` tables cover every month instead of the as-of month only (small panels).
    """
    pack = pack or default_pack()
    chart, indicators, th = load_chart(), load_indicators(), load_thresholds()
    con = connection or duckdb.connect(config={"preserve_insertion_order": False})
    if memory_limit and connection is None:  # DuckDB spills to disk beyond this
        con.execute(f"SET memory_limit = '{memory_limit}'")
    _register(con, "panel_src", panel, "panel")
    _register(con, "businesses_src", businesses, "businesses")
    has_events = _register(con, "events_src", events, "credit_events")
    has_loans = _register(con, "loans_src", loans, "loans")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE biz AS {businesses_sql('businesses_src', th, DUCKDB)}"
    )
    panel_cols = [r[0] for r in con.execute("DESCRIBE panel_src").fetchall()]
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
        )

    # ---- pass 1: peer inputs over the whole portfolio
    main = compiler()
    main.peer_args(roots)
    peer_rel = None
    if main.peers:
        pre = compiler()
        outs = [f"{pre.column(p.arg)[0]} AS {p.arg_column}" for p in main.peers.values()]
        for n, rng in enumerate(chunks):
            sp = spine(pre, rng, None)
            q = pre.sql(sp, ["business_id", "m", "peer_group", *outs], None, _columns(con, sp))
            con.execute(
                ("CREATE OR REPLACE TEMP TABLE peer_in AS " if n == 0 else "INSERT INTO peer_in ")
                + q
            )
        con.execute(f"CREATE OR REPLACE TEMP TABLE peer_values AS {main.peer_stats_sql('peer_in')}")
        con.execute("DROP TABLE peer_in")
        peer_rel = ("peer_values", [p.column for p in main.peers.values()])

    # ---- pass 2: indicators, rule conditions and evidence per business × month (one chunk
    # at a time), then the episode marks in a narrow pass; only marked rows and the as-of
    # month are kept.
    ind_cols = [main.indicator(i.id)[0] for i in indicators]
    total_col = main.indicator("locaben_total")[0]
    fire = firing_columns(main, pack)
    head = ["business_id", "m", "month", "peer_group", "has_data", *ind_cols]
    rated = [*head, f"{rating_sql(total_col, th)} AS locaben_rating"]
    firsts = list(dict.fromkeys([*rated, *fire.columns()]))
    outputs = [*(f"a.{c}" if c in ("business_id", "m") else c for c in head)]
    outputs += ["locaben_rating", *firing_outputs(fire)]
    keep = None if history else f"m = {as_of_m}"
    fired = [f"f_{k}" for k in range(len(pack.rules))]
    for n, rng in enumerate(chunks):
        sp = spine(main, rng, peer_rel)
        first, rest, late = main.split_sql(sp, firsts, _columns(con, sp), fired)
        if peer_rel is None:
            con.execute(f"CREATE OR REPLACE TEMP TABLE a AS {first}")
        else:
            _keep_build_side(con, f"CREATE OR REPLACE TEMP TABLE a AS {first}")
        source = "a" if rest is None else f"({rest}) AS r"
        con.execute(f"CREATE OR REPLACE TEMP TABLE k AS {marks_sql(fire, source, keep, late)}")
        q = (
            f"SELECT {', '.join(outputs)} FROM a "
            "JOIN k ON k.business_id = a.business_id AND k.m = a.m"
        )
        con.execute(("CREATE OR REPLACE TEMP TABLE out AS " if n == 0 else "INSERT INTO out ") + q)
    con.execute("DROP TABLE IF EXISTS a")
    con.execute("DROP TABLE IF EXISTS k")

    where_month = "TRUE" if history else f"m = {as_of_m}"
    pct_cols = percentile_indicators(indicators)
    ind_names = ", ".join([*ind_cols, "locaben_rating", *map(percentile_column, pct_cols)])
    pct = percentiles_sql(pct_cols, where_month, main.peer_min_n)
    indicators_tbl = con.sql(
        f"SELECT business_id, month, peer_group, has_data, {ind_names} FROM out "
        f"JOIN ({pct}) AS p USING (business_id, m) WHERE {where_month} ORDER BY business_id, month"
    ).to_arrow_table()
    ep_sql, firing_sql = episodes_sql(pack, as_of_m, where_month)
    firings = con.sql(firing_sql).to_arrow_table()
    con.execute(f"CREATE OR REPLACE TEMP TABLE episodes AS {ep_sql}")
    episodes = con.sql(
        "SELECT * FROM episodes ORDER BY business_id, rule_id, opened_month"
    ).to_arrow_table()
    summary = con.sql(
        summary_sql(pack, as_of_m, "loans_src" if has_loans else None, con)
    ).to_arrow_table()
    peers = con.sql(peers_sql([c for c in ind_cols if c != "insolvent"], as_of_m)).to_arrow_table()
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
