"""The standard chart of accounts (標準科目): loading, hierarchy and derived sums.

The chart is data (``data/chart.yaml``); this module only reads it and computes with it.
Amounts are integer yen, positive on an item's normal side (see the YAML header).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Literal

import yaml

Side = Literal["debit", "credit"]
Statement = Literal["BS", "PL"]
Kind = Literal["leaf", "sum", "derived"]

_TERM = re.compile(r"\s*([+-])?\s*([a-z_][a-z0-9_]*)\s*")


@dataclass(frozen=True)
class Item:
    code: str
    ja: str
    en: str
    statement: Statement
    side: Side
    kind: Kind
    parent: str | None = None
    formula: tuple[tuple[int, str], ...] = ()

    def label(self, locale: str = "ja") -> str:
        return self.ja if locale == "ja" else self.en


@dataclass(frozen=True)
class Chart:
    version: str
    items: tuple[Item, ...]
    _by_code: dict[str, Item] = field(default_factory=dict, compare=False, repr=False)
    _children: dict[str, tuple[Item, ...]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        by_code = {i.code: i for i in self.items}
        children: dict[str, list[Item]] = {}
        for i in self.items:
            if i.parent:
                children.setdefault(i.parent, []).append(i)
        object.__setattr__(self, "_by_code", by_code)
        object.__setattr__(self, "_children", {k: tuple(v) for k, v in children.items()})

    def __getitem__(self, code: str) -> Item:
        return self._by_code[code]

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def children(self, code: str) -> tuple[Item, ...]:
        return self._children.get(code, ())

    @property
    def leaves(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.kind == "leaf")

    def leaf_terms(self, code: str) -> dict[str, int]:
        """Express an item as signed leaf codes: ``{leaf_code: +1 | -1}``.

        A child on the other side than its parent counts negatively; a derived formula's
        terms carry their own signs. This is what lets the engine compute any sum as a
        column expression over the wide panel.
        """
        item = self[code]
        if item.kind == "leaf":
            return {code: 1}
        out: dict[str, int] = {}
        if item.kind == "sum":
            parts = [(1 if c.side == item.side else -1, c.code) for c in self.children(code)]
        else:
            parts = list(item.formula)
        for sign, sub in parts:
            for leaf, s in self.leaf_terms(sub).items():
                out[leaf] = out.get(leaf, 0) + sign * s
        return {k: v for k, v in out.items() if v}

    def evaluate(self, amounts: Mapping[str, int], code: str) -> int:
        """The value of ``code`` from leaf amounts (missing leaves count as zero)."""
        return sum(sign * amounts.get(leaf, 0) for leaf, sign in self.leaf_terms(code).items())

    def balance_difference(self, amounts: Mapping[str, int]) -> int:
        """資産合計 − (負債・純資産合計); zero for a balanced statement."""
        return self.evaluate(amounts, "total_assets") - self.evaluate(
            amounts, "total_liabilities_and_net_assets"
        )


def _parse_formula(text: str) -> tuple[tuple[int, str], ...]:
    terms: list[tuple[int, str]] = []
    pos = 0
    while pos < len(text):
        m = _TERM.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError(f"bad chart formula {text!r} at {pos}")
        if terms and not m.group(1):
            raise ValueError(f"bad chart formula {text!r}: missing operator before {m.group(2)}")
        terms.append((-1 if m.group(1) == "-" else 1, m.group(2)))
        pos = m.end()
    return tuple(terms)


def parse_chart(doc: Mapping[str, object]) -> Chart:
    """Build and check a chart from its YAML document; every problem is reported at once."""
    raw_items = doc.get("items")
    if not isinstance(raw_items, list):
        raise ValueError("chart: 'items' must be a list")
    items: list[Item] = []
    problems: list[str] = []
    for n, raw in enumerate(raw_items, 1):
        try:
            items.append(
                Item(
                    code=raw["code"],
                    ja=raw["ja"],
                    en=raw["en"],
                    statement=raw["statement"],
                    side=raw["side"],
                    kind=raw["kind"],
                    parent=raw.get("parent"),
                    formula=_parse_formula(raw["formula"]) if raw.get("formula") else (),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(f"item {n}: {exc}")
    codes = [i.code for i in items]
    dupes = {c for c in codes if codes.count(c) > 1}
    problems += [f"duplicate code {c}" for c in sorted(dupes)]
    known = set(codes)
    for i in items:
        if i.parent and i.parent not in known:
            problems.append(f"{i.code}: unknown parent {i.parent}")
        if (
            i.parent
            and i.parent in known
            and next(p for p in items if p.code == i.parent).kind != "sum"
        ):
            problems.append(f"{i.code}: parent {i.parent} is not a sum")
        if i.side not in ("debit", "credit"):
            problems.append(f"{i.code}: side must be debit or credit")
        if i.statement not in ("BS", "PL"):
            problems.append(f"{i.code}: statement must be BS or PL")
        if i.kind == "derived" and not i.formula:
            problems.append(f"{i.code}: derived item without formula")
        for _, term in i.formula:
            if term not in known:
                problems.append(f"{i.code}: formula uses unknown code {term}")
    if problems:
        raise ValueError("invalid chart:\n" + "\n".join(problems))
    return Chart(version=str(doc.get("version", "")), items=tuple(items))


@cache
def load_chart() -> Chart:
    """The shipped standard chart."""
    text = resources.files("kizashi.domain").joinpath("data/chart.yaml").read_text("utf-8")
    return parse_chart(yaml.safe_load(text))
