"""ローカルベンチマーク scores as SQL: the declared thresholds (``spec.locaben``) as CASE expressions."""

from __future__ import annotations

from ..spec.locaben import Thresholds
from .dialect import Dialect


def size_band_sql(employees: str, th: Thresholds) -> str:
    parts = [
        f"WHEN {employees} <= {b.max_employees} THEN '{b.code}'"
        for b in th.size_bands
        if b.max_employees is not None
    ]
    last = th.size_bands[-1].code
    return f"CASE WHEN {employees} IS NULL THEN '{th.size_bands[0].code}' {' '.join(parts)} ELSE '{last}' END"


def _bound_sql(th: Thresholds, indicator: str, k: int, d: Dialect) -> str:
    """The k-th bound for the row's (major, size_band): a CASE over the overrides only."""
    default = th.default[indicator][k]
    cases: list[str] = []
    for o in th.overrides:
        if indicator not in o:
            continue
        conds = []
        if o.get("major", "*") != "*":
            conds.append(f"major = {d.literal(str(o['major']))}")
        if o.get("size", "*") != "*":
            conds.append(f"size_band = {d.literal(str(o['size']))}")
        cond = " AND ".join(conds) or "TRUE"
        cases.append(f"WHEN {cond} THEN {d.literal(float(o[indicator][k]))}")
    if not cases:
        return d.literal(default)
    return f"(CASE {' '.join(cases)} ELSE {d.literal(default)} END)"


def score_sql(value: str, indicator: str, better: str, th: Thresholds, d: Dialect) -> str:
    op = ">=" if better == "higher" else "<="
    whens = " ".join(
        f"WHEN {value} {op} {_bound_sql(th, indicator, k, d)} THEN {5 - k}" for k in range(4)
    )
    return f"(CASE WHEN {value} IS NULL THEN NULL {whens} ELSE 1 END)"


def rating_sql(total: str, th: Thresholds) -> str:
    r = th.rating
    return (
        f"(CASE WHEN {total} IS NULL THEN NULL WHEN {total} >= {r['A']} THEN 'A' "
        f"WHEN {total} >= {r['B']} THEN 'B' WHEN {total} >= {r['C']} THEN 'C' ELSE 'D' END)"
    )
