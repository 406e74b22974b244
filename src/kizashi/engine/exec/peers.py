"""Peer statistics for the peer functions, computed on arrays (the DuckDB engine's fast path).

``peer_percentile(x)``, ``peer_median(x)`` and ``peer_quantile(x, q)`` compare a business with
the other businesses of its peer group (industry major group × size band) in the same month,
over the whole portfolio. The first pass gives, chunk by chunk, each business × month's
argument ``x``; here every term is computed over all rows at once and handed back chunk by
chunk in the same row order, so the main pass attaches it by position (no join).

The rules are those of :meth:`~.compiler.Compiler.peer_stats_sql` (the SQL form, used by
``windows="sql"`` and other engines), value for value:

* percentile: ``100 × (rank − 1) / (n − 1)``, rank among the group's n non-null values with
  ties sharing the lowest rank (:func:`~.compiler.percentile_sql`);
* quantile: DuckDB's ``QUANTILE_CONT`` — position ``(n − 1) q`` in the sorted values, linear
  interpolation ``lo × (1 − d) + hi × d`` between its neighbours, rounded as DuckDB's build
  rounds it (:func:`_interpolate`);
* NULL where the business's own value is NULL or fewer than ``min_n`` peers have one.

Sorting: values by a stable sort, then group codes by a stable (radix) sort — one sort of the
values per argument, not one per group.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..spec.expr import Name
from .compiler import PeerTerm
from .vector import _arrow, _numpy, _pool


@dataclass
class PeerInput:
    """One chunk of the first pass: its rows' group codes and the arguments (values, validity)."""

    n: int
    checksum: int
    code: np.ndarray  # int32: peer group × month (see PeerInputs)
    args: dict[str, tuple[np.ndarray, np.ndarray]]


def checksum(business_id: np.ndarray, m: np.ndarray) -> int:
    """Identifies a chunk's rows and their order (the main pass must see the same rows)."""
    w = np.arange(1, len(m) + 1, dtype=np.int64)
    return int(np.sum((business_id.astype(np.int64) * 4099 + m.astype(np.int64)) * w))


_MONTHS = 2048  # months back from the as-of month a code can hold (170 years)


class PeerInputs:
    """Collects the first pass's chunks, then computes every peer term.

    A row's code is ``group × 2048 + months before the as-of month``: peer group × month in
    an int32. A percentile is kept per row; a quantile per code (it is the same for every
    business of the group that month), and the chunk's values are made when the main pass
    asks for them (:meth:`chunk`), so memory holds about 14 bytes per business × month.
    """

    def __init__(
        self,
        terms: list[PeerTerm],
        min_n: int,
        as_of_m: int,
        same_arg: dict[str, str] | None = None,
    ) -> None:
        """``same_arg`` maps a term's ``arg_column`` to the column it reads, so that terms
        with the same argument read and sort it once."""
        self.terms = terms
        self.min_n = min_n
        self.as_of_m = as_of_m
        same = same_arg or {}
        self.arg_of = {t.arg_column: same.get(t.arg_column, t.arg_column) for t in terms}
        self.chunks: list[PeerInput] = []
        self._groups: dict[str, int] = {}
        self._row: dict[str, np.ndarray] = {}  # percentile per row, all chunks
        self._per_code: dict[str, np.ndarray] = {}  # quantile per code
        self._enough: dict[str, np.ndarray] = {}  # per code: at least min_n values (per arg)
        self._starts: np.ndarray = np.zeros(1, dtype=np.int64)

    def add(self, t: pa.Table) -> None:
        b = t.column("business_id").to_numpy()
        m = t.column("m").to_numpy().astype(np.int64)
        back = self.as_of_m - m
        if len(back) and (back.min() < 0 or back.max() >= _MONTHS):
            raise ValueError("peer statistics: a month outside the 170 years before the as-of")
        enc = pc.dictionary_encode(t.column("peer_group").combine_chunks())
        ids = np.array(
            [self._groups.setdefault(g, len(self._groups)) for g in enc.dictionary.to_pylist()]
            or [0],
            dtype=np.int64,
        )
        code = ids[enc.indices.to_numpy(zero_copy_only=False)] * _MONTHS + back
        args = {}
        for term in self.terms:
            key = self.arg_of[term.arg_column]
            if key not in args:
                args[key] = _numpy(t.column(term.arg_column))
        self.chunks.append(PeerInput(t.num_rows, checksum(b, m), code.astype(np.int32), args))

    def compute(self) -> None:
        """Every term over the whole portfolio.

        A peer group × month never spans two months, so the sorts run month by month (a
        loop over months, not businesses): the temporaries stay a month's size. The distinct
        arguments run side by side in the thread pool.
        """
        self._starts = np.concatenate(([0], np.cumsum([c.n for c in self.chunks])))
        code = (
            np.concatenate([c.code for c in self.chunks]) if self.chunks else np.zeros(0, np.int32)
        )
        n_codes = max(len(self._groups), 1) * _MONTHS
        back = (code % _MONTHS).astype(np.uint16)
        by_month = np.argsort(back, kind="stable").astype(np.int32)  # a radix sort
        cuts = np.flatnonzero(np.diff(back[by_month])) + 1
        months = np.split(by_month, cuts) if len(by_month) else []
        del back, by_month
        by_arg: dict[str, list[PeerTerm]] = {}
        for term in self.terms:
            by_arg.setdefault(self.arg_of[term.arg_column], []).append(term)

        def one(arg: str) -> None:
            terms = by_arg[arg]
            x = np.concatenate([c.args[arg][0] for c in self.chunks]).astype(np.float64)
            valid = np.concatenate([c.args[arg][1] for c in self.chunks])
            for c in self.chunks:  # only the validity is needed from here on
                c.args[arg] = (c.args[arg][0][:0], c.args[arg][1])
            enough = np.zeros(n_codes, dtype=bool)
            rows = {t.column: np.zeros(len(x)) for t in terms if t.fn == "peer_percentile"}
            codes = {t.column: np.zeros(n_codes) for t in terms if t.fn != "peer_percentile"}
            for idx in months:
                ok, per_term = _stats(code[idx], x[idx], valid[idx], terms, self.min_n, n_codes)
                enough |= ok
                for term, res in zip(terms, per_term, strict=True):
                    if term.fn == "peer_percentile":
                        rows[term.column][idx] = res
                    else:
                        codes[term.column] += res  # codes of other months are zero here
            del x
            self._enough[arg] = enough
            self._row.update(rows)
            self._per_code.update(codes)

        list(_pool().map(one, list(by_arg)))

    def release(self) -> None:
        """Drop everything (after the main pass)."""
        self.chunks.clear()
        self._row.clear()
        self._per_code.clear()
        self._enough.clear()

    def chunk(self, k: int) -> dict[str, pa.Array]:
        """The peer values of chunk k, in its row order."""
        c = self.chunks[k]
        lo, hi = int(self._starts[k]), int(self._starts[k + 1])
        out = {}
        for term in self.terms:
            arg = self.arg_of[term.arg_column]
            ok = c.args[arg][1] & self._enough[arg][c.code]
            if term.fn == "peer_percentile":
                vals = self._row[term.column][lo:hi]
            else:
                vals = self._per_code[term.column][c.code]
            out[term.column] = _arrow(np.where(ok, vals, 0.0), ok)
        return out


def _stats(
    code: np.ndarray,
    x: np.ndarray,
    valid: np.ndarray,
    terms: list[PeerTerm],
    min_n: int,
    n_codes: int,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """(per code: at least ``min_n`` values; per term: percentile per row or quantile per code)."""
    rows = np.flatnonzero(valid)
    g = code[rows]
    order = np.argsort(x[rows])  # ties in any order: only their values matter
    # then by code, keeping the value order: two stable 16-bit radix passes (code < 2**31)
    order = order[np.argsort((g[order] & 0xFFFF).astype(np.uint16), kind="stable")]
    order = order[np.argsort((g[order] >> 16).astype(np.uint16), kind="stable")]
    sg, sv = g[order], x[rows[order]]
    n = len(sg)
    counts_by_code = np.bincount(sg, minlength=n_codes)
    enough = counts_by_code >= min_n
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = sg[1:] != sg[:-1]
    starts = np.flatnonzero(new_group)
    counts = np.diff(np.append(starts, n))
    results: list[np.ndarray] = []
    for term in terms:
        if term.fn == "peer_percentile":
            group_start = np.repeat(starts, counts)
            new_value = new_group.copy()
            new_value[1:] |= sv[1:] != sv[:-1]
            run_start = np.maximum.accumulate(np.where(new_value, np.arange(n), 0)) if n else sg
            rank = run_start - group_start + 1
            count = np.repeat(counts, counts)
            with np.errstate(divide="ignore", invalid="ignore"):
                pct = 100.0 * ((rank - 1).astype(np.float64) / (count - 1))
            row = np.zeros(len(x))
            row[rows[order]] = pct
            results.append(row)
        else:
            q = 0.5 if term.q is None else float(term.q)
            pos = (counts - 1) * q
            lo_i = np.floor(pos).astype(np.int64)
            hi_i = np.ceil(pos).astype(np.int64)
            lo, hi = sv[starts + lo_i], sv[starts + hi_i]
            per_group = lo.copy()
            for j in np.flatnonzero(lo_i != hi_i):  # one step per peer group × month
                per_group[j] = _interpolate(float(lo[j]), float(pos[j] - lo_i[j]), float(hi[j]))
            per_code = np.zeros(n_codes)
            per_code[sg[starts]] = per_group
            results.append(per_code)
    return enough, results


def _interpolate(lo: float, d: float, hi: float) -> float:
    """``lo × (1 − d) + hi × d`` as DuckDB's QUANTILE_CONT computes it for DOUBLE.

    Its wheels compile the expression with a fused multiply-add: ``hi × d`` and ``1 − d``
    are rounded, then ``lo × (1 − d) + (hi × d)`` is rounded once. Python 3.11 has no
    ``math.fma``, so the single rounding is done exactly with fractions.
    """
    return float(Fraction(lo) * Fraction(1.0 - d) + Fraction(hi * d))


def percentiles(t: pa.Table, columns: list[str], names: list[str], min_n: int) -> pa.Table:
    """Each row's percentile within its peer group × month, per column (``names`` in order).

    ``t`` has ``business_id``, ``m``, ``peer_group`` and the columns. The rule of
    :func:`~.summary.percentiles_sql` (and of ``peer_percentile``), on arrays: one sort per
    column, in the thread pool.
    """
    m = t.column("m").to_numpy().astype(np.int64)
    enc = pc.dictionary_encode(t.column("peer_group").combine_chunks())
    months = (m - (m.min() if len(m) else 0)).astype(np.int64)
    code = (
        enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        * (int(months.max(initial=0)) + 1)
        + months
    )
    n_codes = int(code.max(initial=0)) + 1
    term = [PeerTerm("p", "x", "peer_percentile", None, Name(0, 0, "x"))]

    def one(col: str) -> pa.Array:
        x, valid = _numpy(t.column(col))
        enough, (pct,) = _stats(code, x.astype(np.float64), valid, term, min_n, n_codes)
        ok = valid & enough[code]
        return _arrow(np.where(ok, pct, 0.0), ok)

    out = {"business_id": t.column("business_id"), "m": t.column("m")}
    for name, arr in zip(names, _pool().map(one, columns), strict=True):
        out[name] = arr
    return pa.table(out)
