"""The two ways the compiled pack runs over the spine, behind one interface.

:class:`ArrayExecutor` (the default, ``windows="numpy"``) computes the windows, the peer
statistics and the percentiles on NumPy arrays; :class:`SqlExecutor` (``windows="sql"``) computes
all of them in DuckDB: slower, the reference the tests compare with (docs/adr/0004). Both give
the same tables, value for value. ``run_monitoring`` chooses one with :func:`executor_for` and
calls only the methods below.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ClassVar

import duckdb
import numpy as np
import pyarrow as pa

from .compiler import Compiler
from .peers import PeerInputs, checksum, percentiles
from .summary import percentile_column, percentiles_sql
from .vector import Chunk, evaluate, evaluate_sql, release_freed_memory


def store(
    con: duckdb.DuckDBPyConnection, table: str, rows: pa.Table, select: str, create: bool
) -> None:
    """``select`` (over ``_t`` = ``rows``) into a temporary table, created on the first chunk."""
    con.register("_t", rows)
    try:
        head = f"CREATE OR REPLACE TEMP TABLE {table} AS " if create else f"INSERT INTO {table} "
        con.execute(head + select)
    finally:
        con.unregister("_t")


@contextmanager
def keep_build_side(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
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


class Executor(ABC):
    """Runs the two passes of ``run_monitoring`` over DuckDB's spine, chunk by chunk.

    Pass 1 (:meth:`peer_pass`) gathers each peer function's argument over the whole portfolio
    and computes the peer statistics; pass 2 (:meth:`chunk`, inside :meth:`main_pass`) computes
    every indicator, condition and evidence of one chunk, the peer values attached
    (:meth:`spine_peers` when they are joined into the spine as a table,
    :meth:`spine_columns` when they are attached by position). :meth:`percentiles` gives each
    business's position in its peer group as a relation ``out`` can be joined with.
    """

    windows: ClassVar[str]

    @abstractmethod
    def peer_pass(
        self,
        con: duckdb.DuckDBPyConnection,
        main: Compiler,
        pre: Compiler,
        spines: list[str],
        columns: list[str],
        outputs: list[str],
        as_of_m: int,
    ) -> None:
        """Pass 1: the peer inputs (``outputs`` of ``pre`` over each chunk's spine)."""

    def spine_peers(self) -> tuple[str, list[str]] | None:
        """The peer values as a table (and its columns) the spine joins, if any."""
        return None

    def spine_columns(self, columns: list[str]) -> list[str]:
        """The columns a chunk has: the spine's, and those this executor attaches."""
        return columns

    @contextmanager
    def main_pass(self, con: duckdb.DuckDBPyConnection) -> Iterator[None]:
        """Around pass 2 (a plan setting, freeing pass 1's state after it)."""
        yield

    @abstractmethod
    def chunk(
        self,
        con: duckdb.DuckDBPyConnection,
        main: Compiler,
        spine: str,
        columns: list[str],
        outputs: list[str],
        n: int,
    ) -> tuple[pa.Table, Chunk]:
        """Pass 2 over chunk ``n``: ``outputs`` of ``main`` over ``spine``."""

    @abstractmethod
    def percentiles(
        self, con: duckdb.DuckDBPyConnection, columns: list[str], where: str, min_n: int
    ) -> str:
        """A relation (business_id, m, pct_…) over ``out``'s rows ``where``."""

    def month_percentiles(
        self, con: duckdb.DuckDBPyConnection, rows: pa.Table, columns: list[str], min_n: int
    ) -> pa.Table:
        """The percentile columns (``pct_…``) of ``rows``, one month's rows of ``out`` (with
        ``business_id``, ``m``, ``peer_group`` and ``columns``), row for row in their order."""
        names = ", ".join(percentile_column(c) for c in columns)
        # on a connection of its own: the run's ``out`` (the as-of month's rows) still exists
        with duckdb.connect() as own:
            own.register("out", rows.append_column("_i", pa.array(np.arange(rows.num_rows))))
            return own.sql(
                f"SELECT {names} FROM out JOIN ({percentiles_sql(columns, 'TRUE', min_n)}) AS p "
                "USING (business_id, m) ORDER BY _i"
            ).to_arrow_table()


class ArrayExecutor(Executor):
    """Windows, peer statistics and percentiles on NumPy arrays (the default)."""

    windows = "numpy"

    def __init__(self) -> None:
        self._inputs: PeerInputs | None = None
        self._names: list[str] = []

    def peer_pass(
        self,
        con: duckdb.DuckDBPyConnection,
        main: Compiler,
        pre: Compiler,
        spines: list[str],
        columns: list[str],
        outputs: list[str],
        as_of_m: int,
    ) -> None:
        same = {p.arg_column: pre.column(p.arg)[0] for p in main.peers.values()}
        inputs = PeerInputs(list(main.peers.values()), main.peer_min_n, as_of_m, same)
        for spine in spines:
            inputs.add(evaluate(con, pre, spine, columns, outputs)[0])
        release_freed_memory()  # the first pass's chunks
        inputs.compute()
        release_freed_memory()  # the sort's temporaries
        self._inputs = inputs
        self._names = [p.column for p in main.peers.values()]

    def spine_columns(self, columns: list[str]) -> list[str]:
        return [*columns, *self._names] if self._inputs is not None else columns

    @contextmanager
    def main_pass(self, con: duckdb.DuckDBPyConnection) -> Iterator[None]:
        yield
        if self._inputs is not None:
            self._inputs.release()

    def _attach(self, n: int) -> tuple[list[str], Callable[[Chunk], dict[str, pa.Array]]] | None:
        inputs = self._inputs
        if inputs is None:
            return None

        def give(ch: Chunk) -> dict[str, pa.Array]:
            c = inputs.chunks[n]
            if (ch.n, checksum(ch.business_id, ch.m)) != (c.n, c.checksum):
                raise RuntimeError("the main pass's rows differ from the peer pass's")
            return inputs.chunk(n)

        return self._names, give

    def chunk(
        self,
        con: duckdb.DuckDBPyConnection,
        main: Compiler,
        spine: str,
        columns: list[str],
        outputs: list[str],
        n: int,
    ) -> tuple[pa.Table, Chunk]:
        return evaluate(con, main, spine, columns, outputs, self._attach(n))

    def month_percentiles(
        self, con: duckdb.DuckDBPyConnection, rows: pa.Table, columns: list[str], min_n: int
    ) -> pa.Table:
        names = [percentile_column(c) for c in columns]
        return percentiles(rows, columns, names, min_n).drop_columns(["business_id", "m"])

    def percentiles(
        self, con: duckdb.DuckDBPyConnection, columns: list[str], where: str, min_n: int
    ) -> str:
        rows = con.sql(
            f"SELECT business_id, m, peer_group, {', '.join(columns)} FROM out WHERE {where}"
        ).to_arrow_table()
        names = [percentile_column(c) for c in columns]
        con.register("_pct", percentiles(rows, columns, names, min_n))
        return "_pct"


class SqlExecutor(Executor):
    """Everything in DuckDB: the reference the array executor is compared with."""

    windows = "sql"

    def __init__(self) -> None:
        self._peers: tuple[str, list[str]] | None = None

    def peer_pass(
        self,
        con: duckdb.DuckDBPyConnection,
        main: Compiler,
        pre: Compiler,
        spines: list[str],
        columns: list[str],
        outputs: list[str],
        as_of_m: int,
    ) -> None:
        for n, spine in enumerate(spines):
            t, _ = evaluate_sql(con, pre, spine, columns, outputs)
            store(con, "peer_in", t, "SELECT * FROM _t", create=n == 0)
        con.execute(f"CREATE OR REPLACE TEMP TABLE peer_values AS {main.peer_stats_sql('peer_in')}")
        con.execute("DROP TABLE peer_in")
        self._peers = ("peer_values", [p.column for p in main.peers.values()])

    def spine_peers(self) -> tuple[str, list[str]] | None:
        return self._peers

    @contextmanager
    def main_pass(self, con: duckdb.DuckDBPyConnection) -> Iterator[None]:
        if self._peers is None:
            yield
        else:
            with keep_build_side(con):
                yield

    def chunk(
        self,
        con: duckdb.DuckDBPyConnection,
        main: Compiler,
        spine: str,
        columns: list[str],
        outputs: list[str],
        n: int,
    ) -> tuple[pa.Table, Chunk]:
        return evaluate_sql(con, main, spine, columns, outputs)

    def percentiles(
        self, con: duckdb.DuckDBPyConnection, columns: list[str], where: str, min_n: int
    ) -> str:
        return f"({percentiles_sql(columns, where, min_n)})"


EXECUTORS: dict[str, type[Executor]] = {e.windows: e for e in (ArrayExecutor, SqlExecutor)}


def executor_for(windows: str) -> Executor:
    """A fresh executor for ``windows`` ("numpy" or "sql")."""
    if windows not in EXECUTORS:
        raise ValueError(f"windows must be one of {sorted(EXECUTORS)}, not {windows!r}")
    return EXECUTORS[windows]()
