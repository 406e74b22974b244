"""Rule packs: versioned YAML files of rules (the 着眼点 are data, not code).

``load_pack`` parses a pack and checks everything — structure, ids, categories, the condition
and evidence expressions, message templates — collecting **all** problems with their line
numbers before raising :class:`PackError`. ``lint_pack`` returns the problems instead.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .expr import ExprError, Name, Node, Type, parse, walk
from .functions import check
from .indicators import name_types

CATEGORIES = ("収益性", "資金繰り", "財務健全性", "効率性", "真贋性", "信用事象", "データ")
SOURCES = ("決算書", "試算表", "口座", "金融取引", "定性")
SEVERITIES = {"critical": 8, "high": 4, "medium": 2, "low": 1}
SUPPORTS = ("確認", "本業支援", "経営改善", "再生", "再チャレンジ")
_RULE_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")
_FORMAT_SPEC = re.compile(r"^,?(\.\d)?f?$")


@dataclass(frozen=True)
class Problem:
    line: int
    where: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.where}: {self.message}"


class PackError(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("invalid rule pack:\n" + "\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Rule:
    id: str
    title: dict[str, str]
    explanation: dict[str, str]
    category: str
    source: str
    severity: str
    next_step: dict[str, str]
    support: str
    condition: str
    evidence: dict[str, str]
    condition_node: Node = field(compare=False, repr=False)
    evidence_nodes: dict[str, Node] = field(compare=False, repr=False)


@dataclass(frozen=True)
class Param:
    name: str
    value: float
    ja: str
    en: str


@dataclass(frozen=True)
class Pack:
    id: str
    version: str
    ja: str
    en: str
    based_on: str | None
    params: dict[str, Param]
    rules: tuple[Rule, ...]

    @property
    def ref(self) -> str:
        """``id@version``: recorded with every flag the pack raises."""
        return f"{self.id}@{self.version}"

    def rule(self, rule_id: str) -> Rule:
        return next(r for r in self.rules if r.id == rule_id)


# ----------------------------------------------------------------------------- YAML with lines


class _Lines:
    """Python objects from YAML plus the line (and column) of every value, keyed by path."""

    def __init__(self, text: str) -> None:
        self.pos: dict[tuple[Any, ...], tuple[int, int, str]] = {}
        self._loader = yaml.SafeLoader("")
        self.data = self._conv(yaml.compose(text, Loader=yaml.SafeLoader), ())

    def _conv(self, node: yaml.Node | None, path: tuple[Any, ...]) -> Any:
        if node is None:
            return None
        self.pos[path] = (
            node.start_mark.line + 1,
            node.start_mark.column + 1,
            getattr(node, "style", "") or "",
        )
        if isinstance(node, yaml.MappingNode):
            return {k.value: self._conv(v, (*path, k.value)) for k, v in node.value}
        if isinstance(node, yaml.SequenceNode):
            return [self._conv(v, (*path, i)) for i, v in enumerate(node.value)]
        return self._loader.construct_object(node)

    def line(self, path: tuple[Any, ...]) -> int:
        while path and path not in self.pos:
            path = path[:-1]
        return self.pos.get(path, (1, 1, ""))[0]

    def expr_pos(self, path: tuple[Any, ...], err: ExprError) -> int:
        line, _, style = self.pos.get(path, (self.line(path), 1, ""))
        return line + err.line - 1 + (1 if style in ("|", ">") else 0)


# ----------------------------------------------------------------------------- loading


def lint_pack(text: str) -> list[Problem]:
    try:
        load_pack_text(text)
    except PackError as exc:
        return exc.problems
    return []


def load_pack(path: str | Path) -> Pack:
    return load_pack_text(Path(path).read_text("utf-8"))


@cache
def default_pack() -> Pack:
    return load_pack_text(default_pack_text())


def default_pack_text() -> str:
    return (
        resources.files("kizashi.engine.spec")
        .joinpath("data/rules/default.yaml")
        .read_text("utf-8")
    )


def load_pack_text(text: str) -> Pack:
    try:
        doc = _Lines(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise PackError(
            [Problem(mark.line + 1 if mark else 1, "yaml", str(exc).splitlines()[0])]
        ) from None
    problems: list[Problem] = []
    data = doc.data if isinstance(doc.data, dict) else {}

    def bad(path: tuple[Any, ...], where: str, message: str) -> None:
        problems.append(Problem(doc.line(path), where, message))

    head: dict[str, Any] = data["pack"] if isinstance(data.get("pack"), dict) else {}
    if not head:
        bad(("pack",), "pack", "a 'pack:' mapping with id and version is required")
    pid, version = str(head.get("id", "")), str(head.get("version", ""))
    if head and not re.match(r"^[a-z][a-z0-9_.-]*$", pid):
        bad(("pack", "id"), "pack.id", "must be lower-case letters, digits, '.', '_' or '-'")
    if head and not version:
        bad(("pack", "version"), "pack.version", "is required")

    names = name_types()
    params: dict[str, Param] = {}
    for pname, raw in (data.get("params") or {}).items():
        where = f"params.{pname}"
        if not _IDENT.match(str(pname)) or pname in names:
            bad(
                ("params", pname),
                where,
                "must be a new lower-case name (not a chart item or indicator)",
            )
            continue
        value = raw.get("value") if isinstance(raw, dict) else raw
        if isinstance(value, bool) or not isinstance(value, int | float):
            bad(("params", pname), where, "value must be a number")
            continue
        label = raw if isinstance(raw, dict) else {}
        params[pname] = Param(
            pname, float(value), str(label.get("ja", "")), str(label.get("en", ""))
        )
    scope: dict[str, Type] = {**names, **{p: "num" for p in params}}

    rules: list[Rule] = []
    seen: set[str] = set()
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        bad(("rules",), "rules", "a non-empty list of rules is required")
        raw_rules = []
    for i, raw in enumerate(raw_rules):
        rule = _rule(doc, i, raw, scope, seen, problems)
        if rule:
            rules.append(rule)
    if problems:
        raise PackError(sorted(problems, key=lambda p: p.line))
    return Pack(
        pid,
        version,
        str(head.get("ja", "")),
        str(head.get("en", "")),
        head.get("based_on"),
        params,
        tuple(rules),
    )


def _rule(
    doc: _Lines, i: int, raw: Any, scope: dict[str, Type], seen: set[str], problems: list[Problem]
) -> Rule | None:
    base = ("rules", i)
    if not isinstance(raw, dict):
        problems.append(Problem(doc.line(base), f"rules[{i}]", "must be a mapping"))
        return None
    rid = str(raw.get("id", ""))
    where = f"rule {rid or f'#{i + 1}'}"
    n_before = len(problems)

    def bad(key: str, message: str, line: int | None = None) -> None:
        problems.append(Problem(line or doc.line((*base, key)), f"{where}.{key}", message))

    if not _RULE_ID.match(rid):
        bad("id", "must be a dotted lower-case id such as 'cash.low_liquidity'")
    elif rid in seen:
        bad("id", "duplicate rule id")
    seen.add(rid)
    texts: dict[str, dict[str, str]] = {}
    for key in ("title", "explanation", "next_step"):
        v = raw.get(key)
        if not (
            isinstance(v, dict) and isinstance(v.get("ja"), str) and isinstance(v.get("en"), str)
        ):
            bad(key, "needs 'ja' and 'en' texts")
            texts[key] = {"ja": "", "en": ""}
        else:
            texts[key] = {"ja": v["ja"], "en": v["en"]}
    for key, allowed in (
        ("category", CATEGORIES),
        ("source", SOURCES),
        ("severity", tuple(SEVERITIES)),
        ("support", SUPPORTS),
    ):
        if raw.get(key) not in allowed:
            bad(key, f"must be one of {', '.join(allowed)}")
    cond_node = _expr(
        doc, (*base, "condition"), raw.get("condition"), scope, "bool", where, problems
    )
    evidence: dict[str, str] = {}
    ev_nodes: dict[str, Node] = {}
    for name, text in (raw.get("evidence") or {}).items():
        if not _IDENT.match(str(name)) or name == "period":
            bad(
                "evidence",
                f"evidence name {name!r} must be a lower-case identifier other than 'period'",
            )
            continue
        node = _expr(
            doc, (*base, "evidence", name), text, scope, "num", f"{where}.evidence", problems
        )
        if node is not None and not _uses_data(node):
            bad(
                "evidence",
                f"evidence {name!r} uses no indicator or panel column (a constant is not "
                "evidence: quote parameters in the message text instead)",
            )
        elif node is not None:
            evidence[name], ev_nodes[name] = str(text), node
    allowed_fields = set(raw.get("evidence") or {}) | {"period", "opened"}
    for key in ("title", "explanation", "next_step"):
        for lang, tmpl in texts[key].items():
            for msg in _template_problems(tmpl, allowed_fields):
                bad(key, f"{lang}: {msg}", doc.line((*base, key, lang)))
    if len(problems) > n_before or cond_node is None:
        return None
    return Rule(
        rid,
        texts["title"],
        texts["explanation"],
        raw["category"],
        raw["source"],
        raw["severity"],
        texts["next_step"],
        raw["support"],
        str(raw["condition"]),
        evidence,
        cond_node,
        ev_nodes,
    )


@cache
def _data_names() -> frozenset[str]:
    return frozenset(name_types())


def _uses_data(node: Node) -> bool:
    """True when the expression reads at least one indicator or panel column (not only params)."""
    return any(isinstance(n, Name) and n.name in _data_names() for n in walk(node))


def _expr(
    doc: _Lines,
    path: tuple[Any, ...],
    text: Any,
    scope: dict[str, Type],
    want: str,
    where: str,
    problems: list[Problem],
) -> Node | None:
    key = path[-1]
    if not isinstance(text, str | int | float) or isinstance(text, bool):
        problems.append(Problem(doc.line(path), f"{where}.{key}", "an expression is required"))
        return None
    try:
        node = parse(str(text))
        got = check(node, scope)
        if want == "bool" and got != "bool":
            raise ExprError("a condition must be true/false (use a comparison)", 1, 1)
        if want == "num" and got == "bool":
            node = parse(f"if({text}, 1, 0)")
        return node
    except ExprError as exc:
        problems.append(
            Problem(doc.expr_pos(path, exc), f"{where}.{key}", f"column {exc.col}: {exc.message}")
        )
        return None


def _template_problems(tmpl: str, allowed: set[str]) -> list[str]:
    out = []
    try:
        parsed = list(string.Formatter().parse(tmpl))
    except ValueError as exc:
        return [f"bad template: {exc}"]
    for _, fname, spec, conv in parsed:
        if fname is None:
            continue
        if fname not in allowed:
            out.append(f"unknown field {{{fname}}} (evidence names, period, opened)")
        if conv or (spec and spec != "ago" and not _FORMAT_SPEC.match(spec)):
            out.append(f"field {{{fname}}}: only ',', '.N', 'f' and 'ago' formats are allowed")
    return out


def derive_pack(
    base: Pack, pack_id: str, version: str, params: dict[str, float] | None = None
) -> Pack:
    """An organisation's copy of ``base`` with new thresholds: a new id/version, based_on recorded."""
    new_params = dict(base.params)
    for k, v in (params or {}).items():
        if k not in new_params:
            raise KeyError(f"unknown parameter {k!r}")
        new_params[k] = replace(new_params[k], value=float(v))
    return replace(base, id=pack_id, version=version, based_on=base.ref, params=new_params)
