"""Flags as episodes, and carrying their workflow state over from earlier runs.

A rule's condition per business × month is true, false or null (not computable). A flag is an
*episode*: it opens at the first month the condition is true, stays open while it is true or
unknown, and closes at the first month it is false again (gaps-and-islands, computed with
window functions over the whole panel — no per-business loop). Unknown months never close a
flag, so a missing trial balance does not make a flag flicker.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa

from .compiler import WINDOW, Compiler
from .dialect import DUCKDB
from .packs import Pack

STATES = ("新規", "確認済", "対応中", "解消", "対応不要")
OPEN_STATES = ("新規", "確認済", "対応中")
# Transitions a person may make; 解消 is also set automatically when the condition clears.
ALLOWED_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "新規": ("確認済", "対応中", "対応不要"),
    "確認済": ("対応中", "対応不要"),
    "対応中": ("解消", "対応不要"),
    "解消": (),
    "対応不要": (),
}


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


def marks_sql(
    fire: FiringColumns, source: str, keep: str | None, extra: list[str] | None = None
) -> str:
    """Episode start/end marks per rule, from ``f_k`` of ``source`` in one narrow sorted pass.

    A flag starts where the condition is true and its last known value before was not true,
    and ends where it is false and its last known value was true. Only the rows with a mark
    or matching ``keep`` (SQL; ``None`` = all rows) are returned, with the ``extra`` columns.
    """
    n = len(fire.fired)
    prev = ", ".join(
        f"f_{k}, {DUCKDB.lag_ignore_nulls(f'f_{k}', WINDOW)} AS p_{k}" for k in range(n)
    )
    marks = [
        f"COALESCE(f_{k} AND p_{k} IS NOT TRUE, FALSE) AS st_{k}, "
        f"COALESCE(f_{k} = FALSE AND p_{k}, FALSE) AS en_{k}"
        for k in range(n)
    ]
    any_mark = " OR ".join(f"st_{k} OR en_{k}" for k in range(n)) or "FALSE"
    where = "" if keep is None else f" WHERE {keep} OR {any_mark}"
    more = "".join(f", {c}" for c in extra or [])
    return (
        f"SELECT business_id, m{''.join(', ' + x for x in marks)}{more} FROM ("
        f"SELECT business_id, m{', ' + prev if n else ''}{more} FROM {source} "
        f"WINDOW {WINDOW} AS (PARTITION BY business_id ORDER BY m)) AS p{where}"
    )


def firing_outputs(fire: FiringColumns) -> list[str]:
    """Per rule k: ``f_k``, ``st_k``, ``en_k`` and the evidence JSON ``ev_k`` (for ``out``)."""
    outputs: list[str] = []
    for k, ev in enumerate(fire.evidence):
        outputs += [
            f"f_{k}",
            f"st_{k}",
            f"en_{k}",
            f"{DUCKDB.json_object(ev) if ev else 'NULL'} AS ev_{k}",
        ]
    return outputs


def _month(m: str) -> str:
    return DUCKDB.month_from_index(m)


def episodes_sql(pack: Pack, as_of_m: int, where_month: str) -> tuple[str, str]:
    """(episodes query, firings query) over the ``out`` table written by the run."""
    lit = DUCKDB.literal
    meta = [
        (
            k,
            r,
            f"{lit(r.id)} AS rule_id, {lit(r.severity)} AS severity, {lit(r.category)} AS category",
        )
        for k, r in enumerate(pack.rules)
    ]
    marks = " UNION ALL ".join(
        f"SELECT business_id, {cols}, m, st_{k} AS is_start, en_{k} AS is_end, "
        f"f_{k} AS fired, ev_{k} AS evidence FROM out WHERE st_{k} OR en_{k} OR m = {as_of_m}"
        for k, _, cols in meta
    )
    episodes = f"""
WITH e AS ({marks}),
x AS (SELECT *, MIN(CASE WHEN is_end THEN m END) OVER (PARTITION BY business_id, rule_id ORDER BY m
        ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS close_m FROM e)
SELECT s.business_id, s.rule_id, s.severity, s.category, {lit(pack.ref)} AS pack,
       {_month("s.m")} AS opened_month, {_month("s.close_m")} AS closed_month,
       s.close_m IS NULL AS is_open, a.fired AS fired_at_as_of,
       s.evidence AS evidence_opened,
       CASE WHEN s.close_m IS NULL AND a.fired THEN a.evidence ELSE s.evidence END AS evidence_latest
FROM x AS s
LEFT JOIN x AS a ON a.business_id = s.business_id AND a.rule_id = s.rule_id AND a.m = {as_of_m}
                AND s.close_m IS NULL
WHERE s.is_start
"""
    firings = " UNION ALL ".join(
        f"SELECT business_id, month, {cols}, {lit(pack.ref)} AS pack, ev_{k} AS evidence "
        f"FROM out WHERE f_{k} AND {where_month}"
        for k, _, cols in meta
    )
    return episodes, f"SELECT * FROM ({firings}) ORDER BY business_id, month, rule_id"


def carry_over(previous: pa.Table | None, current: pa.Table) -> pa.Table:
    """Merge this run's episodes with the stored flags' workflow states (a pure function).

    ``previous``: stored flags with business_id, rule_id, opened_month, state, state_reason.
    ``current``: :attr:`RunResult.episodes`. Returns ``current`` plus ``state`` and
    ``state_reason``: a new episode is 新規; an existing one keeps the state a person gave it;
    when the condition clears an open-state flag becomes 解消; 対応不要 stays 対応不要 with its
    reason. Stored open flags this run did not see are returned unchanged.
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
    con.register("prev", previous)
    cur_cols = [r[0] for r in con.execute("DESCRIBE cur").fetchall()]
    blanks = ", ".join(
        f"NULL AS {c}" for c in cur_cols if c not in ("business_id", "rule_id", "opened_month")
    )
    out = con.sql(f"""
SELECT c.*,
  CASE WHEN p.state = '対応不要' THEN '対応不要'
       WHEN NOT c.is_open THEN '解消'
       WHEN p.state IS NULL THEN '新規'
       ELSE p.state END AS state,
  CASE WHEN p.state = '対応不要' THEN p.state_reason END AS state_reason
FROM cur AS c LEFT JOIN prev AS p
  ON p.business_id = c.business_id AND p.rule_id = c.rule_id AND p.opened_month = c.opened_month
UNION ALL BY NAME
SELECT p.business_id, p.rule_id, p.opened_month, {blanks}, p.state, p.state_reason
FROM prev AS p
WHERE NOT EXISTS (SELECT 1 FROM cur AS c WHERE c.business_id = p.business_id
                  AND c.rule_id = p.rule_id AND c.opened_month = p.opened_month)
  AND p.state IN ('新規', '確認済', '対応中')
ORDER BY business_id, rule_id, opened_month
""").to_arrow_table()
    con.close()
    return out
