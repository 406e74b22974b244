"""Column layouts of tables (残高試算表, 決算書, 開始残高): header detection and saved mappings.

A ``ColumnMapping`` names the columns of a layout kizashi has not seen before. It is a small
JSON-serialisable value that the store keeps per organisation and source, so a person maps a
layout once. Columns are named by header text (preferred) or by 1-based position.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

from .text import normalise

ColumnRef = str | int | None

# Logical column → header names seen in Japanese trial balances and statements.
HEADER_NAMES: dict[str, tuple[str, ...]] = {
    "account": (
        "勘定科目",
        "科目",
        "科目名",
        "勘定科目名",
        "勘定科目名称",
        "科目名称",
        "項目",
        "account",
        "name",
    ),
    "code": ("コード", "科目コード", "勘定科目コード", "科目CD", "code"),
    "opening": (
        "前月残高",
        "前月繰越",
        "前月末残高",
        "期首残高",
        "前期繰越",
        "前期繰越残高",
        "繰越残高",
        "開始残高",
        "前残",
        "opening",
    ),
    "debit": (
        "借方",
        "借方金額",
        "当月借方",
        "借方発生",
        "借方発生額",
        "当月借方金額",
        "借方合計",
        "debit",
    ),
    "credit": (
        "貸方",
        "貸方金額",
        "当月貸方",
        "貸方発生",
        "貸方発生額",
        "当月貸方金額",
        "貸方合計",
        "credit",
    ),
    "closing": (
        "当月残高",
        "残高",
        "期末残高",
        "当期残高",
        "当月末残高",
        "金額",
        "当期",
        "当期金額",
        "当期末残高",
        "balance",
        "amount",
    ),
    "closing_debit": ("借方残高", "期末借方残高"),
    "closing_credit": ("貸方残高", "期末貸方残高"),
    "period": ("月", "年月", "期間", "対象月", "会計月", "period", "month"),
    "date": ("期首日", "日付", "基準日"),
}


@dataclass(frozen=True)
class ColumnMapping:
    """Where the fields of a table are. Every field is optional except ``account``.

    ``kind`` is "trial_balance" (cumulative balances), "statement" (決算書) or "opening"
    (開始残高). ``convention``: "natural" = balances positive on the account's normal side
    (the Japanese custom), "debit_positive" = debit − credit, "auto" = decide from the
    arithmetic 前月残高 ± 借方 ∓ 貸方 = 当月残高.
    """

    account: ColumnRef = None
    code: ColumnRef = None
    opening: ColumnRef = None
    debit: ColumnRef = None
    credit: ColumnRef = None
    closing: ColumnRef = None
    closing_debit: ColumnRef = None
    closing_credit: ColumnRef = None
    period: ColumnRef = None
    date: ColumnRef = None
    header_row: int | None = None  # 1-based; None = detect
    kind: Literal["trial_balance", "statement", "opening", "auto"] = "auto"
    convention: Literal["natural", "debit_positive", "auto"] = "auto"
    period_end: str | None = None  # when the file does not say (ISO date or 和暦)
    sheet: str | None = None  # .xlsx sheet name

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> ColumnMapping:
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ColumnMapping:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown column-mapping fields: {sorted(unknown)}")
        return cls(**data)

    def resolve(self, header: list[str]) -> dict[str, int]:
        """Logical field → 0-based index in ``header`` (unknown names are left out)."""
        keys = [normalise(h) for h in header]
        out: dict[str, int] = {}
        for name in HEADER_NAMES:
            ref = getattr(self, name)
            if isinstance(ref, int) and not isinstance(ref, bool) and 1 <= ref <= len(header):
                out[name] = ref - 1
            elif isinstance(ref, str) and normalise(ref) in keys:
                out[name] = keys.index(normalise(ref))
        return out


_LOOKUP = {normalise(n): logical for logical, names in HEADER_NAMES.items() for n in names}


def classify_header(row: list[str]) -> dict[str, list[int]]:
    """Logical field → indexes of the cells in ``row`` whose text names it."""
    found: dict[str, list[int]] = {}
    for i, c in enumerate(row):
        key = normalise(c)
        logical = _LOOKUP.get(key) or _LOOKUP.get(key.lower())
        if logical is None:
            for prefix in ("当期", "当月"):  # 当期借方 / 当月残高金額 …
                if key.startswith(prefix) and _LOOKUP.get(key[len(prefix) :]):
                    logical = _LOOKUP[key[len(prefix) :]]
                    break
        if logical:
            found.setdefault(logical, []).append(i)
    return found


def find_header(rows: list[list[str]], limit: int = 30) -> tuple[int, dict[str, list[int]]] | None:
    """The most header-like row among the first ``limit``: (0-based index, fields)."""
    best: tuple[int, int, dict[str, list[int]]] | None = None
    for i, row in enumerate(rows[:limit]):
        f = classify_header(row)
        if "account" not in f:
            continue
        if not ({"closing", "closing_debit", "closing_credit", "debit"} & set(f)):
            continue
        score = sum(len(v) for v in f.values())
        if best is None or score > best[1]:
            best = (i, score, f)
    return (best[0], best[2]) if best else None
