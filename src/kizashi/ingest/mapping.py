"""As-reported account names → standard chart leaf codes, with a confidence.

Order of evidence: a remembered confirmation (per business and source) → a clearing
account (諸口) → a 製造原価 prefix ([製]給料 → mfg_labour) → an exact synonym or chart label →
the category/section the file gives → the name ending in a known name (城北信当座預金 →
当座預金) → a fuzzy match → the category's catch-all. Below ``THRESHOLD`` the mapping is
listed as needing confirmation. The synonym table is data: ``data/synonyms.yaml``.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from kizashi.domain.chart import Chart, load_chart

from .model import Account

THRESHOLD = 0.8
CLEARING = "_clearing"  # pseudo-code: a clearing account that must net to zero

_DROP = str.maketrans("", "", " \u3000・･、，,")
_MFG_PREFIX = re.compile(r"^(?:\[製\]|\(製\)|【製】|〔製〕|<製>|製\)|製[:：])")
_MFG_SUFFIX = re.compile(r"(?:\(製\)|\(製造\)|【製】|\[製\])$")
_SGA_MARK = re.compile(r"^(?:\[販\]|\(販\)|【販】)|(?:\(販\)|\(販管\)|【販】|\[販\])$")
_TRAILING_PAREN = re.compile(r"\([^()]*\)$")


def normalise_name(name: str) -> str:
    """Matching key: NFKC, no spaces or ・、, a trailing 勘定 dropped."""
    s = unicodedata.normalize("NFKC", name).translate(_DROP).strip("\"'")
    if s.endswith("勘定") and len(s) > 3:
        s = s[:-2]
    return s


@dataclass(frozen=True)
class SynonymTable:
    leaves: dict[str, tuple[str, float]]
    manufacturing: dict[str, tuple[str, float]]
    manufacturing_default: str
    clearing: frozenset[str]
    totals: dict[str, tuple[str, float]]
    categories: dict[str, str]
    leaf_codes: frozenset[str] = frozenset()


def _entries(raw: Mapping[str, list[Any]]) -> dict[str, tuple[str, float]]:
    out: dict[str, tuple[str, float]] = {}
    for code, names in raw.items():
        for entry in names or []:
            name, conf = (entry, 1.0) if isinstance(entry, str) else next(iter(entry.items()))
            key = normalise_name(str(name))
            if key not in out or out[key][1] < float(conf):
                out[key] = (code, float(conf))
    return out


def parse_synonyms(doc: Mapping[str, Any], chart: Chart) -> SynonymTable:
    leaves = _entries(doc.get("leaves", {}))
    problems = [c for c, _ in leaves.values() if c not in chart or chart[c].kind != "leaf"]
    for item in chart.leaves:  # the chart's own labels are synonyms too
        leaves.setdefault(normalise_name(item.ja), (item.code, 1.0))
    mfg_raw = dict(doc.get("manufacturing", {}))
    default = str(mfg_raw.pop("default", "mfg_overhead"))
    totals = _entries(doc.get("totals", {}))
    for item in chart.items:
        if item.kind != "leaf":
            totals.setdefault(normalise_name(item.ja), (item.code, 1.0))
    categories = {normalise_name(k): v for k, v in (doc.get("categories") or {}).items()}
    problems += [c for c in categories.values() if c not in chart]
    problems += [c for c, _ in totals.values() if c not in chart]
    if problems:
        raise ValueError(f"synonyms.yaml names unknown chart codes: {sorted(set(problems))}")
    return SynonymTable(
        leaves,
        _entries(mfg_raw),
        default,
        frozenset(normalise_name(n) for n in doc.get("clearing", [])),
        totals,
        categories,
        frozenset(i.code for i in chart.leaves),
    )


@cache
def load_synonyms() -> SynonymTable:
    text = resources.files("kizashi.ingest").joinpath("data/synonyms.yaml").read_text("utf-8")
    return parse_synonyms(yaml.safe_load(text), load_chart())


@dataclass(frozen=True)
class Mapped:
    """One as-reported account and the standard leaf it maps to."""

    account: str  # the as-reported key (code and name)
    name: str
    code: str | None  # standard leaf code, CLEARING, or None when unmapped
    confidence: float
    method: str
    needs_confirmation: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def split_manufacturing(key: str) -> tuple[str, bool, bool]:
    """Strip a 製造/販管 marker: (rest, is_manufacturing, is_sga)."""
    rest = _MFG_PREFIX.sub("", key)
    rest2 = _MFG_SUFFIX.sub("", rest)
    if rest2 != key:
        return rest2, True, False
    rest3 = _SGA_MARK.sub("", key)
    return rest3, False, rest3 != key


def total_code(name: str) -> tuple[str, float] | None:
    """The sum/derived chart item a subtotal row's name stands for, if any."""
    return load_synonyms().totals.get(normalise_name(name))


def map_account(
    account: Account,
    confirmations: Mapping[str, str] | None = None,
    table: SynonymTable | None = None,
) -> Mapped:
    table = table or load_synonyms()
    key = normalise_name(account.name)

    def out(code: str | None, conf: float, method: str) -> Mapped:
        conf = round(conf, 2)
        return Mapped(
            account.key, account.name, code, conf, method, code is None or conf < THRESHOLD
        )

    for k in (account.key, account.name, key):
        if confirmations and k in confirmations:
            return out(confirmations[k], 1.0, "confirmed")
    if account.code and account.code in table.leaf_codes:
        return out(account.code, 1.0, "standard code")
    if key in table.clearing:
        return out(CLEARING, 1.0, "clearing")
    rest, mfg, _ = split_manufacturing(key)
    if not mfg and key.startswith("製造") and len(key) > 2:
        cand = key[2:]
        if cand in table.manufacturing or cand in table.leaves:
            rest, mfg = cand, True
    if mfg:
        code, conf = table.manufacturing.get(rest, (table.manufacturing_default, 0.9))
        return out(code, conf, "manufacturing")
    for cand in (rest, _TRAILING_PAREN.sub("", rest)):
        if cand in table.leaves:
            code, conf = table.leaves[cand]
            return out(code, conf if cand == rest else conf * 0.9, "synonym")
    category = normalise_name(account.category) if account.category else ""
    if category in table.leaves:
        code, conf = table.leaves[category]
        return out(code, conf * 0.95, "category")
    suffix = _longest_suffix(rest, table)
    if suffix:
        code, conf = table.leaves[suffix]
        return out(code, conf * 0.85, f"suffix:{suffix}")
    close = difflib.get_close_matches(rest, list(table.leaves), n=1, cutoff=0.75)
    if close:
        code, conf = table.leaves[close[0]]
        ratio = difflib.SequenceMatcher(None, rest, close[0]).ratio()
        return out(code, conf * ratio * 0.75, f"fuzzy:{close[0]}")
    if category in table.categories:
        return out(table.categories[category], 0.5, "category-default")
    return out(None, 0.0, "unmapped")


def _longest_suffix(name: str, table: SynonymTable) -> str | None:
    best: str | None = None
    for n in range(len(name) - 1, 1, -1):
        tail = name[-n:]
        if tail in table.leaves and n >= 2 and tail != name:
            best = tail
            break
    return best


def map_accounts(
    accounts: list[Account], confirmations: Mapping[str, str] | None = None
) -> dict[str, Mapped]:
    table = load_synonyms()
    return {a.key: map_account(a, confirmations, table) for a in accounts}
