"""The compiled pack on one chunk of businesses: DuckDB for rows, NumPy for the windows.

The spine (:mod:`.panel`) has one row per business and month, consecutive months from the
business's first month to the run's month, with explicit gap rows. Sorted by
``business_id, m``, the row *k* months back is therefore the row *k* positions back, if it
belongs to the same business (``pos >= k``, where ``pos = m - first_m``). Every window of the
compiler (:class:`~.compiler.Win`: SUM, COUNT, AVG, MIN, MAX or LAG over a ROWS frame of
``PARTITION BY business_id ORDER BY m``) is then array arithmetic on whole columns:

* SUM / COUNT / AVG over a frame are differences of prefix sums, in exact integer arithmetic
  (amounts are whole yen; a column with fractions is summed frame by frame instead);
* MIN / MAX over a frame combine two overlapping power-of-two blocks (a sparse table);
* LAG is a shift; ``LAG … IGNORE NULLS`` (the episode marks) a running maximum of indices.

Nothing loops over businesses, and no sorted window pass is needed: DuckDB builds the spine,
NumPy sorts it once (one int64 key, one gather per column), DuckDB evaluates the scalar
expressions of each level and NumPy adds each level's windows in between. The results are those of :meth:`~.compiler.Compiler.sql`, the portable form of the
same query, which other SQL engines run; ``tests/engine/test_vector.py`` compares the two.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress

import duckdb
import numpy as np
import pyarrow as pa

from .compiler import _IDENT, Compiler, Win, _cols, _live_columns

# a float column is summed through int64 prefix sums only when every value is a whole number
# and the column's absolute total stays below this (every partial sum is then exact)
_EXACT = 2.0**52
_ONE_BATCH = 1 << 30


class Chunk:
    """Positions of a sorted, dense chunk: ``pos`` (rows since the business's first row)."""

    def __init__(self, business_id: np.ndarray, m: np.ndarray, first_m: np.ndarray) -> None:
        n = len(m)
        self.n = n
        self.business_id, self.m = business_id, m
        self.pos = (m - first_m).astype(np.int64)
        self.row = np.arange(n, dtype=np.int64)
        same = (business_id[1:] == business_id[:-1]) & (m[1:] == m[:-1] + 1)
        new = self.pos[1:] == 0
        if n and (self.pos[0] != 0 or not np.array_equal(same, ~new)):
            raise ValueError("spine rows are not sorted by business and consecutive months")
        self.starts = np.flatnonzero(self.pos == 0)
        self.lengths = np.diff(np.append(self.starts, n))
        self._reach: dict[int, np.ndarray] = {}
        self._unreach: dict[int, np.ndarray] = {}
        self._cols: dict[str, _Col] = {}

    def reach(self, j: int) -> np.ndarray:
        """Rows whose business has a row j positions back."""
        r = self._reach.get(j)
        if r is None:
            r = self._reach[j] = self.pos >= j
        return r

    def _unreached(self, j: int) -> np.ndarray:
        r = self._unreach.get(j)
        if r is None:
            r = self._unreach[j] = self.pos < j
        return r

    def back(self, x: np.ndarray, j: int, fill: object) -> np.ndarray:
        """x of the row j positions back in the same business, else ``fill``."""
        if j == 0:
            return x
        out = np.empty_like(x)
        if j >= self.n:
            out[:] = fill
            return out
        out[j:] = x[: self.n - j]
        np.copyto(out, np.asarray(fill).astype(out.dtype), where=self._unreached(j))
        return out

    def column(self, name: str, col: pa.ChunkedArray) -> _Col:
        """The NumPy form of a column, shared by the windows of one level."""
        c = self._cols.get(name)
        if c is None or c.source is not col:
            c = self._cols[name] = _Col(self, col)
        return c

    def forget(self) -> None:
        self._cols.clear()


class _Col:
    def __init__(self, ch: Chunk, col: pa.ChunkedArray) -> None:
        self.ch, self.source, self.type = ch, col, col.type
        self.x, self.valid = _numpy(col)
        self._count: np.ndarray | None = None
        self._sum: np.ndarray | None = None
        self.exact = True

    def _within(self, v: np.ndarray) -> np.ndarray:
        """Inclusive running sum within each business."""
        p = np.cumsum(v)
        if not len(p):
            return p
        starts = self.ch.starts
        base = p[starts] - v[starts]  # the running sum before each business's first row
        p -= np.repeat(base, self.ch.lengths)
        return p

    @property
    def count(self) -> np.ndarray:
        if self._count is None:
            self._count = self._within(self.valid.astype(np.int64))
        return self._count

    @property
    def sums(self) -> np.ndarray | None:
        """Running sums within each business, exact; ``None`` if the column has fractions."""
        if self._sum is None and self.exact:
            x = np.where(self.valid, self.x, 0)
            whole = x.dtype.kind != "f" or (
                np.array_equal(x, np.trunc(x)) and float(np.abs(x).sum()) < _EXACT
            )
            if not whole:
                self.exact = False
                return None
            self._sum = self._within(x.astype(np.int64))
        return self._sum


def _bits(buf: pa.Buffer, offset: int, n: int) -> np.ndarray:
    packed = np.frombuffer(buf, dtype=np.uint8)
    return np.unpackbits(packed, bitorder="little", count=offset + n)[offset:].view(bool)


def _numpy(col: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(values, validity) of an Arrow column, read from its buffers.

    Values under a null are whatever the buffer holds: every use masks them with the validity.
    Integers come out as int64, numbers as float64, booleans as bool.
    """
    if isinstance(col, pa.ChunkedArray):
        arr = col.chunk(0) if col.num_chunks == 1 else col.combine_chunks()
    else:
        arr = col
    t = arr.type
    if not (pa.types.is_boolean(t) or pa.types.is_integer(t) or pa.types.is_floating(t)):
        arr, t = arr.cast(pa.float64()), pa.float64()
    n, off = len(arr), arr.offset
    bufs = arr.buffers()
    if arr.null_count == 0 or bufs[0] is None:
        valid = np.ones(n, dtype=bool)
    else:
        valid = _bits(bufs[0], off, n)
    if pa.types.is_boolean(t):
        vals = _bits(bufs[1], off, n)
    else:
        vals = np.frombuffer(bufs[1], dtype=t.to_pandas_dtype(), count=off + n)[off:]
        if vals.dtype.kind in "iu" and vals.dtype != np.int64:
            vals = vals.astype(np.int64)
        elif vals.dtype.kind == "f" and vals.dtype != np.float64:
            vals = vals.astype(np.float64)
    return vals, valid


def _arrow(vals: np.ndarray, valid: np.ndarray | None, typ: pa.DataType | None = None) -> pa.Array:
    vals = np.ascontiguousarray(vals)
    if vals.dtype == bool:
        data, pt = pa.py_buffer(np.packbits(vals, bitorder="little")), pa.bool_()
    else:
        data, pt = pa.py_buffer(vals), pa.from_numpy_dtype(vals.dtype)
    mask = None
    if valid is not None and not valid.all():
        mask = pa.py_buffer(np.packbits(valid, bitorder="little"))
    out = pa.Array.from_buffers(pt, len(vals), [mask, data])
    return out.cast(typ) if typ is not None and out.type != typ else out


def window(ch: Chunk, win: Win, c: _Col, start_col: _Col | None) -> pa.Array:
    """One :class:`Win` over a column of the chunk (same result as the SQL window)."""
    typ = c.type
    if win.fn == "LAG":
        k = win.end
        return _arrow(ch.back(c.x, k, 0), ch.back(c.valid, k, False), typ)
    e = win.end
    if win.start_col is not None:
        assert start_col is not None
        back = np.minimum(start_col.x + (win.start or 0), ch.pos)
        lo, hi = ch.row - back, ch.row - e
        nonempty = lo <= hi
        lo_c, hi_c = np.where(nonempty, lo, 0), np.where(nonempty, hi, 0)
        below = nonempty & (lo_c > ch.row - ch.pos)  # a row of the business before the frame

        def frame(q: np.ndarray) -> np.ndarray:
            return np.where(nonempty, q[hi_c], 0) - np.where(below, q[lo_c - 1], 0)

    else:
        s = None if win.start is None else win.start + 1

        def frame(q: np.ndarray) -> np.ndarray:
            upto = ch.back(q, e, 0)
            return upto if s is None else upto - ch.back(q, s, 0)

    count = frame(c.count)
    if win.fn == "COUNT":
        return _arrow(count, None, pa.int64())
    has = count > 0
    if win.fn in ("SUM", "AVG"):
        sums = c.sums
        total = _fractional_sum(ch, win, c, start_col) if sums is None else frame(sums)
        if win.fn == "SUM":
            if pa.types.is_integer(typ):
                return _arrow(total, has, pa.int64())
            return _arrow(total.astype(np.float64), has, pa.float64())
        mean = np.divide(total, count, out=np.zeros(ch.n), where=has)
        return _arrow(mean, has, pa.float64())
    if win.fn in ("MIN", "MAX"):
        best = _extreme(ch, win, c, start_col)
        if pa.types.is_integer(typ):
            return _arrow(np.where(has, best, 0).astype(np.int64), has, typ)
        if pa.types.is_boolean(typ):
            return _arrow(np.where(has, best, 0) > 0, has, typ)
        return _arrow(np.where(has, best, 0.0), has, pa.float64())
    raise ValueError(f"unsupported window function {win.fn}")


def _fractional_sum(ch: Chunk, win: Win, c: _Col, start_col: _Col | None) -> np.ndarray:
    """SUM over the frame for a column with fractions: the frame's rows added oldest first."""
    xz = np.where(c.valid, c.x, 0.0).astype(np.float64)
    if win.start is None:
        widest = int(ch.pos.max(initial=0))
    elif start_col is not None:
        widest = int(start_col.x.max(initial=0)) + win.start
    else:
        widest = win.start
    total = np.zeros(ch.n)
    for j in range(widest, win.end - 1, -1):
        inside = ch.reach(j)
        if win.start is not None and start_col is not None:
            inside = inside & (j <= start_col.x + win.start)
        total += np.where(inside, ch.back(xz, j, 0.0), 0.0)
    return total


def _extreme(ch: Chunk, win: Win, c: _Col, start_col: _Col | None) -> np.ndarray:
    """MIN / MAX over the frame: two overlapping blocks of a power-of-two length.

    Block t at row i covers rows ``max(i - 2**t + 1, business start) .. i``; a frame of L
    rows ending at row h is blocks ``t = floor(log2 L)`` at h and at h - (L - 2**t).
    """
    op = np.maximum if win.fn == "MAX" else np.fmin
    fill = -np.inf if win.fn == "MAX" else np.inf
    f = np.where(c.valid, c.x.astype(np.float64), fill)
    e = win.end
    if win.start is None:
        widest = int(ch.pos.max(initial=0)) + 1
    elif start_col is not None:
        widest = int(start_col.x.max(initial=0)) + win.start - e + 1
    else:
        widest = win.start - e + 1
    # blocks up to 2**t <= widest; for UNBOUNDED, up to the first 2**t >= widest
    levels = max(widest, 1).bit_length() if win.start is not None else (widest - 1).bit_length() + 1
    blocks = [f]
    for t in range(1, levels):
        prev = blocks[-1]
        blocks.append(op(prev, ch.back(prev, 1 << (t - 1), fill)))
    if win.start is None:  # the top block reaches back to the business's first row
        return ch.back(blocks[-1], e, fill)
    if start_col is None:
        t = levels - 1
        rest = widest - (1 << t)
        return op(ch.back(blocks[t], e, fill), ch.back(blocks[t], e + rest, fill))
    back = np.minimum(start_col.x + win.start, ch.pos)
    length = np.maximum(back - e + 1, 1)
    t_row = np.floor(np.log2(length)).astype(np.int64)
    table = np.stack(blocks)
    hi = np.maximum(ch.row - e, 0)
    lo = np.maximum(ch.row - back + (np.left_shift(1, t_row) - 1), 0)
    best = op(table[t_row, hi], table[t_row, lo])
    return np.where(ch.pos >= e, best, fill)


def last_known(ch: Chunk, col: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """``LAG(col IGNORE NULLS)`` within each business: (values, validity)."""
    x, valid = _numpy(col)
    idx = np.where(valid, ch.row, -1)
    last = np.maximum.accumulate(idx) if ch.n else idx
    prev = np.empty_like(last)
    prev[:1] = -1
    prev[1:] = last[:-1]
    ok = prev >= ch.row - ch.pos
    return (x[np.where(ok, prev, 0)] if ch.n else x), ok


_POOL: ThreadPoolExecutor | None = None
_MALLOC_TUNED = False


def keep_freed_memory() -> None:
    """Ask glibc's malloc to keep freed memory for reuse instead of returning it at once.

    A window allocates a few arrays of one value per row; by default glibc gives each freed
    one back to the kernel and the next one faults its pages in again. On the project machine
    a page fault costs about 4 µs, so a 2M-row chunk spent more time in faults than in
    arithmetic. Process-wide, once; a no-op where the C library is not glibc.
    """
    global _MALLOC_TUNED
    if _MALLOC_TUNED:
        return
    _MALLOC_TUNED = True
    if sys.platform != "linux":
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 32 * 1024 * 1024)  # M_MMAP_THRESHOLD: its maximum on 64-bit
        libc.mallopt(-1, 2**31 - 1)  # M_TRIM_THRESHOLD: do not trim the heap eagerly
        libc.mallopt(-2, 256 * 1024 * 1024)  # M_TOP_PAD: grow the heap in large steps
    except (OSError, AttributeError):
        pass


def _pool() -> ThreadPoolExecutor:
    """Threads for the windows of a level: NumPy releases the GIL inside its array loops."""
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1)))
    return _POOL


def take_rows(t: pa.Table, rows: np.ndarray) -> pa.Table:
    """``t.take(rows)``, its columns gathered in the thread pool (Arrow's ``take`` is one
    thread per call and releases the GIL: a chunk's hundred-odd columns take half the time)."""
    idx = pa.array(rows)
    cols = list(_pool().map(lambda c: c.take(idx), t.columns))
    return pa.Table.from_arrays(cols, schema=t.schema)


def stop_keeping_freed_memory() -> None:
    """Undo ``keep_freed_memory``'s hold (the trim threshold and the heap's growth step back at
    glibc's defaults) and give back what is free: after the engine's passes the process (a
    training run filling a 7 GB frame, a web worker) should not keep gigabytes it no longer
    uses. The mmap threshold stays (glibc's own grows to the same value). ``keep_freed_memory``
    applies again at the next run."""
    global _MALLOC_TUNED
    if not _MALLOC_TUNED:
        return
    _MALLOC_TUNED = False
    if sys.platform != "linux":
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-1, 128 * 1024)  # M_TRIM_THRESHOLD: glibc's default
        libc.mallopt(-2, 128 * 1024)  # M_TOP_PAD: glibc's default
    except (OSError, AttributeError):
        pass
    release_freed_memory()


def release_freed_memory() -> None:
    """Give memory freed after a large step (the peer sort) back to the kernel: glibc's heap
    and Arrow's memory pool."""
    pa.default_memory_pool().release_unused()
    if sys.platform == "linux":
        with suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)


@contextmanager
def _ordered(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    prev = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0]  # type: ignore[index]
    con.execute("SET preserve_insertion_order = true")
    try:
        yield
    finally:
        con.execute(f"SET preserve_insertion_order = {str(bool(prev)).lower()}")


def _query(con: duckdb.DuckDBPyConnection, sql: str, table: pa.Table | None = None) -> pa.Table:
    if table is not None:
        con.register("_vt", table)
    try:
        # one batch: NumPy then reads each column without concatenating chunks
        return con.sql(sql).to_arrow_table(batch_size=_ONE_BATCH)
    finally:
        if table is not None:
            con.unregister("_vt")


def sort_rows(t: pa.Table) -> pa.Table:
    """``t`` sorted by ``business_id, m``.

    NumPy's stable sort of one int64 key, then one gather per column: cheaper than DuckDB's
    ORDER BY over every column, and fast on the spine's long runs of already-sorted rows.
    """
    b = t.column("business_id").to_numpy()
    m = t.column("m").to_numpy()
    if len(b) < 2:
        return t
    b_lo, m_lo = int(b.min()), int(m.min())
    width = int(m.max()) - m_lo + 1
    if (int(b.max()) - b_lo + 1) * width < 2**62:
        key = (b - b_lo).astype(np.int64) * width + (m - m_lo)
        if bool(np.all(key[1:] > key[:-1])):
            return t
        order = np.argsort(key, kind="stable")
    else:  # ids too far apart for one key
        order = np.lexsort((m, b))
    return take_rows(t, order)


def evaluate(
    con: duckdb.DuckDBPyConnection,
    c: Compiler,
    spine: str,
    spine_columns: list[str],
    outputs: list[str],
    attach: tuple[list[str], Callable[[Chunk], dict[str, pa.Array]]] | None = None,
) -> tuple[pa.Table, Chunk]:
    """The compiled query of ``c`` over ``spine`` (a SELECT), selecting ``outputs``.

    Returns the rows sorted by ``business_id, m`` (``outputs`` must include both) and the
    chunk's positions. Each level: NumPy adds the level's windows to the carried columns,
    then DuckDB computes its scalar expressions and keeps only the columns still needed.
    ``attach`` = (names, function of the chunk) gives columns the spine does not have (the
    peer values), by position in the sorted chunk; ``spine_columns`` must name them too.
    """
    stages = c._stages
    keys = "business_id m first_m"
    live = _live_columns(stages, spine_columns, [keys, *outputs])
    assert live is not None
    last = len(stages) - 1
    head = outputs if last == 0 else live[0]
    s0 = stages[0].scalars
    extra = set(attach[0]) if attach else set()
    # level-0 scalars (and, without windows, the outputs) over attached columns are
    # computed after attaching them
    defer = bool(extra) and (last == 0 or bool(set(_IDENT.findall(" ".join(s0.values()))) & extra))
    if defer:
        used = set(_IDENT.findall(" ".join([*head, *s0.values()])))
        first = [col for col in spine_columns if col in used and col not in extra]
        sql = f"SELECT {', '.join(dict.fromkeys([*first, 'first_m']))} FROM ({spine}) AS spine"
    else:
        names = [o for o in head if _alias(o) not in extra]
        sql = (
            f"SELECT {', '.join(dict.fromkeys([*names, 'first_m']))} "
            f"FROM (SELECT *{_cols(s0)} FROM ({spine}) AS spine) AS s0"
        )
    with _ordered(con):
        # DuckDB's insertion order is the panel's, nearly sorted: the sort is then cheap
        t = sort_rows(_query(con, sql))
        ch = Chunk(
            t.column("business_id").to_numpy(),
            t.column("m").to_numpy(),
            t.column("first_m").to_numpy(),
        )
        if attach is not None:
            for name, arr in attach[1](ch).items():
                t = t.append_column(name, arr)
        if defer:
            t = _scalars(con, ch, t, s0, [*head, "first_m"])
        if last == 0 and "first_m" not in [_alias(o) for o in outputs]:
            t = t.drop_columns(["first_m"])
        for level in range(1, last + 1):
            st = stages[level]
            jobs = [
                (
                    win,
                    ch.column(win.arg, t.column(win.arg)),
                    ch.column(win.start_col, t.column(win.start_col)) if win.start_col else None,
                )
                for win in st.windows.values()
            ]
            for name, arr in zip(
                st.windows, _pool().map(lambda j: window(ch, *j), jobs), strict=True
            ):
                t = t.append_column(name, arr)
            ch.forget()
            sel = outputs if level == last else live[level]
            t = _scalars(con, ch, t, st.scalars, sel)
    return t, ch


def _scalars(
    con: duckdb.DuckDBPyConnection,
    ch: Chunk,
    t: pa.Table,
    scalars: dict[str, str],
    select: list[str],
) -> pa.Table:
    """``select`` over ``t`` plus a level's ``scalars``: DuckDB computes only what is new.

    A selected column that ``t`` already has is taken as it is (no copy); the scalars and the
    output expressions are computed by DuckDB over the columns they read, in the rows' order.
    """
    have = set(t.column_names) - set(scalars)
    names = [_alias(o) for o in select]
    computed = [o for o, n in zip(select, names, strict=True) if o != n or n not in have]
    new: dict[str, pa.ChunkedArray] = {}
    if computed:
        got = _query(
            con,
            f"SELECT business_id AS _b, m AS _m, {', '.join(computed)} "
            f"FROM (SELECT *{_cols(scalars)} FROM _vt) AS s",
            t,
        )
        if not (
            np.array_equal(got.column("_m").to_numpy(), ch.m)
            and np.array_equal(got.column("_b").to_numpy(), ch.business_id)
        ):
            raise RuntimeError("DuckDB did not keep the chunk's row order")
        new = {n: got.column(n) for n in got.column_names[2:]}
    return pa.table({n: new[n] if n in new else t.column(n) for n in names})


def _alias(output: str) -> str:
    """``expr AS name`` → ``name``; a bare column → itself."""
    return output.rsplit(" AS ", 1)[-1].strip()


def evaluate_sql(
    con: duckdb.DuckDBPyConnection,
    c: Compiler,
    spine: str,
    spine_columns: list[str],
    outputs: list[str],
) -> tuple[pa.Table, Chunk]:
    """:func:`evaluate` with every window computed by DuckDB (:meth:`Compiler.sql`).

    The portable form of the same query, kept as the reference the NumPy windows are tested
    against (``run_monitoring(windows="sql")``).
    """
    extra = [] if "first_m" in outputs else ["first_m"]
    q = c.sql(spine, [*outputs, *extra], None, spine_columns)
    t = con.sql(f"SELECT * FROM ({q}) AS q ORDER BY business_id, m").to_arrow_table()
    ch = Chunk(
        t.column("business_id").to_numpy(), t.column("m").to_numpy(), t.column("first_m").to_numpy()
    )
    return (t.drop_columns(extra) if extra else t), ch


def with_marks(
    t: pa.Table, ch: Chunk, rules: int, as_of_m: int | None, keep: list[str] | None = None
) -> tuple[pa.Table, pa.Table]:
    """Append the episode marks ``st_k`` / ``en_k`` of each rule's condition ``f_k``.

    A flag starts where the condition is true and its last known value before was not true,
    and ends where it is false and its last known value was true (unknown months change
    nothing). Returns the table and, unless ``as_of_m`` is ``None``, its rows outside the as-of
    month that carry a mark (the as-of month's rows are kept whole anyway), with the columns
    ``keep`` (default: all) and the marks.
    """
    src = t

    def marks(k: int) -> tuple[np.ndarray, np.ndarray]:
        col = src.column(f"f_{k}")
        f, known = _numpy(col)
        p, p_known = last_known(ch, col)
        return known & f & ~(p_known & p), known & ~f & p_known & p

    any_mark = np.zeros(ch.n, dtype=bool)
    names: list[str] = []
    for k, (start, end) in enumerate(_pool().map(marks, range(rules))):
        t = t.append_column(f"st_{k}", _arrow(start, None))
        t = t.append_column(f"en_{k}", _arrow(end, None))
        names += [f"st_{k}", f"en_{k}"]
        any_mark |= start | end
    if as_of_m is None:
        return t, t.slice(0, 0)
    narrow = t if keep is None else t.select(list(dict.fromkeys([*keep, *names])))
    return t, narrow.filter(pa.array(any_mark & (ch.m != as_of_m)))
