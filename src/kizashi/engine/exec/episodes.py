"""Flags as episodes, and carrying their workflow state over from earlier runs.

A rule's condition per business × month is true, false or null (not computable). A flag is an
*episode*: it opens at the first month the condition is true, stays open while it is true or
unknown, and closes at the first month it is false again (gaps-and-islands, computed with
window functions over the whole panel — no per-business loop). Unknown months never close a
flag, so a missing trial balance does not make a flag flicker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from kizashi.domain.vocabulary import FLAG_MOVES, OPEN_STATES, RUN_EVENTS

from ..spec.packs import Pack
from .compiler import Compiler
from .dialect import DUCKDB


@dataclass(frozen=True)
class FiringColumns:
    fired: list[str]  # per rule k: the condition's column (true / false / null)
    evidence: list[list[tuple[str, str]]]  # per rule k: (placeholder, column)

    def columns(self) -> list[str]:
        """Columns the first pass must output: ``f_k`` and every evidence column."""
        out = [f"{f} AS f_{k}" for k, f in enumerate(self.fired)]
        return out + list(dict.fromkeys(col for ev in self.evidence for _, col in ev))


def firing_columns(c: Compiler, pack: Pack) -> FiringColumns:
    """Per rule k: the fired column and its evidence columns, compiled with ``c``."""
    fired = [c.column(rule.condition_node)[0] for rule in pack.rules]
    evidence = [
        [(name, c.column(node)[0]) for name, node in rule.evidence_nodes.items()]
        for rule in pack.rules
    ]
    return FiringColumns(fired, evidence)


def mark_rows_sql(fire: FiringColumns, source: str) -> str:
    """One row per mark in ``source`` (rows with ``st_k`` / ``en_k``): the ``mk`` table's rows.

    ``k`` is the rule's position in the pack; the evidence is kept where a flag opens.
    """
    parts = [
        f"SELECT business_id, m, {k} AS k, st_{k} AS is_start, en_{k} AS is_end, "
        f"{_evidence(ev, f'st_{k}')} AS evidence FROM {source} WHERE st_{k} OR en_{k}"
        for k, ev in enumerate(fire.evidence)
    ]
    return " UNION ALL ".join(parts)


def _evidence(ev: list[tuple[str, str]], when: str) -> str:
    return f"CASE WHEN {when} THEN {DUCKDB.json_object(ev)} END" if ev else "NULL"


def firing_outputs(fire: FiringColumns) -> list[str]:
    """Per rule k: ``f_k``, ``st_k``, ``en_k`` and, where it fired, the evidence JSON ``ev_k``
    (for ``out``)."""
    outputs: list[str] = []
    for k, ev in enumerate(fire.evidence):
        outputs += [
            f"f_{k}",
            f"st_{k}",
            f"en_{k}",
            f"{_evidence(ev, f'f_{k}')} AS ev_{k}",
        ]
    return outputs


def _month(m: str) -> str:
    return DUCKDB.month_from_index(m)


def episodes_sql(
    pack: Pack, as_of_m: int, where_month: str, history: bool = False
) -> tuple[str, str]:
    """(episodes query, firings query) over the run's ``out`` and ``mk`` tables.

    The marks are ``mk``'s rows plus the marks of ``out``'s rows; an episode closes at its
    rule's next end mark. An open episode takes whether it fired, and its latest evidence,
    from the as-of month's row in ``out``.
    """
    lit = DUCKDB.literal
    rules = ", ".join(
        f"({k}, {lit(r.id)}, {lit(r.severity)}, {lit(r.category)})"
        for k, r in enumerate(pack.rules)
    )
    from_out = " ".join(
        f"UNION ALL SELECT business_id, m, {k}, st_{k}, en_{k}, ev_{k} FROM out "
        f"WHERE st_{k} OR en_{k}"
        for k in range(len(pack.rules))
    )
    fired = " ".join(f"WHEN {k} THEN a.f_{k}" for k in range(len(pack.rules)))
    latest = " ".join(f"WHEN {k} THEN a.ev_{k}" for k in range(len(pack.rules)))
    as_of_row = f" AND a.m = {as_of_m}" if history else ""
    case = "CASE s.k {} END"
    episodes = f"""
WITH e AS (SELECT business_id, m, k, is_start, is_end, evidence FROM mk {from_out}),
x AS (SELECT *, MIN(CASE WHEN is_end THEN m END) OVER (PARTITION BY business_id, k ORDER BY m
        ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS close_m FROM e),
r(k, rule_id, severity, category) AS (VALUES {rules})
SELECT s.business_id, r.rule_id, r.severity, r.category, {lit(pack.ref)} AS pack,
       {_month("s.m")} AS opened_month, {_month("s.close_m")} AS closed_month,
       s.close_m IS NULL AS is_open,
       CASE WHEN s.close_m IS NULL THEN {case.format(fired)} END AS fired_at_as_of,
       s.evidence AS evidence_opened,
       CASE WHEN s.close_m IS NULL AND {case.format(fired)} THEN {case.format(latest)}
            ELSE s.evidence END AS evidence_latest
FROM x AS s
JOIN r ON r.k = s.k
LEFT JOIN out AS a ON a.business_id = s.business_id AND s.close_m IS NULL{as_of_row}
WHERE s.is_start
"""
    meta = [
        f"{lit(r.id)} AS rule_id, {lit(r.severity)} AS severity, {lit(r.category)} AS category"
        for r in pack.rules
    ]
    firings = " UNION ALL ".join(
        f"SELECT business_id, month, {cols}, {lit(pack.ref)} AS pack, ev_{k} AS evidence "
        f"FROM out WHERE f_{k} AND {where_month}"
        for k, cols in enumerate(meta)
    )
    return episodes, f"SELECT * FROM ({firings}) ORDER BY business_id, month, rule_id"


def carry_over(
    previous: pa.Table | None,
    current: pa.Table,
    evaluated: pa.Array | None = None,
    as_of: date | None = None,
) -> pa.Table:
    """Merge this run's episodes with the stored flags' workflow states (a pure function).

    ``previous``: stored flags with business_id, rule_id, opened_month, state, state_reason and
    (optionally) is_open — without it a flag in an open state (新規, 確認済, 対応中) counts as open.
    ``current``: :attr:`RunResult.episodes`. ``evaluated``: the business ids this run
    evaluated; ``as_of``: its month. Returns ``current`` plus ``state``, ``state_reason`` and
    ``vanished``. States are :class:`~kizashi.domain.vocabulary.FlagState` values and every
    change is the run's move in :data:`~kizashi.domain.vocabulary.FLAG_MOVES` (event ``open``,
    ``closed`` or ``gone``): a new episode is 新規; an existing one keeps the state a person gave
    it; when the condition clears an open-state flag becomes 解消; 対応不要 stays 対応不要 with
    its reason; a 解消 flag whose episode is open again (its history was corrected) is 新規 again.

    A stored open flag this run did not see comes back too. If its business was evaluated, the
    episode no longer exists — the history it was computed from was corrected (a re-import
    superseded the statements), so the condition never opened in that month — and it comes back
    closed (``vanished``, ``is_open`` false; 解消 unless 対応不要), so that the episode the
    corrected history does have is the only open flag of that business × rule. A flag opened
    after ``as_of`` (a run for an earlier month) is closed so only when this run has an open
    episode of the same business × rule. Otherwise (a business outside the run, or such a later
    flag) it comes back unchanged.
    """
    con = duckdb.connect()
    con.register("cur", current)
    if previous is None:
        previous = pa.table(
            {
                "business_id": pa.array([], pa.int64()),
                "rule_id": pa.array([], pa.string()),
                "opened_month": pa.array([], pa.date32()),
                "state": pa.array([], pa.string()),
                "state_reason": pa.array([], pa.string()),
            }
        )
    if "is_open" not in previous.column_names:
        states = previous.column("state").to_pylist()
        previous = previous.append_column(
            "is_open", pa.array([s in OPEN_STATES for s in states], pa.bool_())
        )
    con.register("prev", previous)
    con.register("moves", _run_moves())
    if evaluated is None:
        evaluated = pa.array([], pa.int64())
    con.register("evaluated", pa.table({"business_id": pa.array(evaluated, pa.int64())}))
    con.register("as_of", pa.table({"m": pa.array([as_of], pa.date32())}))
    cur_cols = [r[0] for r in con.execute("DESCRIBE cur").fetchall()]
    blanks = "".join(
        f"NULL AS {c}, "
        for c in cur_cols
        if c not in ("business_id", "rule_id", "opened_month", "is_open")
    )
    gone = (
        "(p.business_id IN (SELECT business_id FROM evaluated) AND "
        "((SELECT m FROM as_of) IS NULL OR p.opened_month <= (SELECT m FROM as_of) OR EXISTS "
        "(SELECT 1 FROM cur AS o WHERE o.business_id = p.business_id AND o.rule_id = p.rule_id "
        "AND o.is_open)))"
    )
    out = con.sql(f"""
WITH merged AS (
SELECT c.*, m.after AS state,
  CASE WHEN m.after = 'not_needed' THEN p.state_reason END AS state_reason,
  FALSE AS vanished
FROM cur AS c LEFT JOIN prev AS p
  ON p.business_id = c.business_id AND p.rule_id = c.rule_id AND p.opened_month = c.opened_month
LEFT JOIN moves AS m ON m.before IS NOT DISTINCT FROM p.state
  AND m.event = CASE WHEN c.is_open THEN 'open' ELSE 'closed' END
UNION ALL BY NAME
SELECT p.business_id, p.rule_id, p.opened_month, {blanks}
  CASE WHEN {gone} THEN m.after ELSE p.state END AS state,
  p.state_reason, {gone} AS vanished, NOT ({gone}) AS is_open
FROM prev AS p LEFT JOIN moves AS m ON m.before = p.state AND m.event = 'gone'
WHERE NOT EXISTS (SELECT 1 FROM cur AS c WHERE c.business_id = p.business_id
                  AND c.rule_id = p.rule_id AND c.opened_month = p.opened_month)
  AND p.is_open
)
SELECT * FROM merged ORDER BY business_id, rule_id, opened_month
""").to_arrow_table()
    con.close()
    missing = out.filter(pc.is_null(out.column("state")))
    if missing.num_rows:  # a stored state outside the vocabulary
        raise ValueError(f"flags in a state no run move leaves: {missing.to_pylist()[:3]}")
    return out


def _run_moves() -> pa.Table:
    """The run's moves of :data:`FLAG_MOVES` (before NULL: no flag yet)."""
    run = [m for m in FLAG_MOVES if m.event in RUN_EVENTS]
    return pa.table(
        {
            "before": pa.array([m.before and m.before.value for m in run], pa.string()),
            "event": pa.array([m.event.value for m in run], pa.string()),
            "after": pa.array([m.after.value for m in run], pa.string()),
        }
    )
