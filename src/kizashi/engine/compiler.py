"""Compile indicator formulas and rule conditions to one SQL query over the monthly panel.

Expressions become columns of a chain of CTEs ``s0 → w1 → s1 → w2 → s2 …``: ``s0`` is the
prepared panel (one row per business × month, gaps filled with empty rows so every business's
months are consecutive); ``wL`` adds window columns (lags, rolling sums, streaks — all over
``PARTITION BY business_id ORDER BY m``) computed from columns of ``s(L-1)``; ``sL`` adds plain
row-wise expressions. Each expression sits at the lowest level its inputs allow, so the whole
default pack needs only a few sorted passes, and nothing is evaluated business by business.

Peer functions (``peer_percentile`` …) need the whole portfolio; they are computed in a first
pass (:meth:`Compiler.peer_args`) and joined into ``s0`` of the main pass as ``_peer_k`` columns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from kizashi.domain.chart import Chart

from .dialect import DUCKDB, Dialect
from .expr import BinOp, Call, Const, ExprError, Name, Node, Num, Unary, canonical, walk
from .indicators import PANEL_NAMES, Indicator, locaben_score_id
from .locaben import Thresholds, score_sql

WINDOW = "w"
STREAK_CAP = 36
PEER_FUNCTIONS = ("peer_percentile", "peer_median", "peer_quantile")


@dataclass
class _Stage:
    windows: dict[str, str] = field(default_factory=dict)
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
    ) -> None:
        self.chart = chart
        self.indicators = {i.id: i for i in indicators}
        self.thresholds = thresholds
        self.params = dict(params or {})
        self.d = dialect
        self.peer_min_n = peer_min_n
        self.base_items: dict[str, dict[str, int]] = {}  # spine column -> signed chart leaves
        self.peers: dict[str, PeerTerm] = {}
        self._stages: list[_Stage] = [_Stage()]
        self._memo: dict[str, tuple[str, int]] = {}
        self._n = 0
        self._panel = {n for n, *_ in PANEL_NAMES}

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
        self, make: Callable[[str], str], arg: tuple[str, int], name: str | None = None
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
        """Peer values per business × month from the first pass's ``_parg_k`` columns."""
        cols = []
        for p in self.peers.values():
            part = f"peer_group, m, ({p.arg_column} IS NULL)"
            enough = f"COUNT({p.arg_column}) OVER (PARTITION BY {part}) >= {self.peer_min_n}"
            if p.fn == "peer_percentile":
                val = f"100.0 * PERCENT_RANK() OVER (PARTITION BY {part} ORDER BY {p.arg_column})"
            else:
                val = self.d.peer_quantile(p.arg_column, 0.5 if p.q is None else p.q, part)
            cols.append(
                f"CASE WHEN {p.arg_column} IS NOT NULL AND {enough} THEN {val} END AS {p.column}"
            )
        return f"SELECT business_id, m, {', '.join(cols)} FROM {source}"

    def sql(self, spine: str, outputs: list[str], where: str | None = None) -> str:
        """The whole query: CTE chain over ``spine`` (a SELECT), selecting ``outputs``."""
        ctes = [f"s0 AS (SELECT *{_cols(self._stages[0].scalars)} FROM ({spine}) AS spine)"]
        for level in range(1, len(self._stages)):
            st = self._stages[level]
            ctes.append(
                f"w{level} AS (SELECT *{_cols(st.windows)} FROM s{level - 1} "
                f"WINDOW {WINDOW} AS (PARTITION BY business_id ORDER BY m))"
            )
            ctes.append(f"s{level} AS (SELECT *{_cols(st.scalars)} FROM w{level})")
        last = f"s{len(self._stages) - 1}"
        body = f"SELECT {', '.join(outputs)} FROM {last}" + (f" WHERE {where}" if where else "")
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
            return self._lag(self.column(args[0]), months)
        if fn == "change":
            x, lx = self.inline(args[0])
            lag, ll = self._lag(self.column(args[0]), months)
            return f"({x} - {lag})", max(lx, ll)
        if fn == "pct_change":
            x, lx = self.inline(args[0])
            lag, ll = self._lag(self.column(args[0]), months)
            return f"({d.div(f'({x} - {lag})', f'ABS({lag})')} * 100)", max(lx, ll)
        if fn in ("rolling_sum", "rolling_mean", "ttm"):
            n = 12 if fn == "ttm" else months
            agg = "AVG" if fn == "rolling_mean" else "SUM"
            frame = f"({WINDOW} ROWS BETWEEN {n - 1} PRECEDING AND CURRENT ROW)"
            arg = self.column(args[0])
            if arg[1] == 0 and arg[0] in self.base_items:
                # chart items are NULL exactly on months without data: one shared count per n
                ok, _ = self._window(f"SUM(CASE WHEN has_data THEN 1 ELSE 0 END) OVER {frame}", 1)
                raw, _ = self.add_window(lambda c: f"{agg}({c}) OVER {frame}", arg)
                return f"(CASE WHEN {ok} = {n} THEN {raw} END)", 1
            return self.add_window(
                lambda c: (
                    f"CASE WHEN COUNT({c}) OVER {frame} = {n} THEN {agg}({c}) OVER {frame} END"
                ),
                arg,
            )
        if fn == "rolling_max":
            frame = f"({WINDOW} ROWS BETWEEN {months - 1} PRECEDING AND CURRENT ROW)"
            return self.add_window(lambda c: f"MAX({c}) OVER {frame}", self.column(args[0]))
        if fn == "ytd":
            return self._ytd(self.column(args[0]))
        if fn == "streak":
            frame = f"({WINDOW} ROWS BETWEEN {STREAK_CAP - 1} PRECEDING AND CURRENT ROW)"
            return self.add_window(
                lambda c: (
                    f"(m - COALESCE(MAX(CASE WHEN {c} IS NOT TRUE THEN m END) OVER {frame}, "
                    f"GREATEST(first_m, m - {STREAK_CAP - 1}) - 1))"
                ),
                self.column(args[0]),
            )
        if fn == "months_since":
            frame = f"({WINDOW} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"
            return self.add_window(
                lambda c: f"(m - MAX(CASE WHEN {c} THEN m END) OVER {frame})", self.column(args[0])
            )
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
        return self.add_window(lambda c: f"LAG({c}, {months}) OVER {WINDOW}", arg)

    def _ytd(self, arg: tuple[str, int]) -> tuple[str, int]:
        frame = f"({WINDOW} ROWS BETWEEN fy_pos PRECEDING AND CURRENT ROW)"
        if arg[1] == 0 and arg[0] in self.base_items:
            ok, _ = self._window(f"SUM(CASE WHEN has_data THEN 1 ELSE 0 END) OVER {frame}", 1)
            raw, _ = self.add_window(lambda c: f"SUM({c}) OVER {frame}", arg)
            return f"(CASE WHEN {ok} = fy_pos + 1 THEN {raw} END)", 1
        return self.add_window(
            lambda c: (
                f"CASE WHEN COUNT({c}) OVER {frame} = fy_pos + 1 THEN SUM({c}) OVER {frame} END"
            ),
            arg,
        )

    def _score(self, iid: str) -> tuple[str, int]:
        six = sorted(
            (i for i in self.indicators.values() if i.locaben), key=lambda i: i.locaben or 0
        )
        if iid == "locaben_total":
            cols = [self.indicator(locaben_score_id(i.id)) for i in six]
            level = max(lv for _, lv in cols)
            names = [c for c, _ in cols]
            allnn = " AND ".join(f"{c} IS NOT NULL" for c in names)
            return f"(CASE WHEN {allnn} THEN {' + '.join(names)} END)", level
        ind = next(i for i in six if locaben_score_id(i.id) == iid)
        col, level = self.indicator(ind.id)
        return score_sql(col, ind.id, ind.better, self.thresholds, self.d), level

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

    def _window(self, sql: str, level: int, name: str | None = None) -> tuple[str, int]:
        key = f"window:{sql}"
        if key in self._memo and name is None:
            return self._memo[key]
        name = name or self._fresh()
        self._ensure(level).windows[name] = sql
        self._memo[key] = (name, level)
        return name, level


def _cols(d: dict[str, str]) -> str:
    return "".join(f", {sql} AS {name}" for name, sql in d.items())


def _is_identifier(s: str) -> bool:
    return s.replace("_", "a").isalnum() and not s[0].isdigit()
