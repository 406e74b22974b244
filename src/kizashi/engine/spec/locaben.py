"""ローカルベンチマーク scoring declared: the thresholds as data (compiled to SQL by ``exec.locaben_sql``).

Thresholds are looked up by industry major group × size band (``data/locaben_thresholds.yaml``;
kizashi's documented defaults unless replaced by the official tables).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml


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
        resources.files("kizashi.engine.spec")
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
