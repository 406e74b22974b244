"""ローカルベンチマーク scoring: thresholds as data, compiled to SQL CASE expressions.

Thresholds are looked up by industry major group × size band (``data/locaben_thresholds.yaml``;
kizashi's documented defaults unless replaced by the official tables).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from .dialect import Dialect


@dataclass(frozen=True)
class SizeBand:
    code: str
    ja: str
    en: str
    max_employees: int | None


@dataclass(frozen=True)
class Thresholds:
    source: str
    version: str
    rating: dict[str, int]
    size_bands: tuple[SizeBand, ...]
    default: dict[str, tuple[float, float, float, float]]
    overrides: tuple[dict[str, Any], ...]

    def bounds(self, indicator: str, major: str, size: str) -> tuple[float, float, float, float]:
        for o in self.overrides:
            if (
                o.get("major", "*") in ("*", major)
                and o.get("size", "*") in ("*", size)
                and indicator in o
            ):
                b = [float(x) for x in o[indicator]]
                return (b[0], b[1], b[2], b[3])
        return self.default[indicator]


@cache
def load_thresholds() -> Thresholds:
    text = (
        resources.files("kizashi.engine")
        .joinpath("data/locaben_thresholds.yaml")
        .read_text("utf-8")
    )
    return parse_thresholds(yaml.safe_load(text))


def parse_thresholds(doc: dict[str, Any]) -> Thresholds:
    problems: list[str] = []
    default: dict[str, tuple[float, float, float, float]] = {
        k: tuple(float(x) for x in v)  # type: ignore[misc]
        for k, v in (doc.get("default") or {}).items()
    }
    for k, v in default.items():
        if len(v) != 4:
            problems.append(f"default.{k}: bounds need four numbers [b5, b4, b3, b2]")
    for n, o in enumerate(doc.get("overrides") or [], 1):
        for k, v in o.items():
            if k not in ("major", "size") and (k not in default or len(v) != 4):
                problems.append(f"override {n}: {k}: unknown indicator or not four bounds")
    if problems:
        raise ValueError("invalid locaben thresholds:\n" + "\n".join(problems))
    bands = tuple(
        SizeBand(b["code"], b["ja"], b["en"], b.get("max_employees")) for b in doc["size_bands"]
    )
    return Thresholds(
        str(doc.get("source", "")),
        str(doc.get("version", "")),
        dict(doc["rating"]),
        bands,
        default,
        tuple(doc.get("overrides") or ()),
    )


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
