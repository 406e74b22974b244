"""Compile indicator formulas and rule conditions to one SQL query over the monthly panel.

Expressions become columns of a chain of CTEs ``s0 → w1 → s1 → w2 → s2 …``: ``s0`` is the
prepared panel (one row per business × month, gaps filled with empty rows so every business's
months are consecutive); ``wL`` adds window columns (lags, rolling sums, streaks — all over
``PARTITION BY business_id ORDER BY m``) computed from columns of ``s(L-1)``; ``sL`` adds plain
row-wise expressions. Each expression sits at the lowest level its inputs allow, so the whole
default pack needs only a few sorted passes, and nothing is evaluated business by business.

Each window is a :class:`Win` (one function over one column and a ROWS frame). The chain is
portable SQL (:meth:`Compiler.sql`); the DuckDB engine runs the same stages with the windows
computed on sorted arrays instead (:mod:`kizashi.engine.exec.vector`), since the spine is dense.

Peer functions (``peer_percentile`` …) need the whole portfolio; they are computed in a first
pass (:meth:`Compiler.peer_args`) and joined into ``s0`` of the main pass as ``_peer_k`` columns.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from kizashi.domain.chart import Chart

from ..spec.expr import BinOp, Call, Const, ExprError, Name, Node, Num, Unary, canonical, walk
from ..spec.indicators import PANEL_NAMES, Indicator
from ..spec.locaben import Thresholds
from .dialect import DUCKDB, Dialect
from .locaben_sql import score_sql

WINDOW = "w"
STREAK_CAP = 36
PEER_FUNCTIONS = ("peer_percentile", "peer_median", "peer_quantile")


@dataclass(frozen=True)
class Win:
    """One window function over ``PARTITION BY business_id ORDER BY m``.

    ``fn`` is SUM, COUNT, MIN, MAX, AVG or LAG, over ``arg``, a plain column of the level
    below. The frame is the rows from ``start`` back to ``end`` back (``end`` 0 = the current
    row); ``start`` ``None`` = UNBOUNDED PRECEDING, and ``start_col`` adds a per-row column to
    ``start`` (the year-to-date frames, ``fy_pos PRECEDING``). LAG's offset is ``end``.
    A window never holds expressions: whatever is computed from its result, or for its
    argument, is a scalar column, so the same specification runs as SQL
    (:meth:`sql`) and on dense sorted arrays (:mod:`kizashi.engine.exec.vector`).
    """

    fn: str
    arg: str
    end: int = 0
    start: int | None = 0
    start_col: str | None = None

    def sql(self) -> str:
        if self.fn == "LAG":
            return f"LAG({self.arg}, {self.end}) OVER {WINDOW}"
        if self.start is None:
            pre = "UNBOUNDED"
        elif self.start_col is not None:
            pre = self.start_col if self.start == 0 else f"({self.start_col} + {self.start})"
        else:
            pre = str(self.start)
        end = "CURRENT ROW" if self.end == 0 else f"{self.end} PRECEDING"
        return f"{self.fn}({self.arg}) OVER ({WINDOW} ROWS BETWEEN {pre} PRECEDING AND {end})"


@dataclass
class _Stage:
    windows: dict[str, Win] = field(default_factory=dict)
    scalars: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PeerTerm:
    column: str  # _peer_k in the main pass
    arg_column: str  # _parg_k in the first pass
    fn: str
    q: float | None
    arg: Node


class Compiler:
    def __init__(
        self,
        chart: Chart,
        indicators: tuple[Indicator, ...],
        thresholds: Thresholds,
        params: Mapping[str, float] | None = None,
        dialect: Dialect = DUCKDB,
        peer_min_n: int = 5,
        fold_lags: bool = False,
    ) -> None:
        self.chart = chart
        self.indicators = {i.id: i for i in indicators}
        self.thresholds = thresholds
        self.params = dict(params or {})
        self.d = dialect
        self.peer_min_n = peer_min_n
        # Fold lag(x, k) of first-pass expressions into shifted frames of the first pass.
        # Exact, and it saves levels, but each shifted frame is one more window over the
        # first level's columns; that costs more than it saves on the default pack
        # (docs/performance.md), so it is off.
        self.fold_lags = fold_lags
        self.base_items: dict[str, dict[str, int]] = {}  # spine column -> signed chart leaves
        self.peers: dict[str, PeerTerm] = {}
        self._stages: list[_Stage] = [_Stage()]
        self._memo: dict[str, tuple[str, int]] = {}
        self._n = 0
        self._panel = {n for n, *_ in PANEL_NAMES}
        self.fy_lags: set[int] = set()  # k: the spine carries fy_pos of the row k months back

    # ------------------------------------------------------------------ public
    def column(self, node: Node) -> tuple[str, int]:
        """Materialise ``node`` as a named column; returns (column, level)."""
        if isinstance(node, Name) and node.name in self.indicators:
            return self.indicator(node.name)
        key = canonical(node)
        if key in self._memo:
            return self._memo[key]
        sql, level = self.inline(node)
        if _is_identifier(sql):
            self._memo[key] = (sql, level)
        else:
            self._memo[key] = (self._scalar(sql, level), level)
        return self._memo[key]

    def indicator(self, iid: str) -> tuple[str, int]:
        key = f"indicator:{iid}"
        if key in self._memo:
            return self._memo[key]
        ind = self.indicators[iid]
        if ind.group == "score":
            sql, level = self._score(iid)
        else:
            assert ind.node is not None
            sql, level = self.inline(ind.node)
        self._memo[key] = (self._scalar(sql, level, name=iid), level)
        return self._memo[key]

    def add_window(
        self, make: Callable[[str], Win], arg: tuple[str, int], name: str | None = None
    ) -> tuple[str, int]:
        """A window column over an existing column ``arg``; placed one level above it."""
        col, level = arg
        return self._window(make(col), level + 1, name)

    def add_scalar(self, sql: str, level: int, name: str | None = None) -> tuple[str, int]:
        return self._scalar(sql, level, name), level

    @property
    def levels(self) -> int:
        return len(self._stages) - 1

    def peer_args(self, nodes: list[Node]) -> None:
        """Register every peer function used in ``nodes`` (called before compiling them)."""
        for root in nodes:
            for node in walk(root):
                if isinstance(node, Call) and node.fn in PEER_FUNCTIONS:
                    key = canonical(node)
                    if key not in self.peers:
                        k = len(self.peers)
                        q = node.args[1].value if node.fn == "peer_quantile" else None  # type: ignore[attr-defined]
                        self.peers[key] = PeerTerm(
                            f"_peer_{k}", f"_parg_{k}", node.fn, q, node.args[0]
                        )
                    for inner in walk(node.args[0]):
                        if isinstance(inner, Call) and inner.fn in PEER_FUNCTIONS:
                            raise ExprError(
                                "peer functions cannot be nested", inner.line, inner.col
                            )

    def peer_stats_sql(self, source: str) -> str:
        """Peer values per business × month from the first pass's ``_parg_k`` columns.

        Counts and quantiles are plain ``GROUP BY peer_group, m`` aggregates (a few thousand
        groups) joined back; only a percentile needs a sorted window (:func:`percentile_sql`,
        with the group's count of computable values). One sort per percentile term instead of
        one per term and partition.
        """
        aggs, cols = [], []
        for k, p in enumerate(self.peers.values()):
            x, n = p.arg_column, f"g._n{k}"
            aggs.append(f"COUNT({x}) AS _n{k}")
            if p.fn == "peer_percentile":
                val = percentile_sql(f"s.{x}", "s.peer_group, s.m", n, self.peer_min_n, self.d)
            else:
                aggs.append(f"{self.d.quantile(x, 0.5 if p.q is None else p.q)} AS _q{k}")
                val = f"CASE WHEN s.{x} IS NOT NULL AND {n} >= {self.peer_min_n} THEN g._q{k} END"
            cols.append(f"{val} AS {p.column}")
        return (
            f"WITH g AS (SELECT peer_group, m, {', '.join(aggs)} FROM {source} GROUP BY 1, 2) "
            f"SELECT s.business_id, s.m, {', '.join(cols)} FROM {source} AS s "
            "LEFT JOIN g ON g.peer_group = s.peer_group AND g.m = s.m"
        )

    def sql(
        self,
        spine: str,
        outputs: list[str],
        where: str | None = None,
        spine_columns: list[str] | None = None,
    ) -> str:
        """The whole query: CTE chain over ``spine`` (a SELECT), selecting ``outputs``.

        With ``spine_columns`` (the spine's column names), every window stage carries only the
        columns a later stage or the outputs still use: DuckDB's sorted window operator costs
        in proportion to the columns it carries, not to the window expressions it computes.
        """
        n = len(self._stages)
        ctes = [f"s0 AS (SELECT *{_cols(self._stages[0].scalars)} FROM ({spine}) AS spine)"]
        live = _live_columns(self._stages, spine_columns, [*outputs, where or ""])
        for level in range(1, n):
            st = self._stages[level]
            carried = "*" if live is None else ", ".join(live[level - 1]) or "business_id"
            ctes.append(
                f"w{level} AS (SELECT {carried}{_wins(st.windows)} FROM s{level - 1} "
                f"WINDOW {WINDOW} AS (PARTITION BY business_id ORDER BY m))"
            )
            ctes.append(f"s{level} AS (SELECT *{_cols(st.scalars)} FROM w{level})")
        body = f"SELECT {', '.join(outputs)} FROM s{n - 1}" + (f" WHERE {where}" if where else "")
        return "WITH " + ",\n".join(ctes) + "\n" + body

    # ------------------------------------------------------------------ expressions
    def inline(self, node: Node) -> tuple[str, int]:
        d = self.d
        if isinstance(node, Num):
            return d.literal(node.value), 0
        if isinstance(node, Const):
            return d.literal(node.value), 0
        if isinstance(node, Name):
            return self._name(node)
        if isinstance(node, Unary):
            s, lv = self.inline(node.operand)
            return (f"(NOT {s})" if node.op == "not" else f"(-{s})"), lv
        if isinstance(node, BinOp):
            (a, la), (b, lb) = self.inline(node.left), self.inline(node.right)
            level = max(la, lb)
            if node.op == "/":
                return d.div(a, b), level
            op = {"and": "AND", "or": "OR"}.get(node.op, node.op)
            return f"({a} {op} {b})", level
        if isinstance(node, Call):
            return self._call(node)
        raise ExprError("unsupported expression", node.line, node.col)

    def _name(self, node: Name) -> tuple[str, int]:
        n = node.name
        if n in self.params:
            return self.d.literal(self.params[n]), 0
        if n in self.indicators:
            return self.indicator(n)
        if n in self._panel:
            return n, 0
        if n in self.chart:
            terms = self.chart.leaf_terms(n)
            item = self.chart[n]
            pl = {k: v for k, v in terms.items() if self.chart[k].statement == "PL"}
            if item.statement == "BS" and pl:
                # e.g. net_assets = shareholders_equity + fiscal-year-to-date net income
                bs = {k: v for k, v in terms.items() if k not in pl}
                self.base_items[f"{n}__bs"] = bs
                self.base_items[f"{n}__pl"] = pl
                ytd, lv = self._ytd((f"{n}__pl", 0))
                return f"({n}__bs + {ytd})", lv
            self.base_items[n] = terms
            return n, 0
        raise ExprError(f"unknown name {n!r}", node.line, node.col)

    def _call(self, node: Call) -> tuple[str, int]:
        fn, args, d = node.fn, node.args, self.d
        months = int(args[1].value) if len(args) > 1 and isinstance(args[1], Num) else 0
        if fn in PEER_FUNCTIONS:
            term = self.peers.get(canonical(node))
            if term is None:
                raise ExprError(f"{fn}() is not available here", node.line, node.col)
            return term.column, 0
        if fn == "lag":
            return self._lagged(args[0], months)
        if fn == "change":
            x, lx = self.inline(args[0])
            lag, ll = self._lagged(args[0], months)
            return f"({x} - {lag})", max(lx, ll)
        if fn == "pct_change":
            x, lx = self.inline(args[0])
            lag, ll = self._lagged(args[0], months)
            return f"({d.div(f'({x} - {lag})', f'ABS({lag})')} * 100)", max(lx, ll)
        if fn in ("rolling_sum", "rolling_mean", "ttm"):
            n = 12 if fn == "ttm" else months
            arg = self.column(args[0])
            if arg[1] == 0 and arg[0] in self.base_items:
                # chart items are NULL exactly on months without data: one shared check per n
                ok = self._complete(arg[0], n, 0)
                raw, _ = self.add_window(lambda c: Win("SUM", c, 0, n - 1), arg)
                mean = f" / {n}" if fn == "rolling_mean" else ""
                return f"(CASE WHEN {ok} THEN {raw}{mean} END)", 1
            agg = "AVG" if fn == "rolling_mean" else "SUM"
            cnt, level = self.add_window(lambda c: Win("COUNT", c, 0, n - 1), arg)
            val, _ = self.add_window(lambda c: Win(agg, c, 0, n - 1), arg)
            return f"(CASE WHEN {cnt} = {n} THEN {val} END)", level
        if fn == "rolling_max":
            return self.add_window(lambda c: Win("MAX", c, 0, months - 1), self.column(args[0]))
        if fn == "ytd":
            return self._ytd(self.column(args[0]))
        if fn == "plan_to_date":
            return self._plan_to_date(self.column(args[0]))
        if fn == "streak":
            c, lc = self.column(args[0])
            last, level = self.add_window(
                lambda a: Win("MAX", a, 0, STREAK_CAP - 1),
                self._arg(f"(CASE WHEN {c} IS NOT TRUE THEN m END)", lc),
            )
            return f"(m - COALESCE({last}, GREATEST(first_m, m - {STREAK_CAP - 1}) - 1))", level
        if fn == "months_since":
            c, lc = self.column(args[0])
            last, level = self.add_window(
                lambda a: Win("MAX", a, 0, None), self._arg(f"(CASE WHEN {c} THEN m END)", lc)
            )
            return f"(m - {last})", level
        parts = [self.inline(a) for a in args]
        sqls = [p[0] for p in parts]
        level = max(p[1] for p in parts)
        if fn == "is_null":
            return f"({sqls[0]} IS NULL)", level
        if fn == "coalesce":
            return f"COALESCE({sqls[0]}, {sqls[1]})", level
        if fn == "if":
            return f"(CASE WHEN {sqls[0]} THEN {sqls[1]} ELSE {sqls[2]} END)", level
        if fn == "abs":
            return f"ABS({sqls[0]})", level
        if fn in ("min", "max"):
            a, b = sqls
            op = "<=" if fn == "min" else ">="
            return (
                f"(CASE WHEN {a} {op} {b} THEN {a} WHEN {b} IS NOT NULL AND {a} IS NOT NULL THEN {b} END)",
                level,
            )
        raise ExprError(f"unknown function {fn!r}", node.line, node.col)

    def _lag(self, arg: tuple[str, int], months: int) -> tuple[str, int]:
        return self.add_window(lambda c: Win("LAG", c, months), arg)

    def _ytd(self, arg: tuple[str, int]) -> tuple[str, int]:
        if arg[1] == 0 and arg[0] in self.base_items:
            ok, _ = self._window(Win("SUM", "span", 0, 0, "fy_pos"), 1)
            raw, _ = self.add_window(lambda c: Win("SUM", c, 0, 0, "fy_pos"), arg)
            return f"(CASE WHEN {ok} = fy_pos + 1 THEN {raw} END)", 1
        cnt, level = self.add_window(lambda c: Win("COUNT", c, 0, 0, "fy_pos"), arg)
        val, _ = self.add_window(lambda c: Win("SUM", c, 0, 0, "fy_pos"), arg)
        return f"(CASE WHEN {cnt} = fy_pos + 1 THEN {val} END)", level

    def _plan_to_date(self, arg: tuple[str, int]) -> tuple[str, int]:
        """The sum from the plan's first month (``plan_pos`` rows back; NULL outside a plan):
        computable when the frame covers every month, as ``ytd``."""
        if arg[1] == 0 and arg[0] in self.base_items:
            ok, _ = self._window(Win("SUM", "span", 0, 0, "plan_frame"), 1)
            raw, _ = self.add_window(lambda c: Win("SUM", c, 0, 0, "plan_frame"), arg)
            return f"(CASE WHEN plan_pos IS NOT NULL AND {ok} = plan_pos + 1 THEN {raw} END)", 1
        cnt, level = self.add_window(lambda c: Win("COUNT", c, 0, 0, "plan_frame"), arg)
        val, _ = self.add_window(lambda c: Win("SUM", c, 0, 0, "plan_frame"), arg)
        return f"(CASE WHEN plan_pos IS NOT NULL AND {cnt} = plan_pos + 1 THEN {val} END)", level

    def _score(self, iid: str) -> tuple[str, int]:
        score = self.indicators[iid]
        if score.sum_of:
            cols = [self.indicator(s) for s in score.sum_of]
            level = max(lv for _, lv in cols)
            names = [c for c, _ in cols]
            allnn = " AND ".join(f"{c} IS NOT NULL" for c in names)
            return f"(CASE WHEN {allnn} THEN {' + '.join(names)} END)", level
        assert score.score_of is not None, iid
        ind = self.indicators[score.score_of]
        col, level = self.indicator(ind.id)
        sql = score_sql(col, ind.id, ind.better, self.thresholds, self.d)
        if ind.score_if_null_node is not None:  # the declared score where the value is null
            fallback, lv = self.column(ind.score_if_null_node)
            sql, level = f"COALESCE({sql}, {fallback})", max(level, lv)
        return sql, level

    # ------------------------------------------------------------------ lags folded into pass 1
    def _lagged(self, node: Node, k: int) -> tuple[str, int]:
        """``lag(node, k)``. When ``node`` needs only first-pass windows, its value k rows back
        is computed in that same pass from shifted inputs (``LAG(x, k)``, frames ending
        ``k PRECEDING``) instead of a ``LAG`` in a further sorted pass over a wide row."""
        key = f"lag:{k}:{canonical(node)}"
        if key in self._memo:
            return self._memo[key]
        try:
            if not self.fold_lags:
                raise _NotFoldable
            sql = self._sh(node, k)
        except _NotFoldable:
            return self._lag(self.column(node), k)
        # a bare LAG window column is NULL before the first row already
        out = (sql, 1) if _is_identifier(sql) else (self._scalar(self._guard(sql, k), 1), 1)
        self._memo[key] = out
        return out

    @staticmethod
    def _guard(sql: str, k: int) -> str:
        # the spine is dense: row k back exists iff its month is not before the first month
        return f"(CASE WHEN m - {k} >= first_m THEN {sql} END)"

    def _sh(self, node: Node, k: int) -> str:
        """SQL for ``node``'s value k rows back, using first-pass windows only."""
        d = self.d
        if isinstance(node, (Num, Const)):
            return d.literal(node.value)
        if isinstance(node, Name):
            return self._sh_name(node, k)
        if isinstance(node, Unary):
            s = self._sh(node.operand, k)
            return f"(NOT {s})" if node.op == "not" else f"(-{s})"
        if isinstance(node, BinOp):
            a, b = self._sh(node.left, k), self._sh(node.right, k)
            if node.op == "/":
                return d.div(a, b)
            return f"({a} {({'and': 'AND', 'or': 'OR'}).get(node.op, node.op)} {b})"
        if isinstance(node, Call):
            return self._sh_call(node, k)
        raise _NotFoldable

    def _sh_lag_col(self, col: str, k: int) -> str:
        return self._window(Win("LAG", col, k), 1)[0]

    def _sh_name(self, node: Name, k: int) -> str:
        n = node.name
        if n in self.params:
            return self.d.literal(self.params[n])
        if n in self.indicators:
            return self._sh_indicator(n, k)
        if n in _CONSTANT_PER_BUSINESS:
            return n
        if n == "m":
            return f"(m - {k})"
        if n in self._panel:
            return self._sh_lag_col(n, k)
        if n in self.chart:
            sql, level = self._name(node)
            if level == 0 and _is_identifier(sql):
                return self._sh_lag_col(sql, k)
            # a B/S item with a P/L part: balance k back + year-to-date sum k back
            return f"({self._sh_lag_col(f'{n}__bs', k)} + {self._sh_ytd(f'{n}__pl', k)})"
        raise _NotFoldable

    def _sh_indicator(self, iid: str, k: int) -> str:
        key = f"shifted:{k}:{iid}"
        if key in self._memo:
            return self._memo[key][0]
        ind = self.indicators[iid]
        if ind.sum_of:
            names = [self._sh_indicator(s, k) for s in ind.sum_of]
            allnn = " AND ".join(f"{c} IS NOT NULL" for c in names)
            sql = f"(CASE WHEN {allnn} THEN {' + '.join(names)} END)"
        elif ind.group == "score":
            assert ind.score_of is not None, iid
            six = self.indicators[ind.score_of]
            col = self._sh_indicator(six.id, k)
            sql = score_sql(col, six.id, six.better, self.thresholds, self.d)
            if six.score_if_null_node is not None:
                sql = f"COALESCE({sql}, {self._sh(six.score_if_null_node, k)})"
        else:
            assert ind.node is not None
            sql = self._sh(ind.node, k)
        self._memo[key] = (self._scalar(sql, 1), 1)
        return self._memo[key][0]

    def _sh_level0(self, node: Node) -> str:
        col, level = self.column(node)
        if level != 0:
            raise _NotFoldable
        return col

    def _sh_call(self, node: Call, k: int) -> str:
        fn, args, d = node.fn, node.args, self.d
        months = int(args[1].value) if len(args) > 1 and isinstance(args[1], Num) else 0
        if fn in PEER_FUNCTIONS:
            return self._sh_lag_col(self._call(node)[0], k)
        if fn == "lag":
            return self._guard(self._sh(args[0], k + months), k + months)
        if fn in ("change", "pct_change"):
            x = self._sh(args[0], k)
            lag = self._guard(self._sh(args[0], k + months), k + months)
            if fn == "change":
                return f"({x} - {lag})"
            return f"({d.div(f'({x} - {lag})', f'ABS({lag})')} * 100)"
        if fn in ("rolling_sum", "rolling_mean", "ttm"):
            n = 12 if fn == "ttm" else months
            agg = "AVG" if fn == "rolling_mean" else "SUM"
            c = self._sh_level0(args[0])
            if c in self.base_items:
                ok = self._complete(c, n, k)
                raw = self._window(Win("SUM", c, k, n - 1 + k), 1)[0]
                mean = f" / {n}" if fn == "rolling_mean" else ""
                return f"(CASE WHEN {ok} THEN {raw}{mean} END)"
            cnt = self._window(Win("COUNT", c, k, n - 1 + k), 1)[0]
            val = self._window(Win(agg, c, k, n - 1 + k), 1)[0]
            return f"(CASE WHEN {cnt} = {n} THEN {val} END)"
        if fn == "rolling_max":
            c = self._sh_level0(args[0])
            return self._window(Win("MAX", c, k, months - 1 + k), 1)[0]
        if fn == "ytd":
            return self._sh_ytd(self._sh_level0(args[0]), k)
        if fn == "streak":
            c = self._sh_level0(args[0])
            arg, _ = self._arg(f"(CASE WHEN {c} IS NOT TRUE THEN m END)", 0)
            last = self._window(Win("MAX", arg, k, STREAK_CAP - 1 + k), 1)[0]
            return (
                f"((m - {k}) - COALESCE({last}, GREATEST(first_m, m - {k} - {STREAK_CAP - 1}) - 1))"
            )
        if fn == "months_since":
            c = self._sh_level0(args[0])
            arg, _ = self._arg(f"(CASE WHEN {c} THEN m END)", 0)
            return f"((m - {k}) - {self._window(Win('MAX', arg, k, None), 1)[0]})"
        sqls = [self._sh(a, k) for a in args]
        if fn == "is_null":
            return f"({sqls[0]} IS NULL)"
        if fn == "coalesce":
            return f"COALESCE({sqls[0]}, {sqls[1]})"
        if fn == "if":
            return f"(CASE WHEN {sqls[0]} THEN {sqls[1]} ELSE {sqls[2]} END)"
        if fn == "abs":
            return f"ABS({sqls[0]})"
        if fn in ("min", "max"):
            a, b = sqls
            op = "<=" if fn == "min" else ">="
            return f"(CASE WHEN {a} {op} {b} THEN {a} WHEN {b} IS NOT NULL AND {a} IS NOT NULL THEN {b} END)"
        raise _NotFoldable

    def _sh_ytd(self, col: str, k: int) -> str:
        """Year-to-date sum k rows back: its frame starts at that row's own ``fy_pos``."""
        self.fy_lags.add(k)
        fy = f"fy_pos_lag{k}"
        if col in self.base_items:
            ok = self._window(Win("SUM", "span", k, k, fy), 1)[0]
            raw = self._window(Win("SUM", col, k, k, fy), 1)[0]
            return f"(CASE WHEN {ok} = {fy} + 1 THEN {raw} END)"
        cnt = self._window(Win("COUNT", col, k, k, fy), 1)[0]
        val = self._window(Win("SUM", col, k, k, fy), 1)[0]
        return f"(CASE WHEN {cnt} = {fy} + 1 THEN {val} END)"

    def _complete(self, item: str, n: int, k: int) -> str:
        """SQL: the n-month frame ending k rows back has data for every one of its months.

        A P/L item's row covers ``span`` months ending at its month (1 monthly, 12 for an
        annual statement, 0 for a gap): the frame is complete when its rows cover n months and
        none starts before the frame (an annual row in a 3-month frame, or a year-end row seen
        from a later month, covers months outside it). A balance is a point in time: the frame
        needs a row with data in each of its n months.
        """
        if all(self.chart[leaf].statement == "PL" for leaf in self.base_items[item]):
            covered = self._window(Win("SUM", "span", k, n - 1 + k), 1)[0]
            begins, _ = self._arg("(m - span)", 0)
            start = self._window(Win("MIN", begins, k, n - 1 + k), 1)[0]
            return f"({covered} = {n} AND {start} >= m - {k + n})"
        has, _ = self._arg("(CASE WHEN has_data THEN 1 ELSE 0 END)", 0)
        rows = self._window(Win("SUM", has, k, n - 1 + k), 1)[0]
        return f"({rows} = {n})"

    # ------------------------------------------------------------------ bookkeeping
    def _fresh(self) -> str:
        self._n += 1
        return f"_x{self._n}"

    def _ensure(self, level: int) -> _Stage:
        while len(self._stages) <= level:
            self._stages.append(_Stage())
        return self._stages[level]

    def _scalar(self, sql: str, level: int, name: str | None = None) -> str:
        name = name or self._fresh()
        self._ensure(level).scalars[name] = sql
        return name

    def _arg(self, sql: str, level: int) -> tuple[str, int]:
        """A scalar column for a window's argument (shared by equal expressions)."""
        key = f"arg:{level}:{sql}"
        if key not in self._memo:
            self._memo[key] = (self._scalar(sql, level), level)
        return self._memo[key]

    def _window(self, win: Win, level: int, name: str | None = None) -> tuple[str, int]:
        key = f"window:{win.sql()}"
        if key in self._memo and name is None:
            return self._memo[key]
        name = name or self._fresh()
        self._ensure(level).windows[name] = win
        self._memo[key] = (name, level)
        return name, level


def percentile_sql(value: str, partition: str, count: str, min_n: int, d: Dialect = DUCKDB) -> str:
    """The peer percentile rule, shared by ``peer_percentile()`` and the stored percentiles.

    ``100 × (rank − 1) / (n − 1)`` among the n computable values of the group (``count``, SQL):
    the share of the other peers whose value is strictly lower, ties sharing the lower rank —
    PERCENT_RANK over the computable values. NULLs rank last, so they never move a value's
    rank. NULL when ``value`` is NULL or fewer than ``min_n`` peers have a value.
    """
    rank = f"RANK() OVER (PARTITION BY {partition} ORDER BY {value} NULLS LAST)"
    return (
        f"CASE WHEN {value} IS NOT NULL AND {count} >= {min_n} "
        f"THEN 100.0 * (CAST({rank} - 1 AS {d.double}) / ({count} - 1)) END"
    )


class _NotFoldable(Exception):
    """``lag()`` of this expression needs a window over a window: it gets a pass of its own."""


# spine columns that are the same on every row of a business
_CONSTANT_PER_BUSINESS = frozenset({"major", "size_band", "peer_group", "first_m"})


def _cols(d: dict[str, str]) -> str:
    return "".join(f", {sql} AS {name}" for name, sql in d.items())


def _wins(d: dict[str, Win]) -> str:
    return "".join(f", {w.sql()} AS {name}" for name, w in d.items())


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _live_columns(
    stages: list[_Stage], spine_columns: list[str] | None, tail: list[str]
) -> list[list[str]] | None:
    """For each stage L, the columns of ``sL`` that stages above L or ``tail`` refer to."""
    if spine_columns is None:
        return None
    defined = [list(spine_columns) + list(stages[0].scalars)]
    for st in stages[1:]:
        defined.append(defined[-1] + list(st.windows) + list(st.scalars))
    used: set[str] = set(_IDENT.findall(" ".join(tail)))
    live: list[list[str]] = [[] for _ in stages]
    for level in range(len(stages) - 1, -1, -1):
        live[level] = [c for c in defined[level] if c in used]
        if level:
            st = stages[level]
            texts = [*(w.sql() for w in st.windows.values()), *st.scalars.values()]
            used |= set(_IDENT.findall(" ".join(texts)))
    return live


def _is_identifier(s: str) -> bool:
    return s.replace("_", "a").isalnum() and not s[0].isdigit()
