"""The domain's words live in ``kizashi.domain.vocabulary``; the flag workflow is one table."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import kizashi.store.models as models
from kizashi.domain import vocabulary as v
from kizashi.domain.vocabulary import FLAG_MOVES, RUN_EVENTS, FlagEvent, FlagState

SRC = Path(__file__).resolve().parents[2] / "src" / "kizashi"
DOCS = Path(__file__).resolve().parents[2] / "docs"
WORDS = (
    "OrgKind",
    "Role",
    "Relation",
    "Category",
    "Purpose",
    "CreditEventKind",
    "StatementKind",
    "FlagState",
    "RunStatus",
)
STATE_LABELS_JA = {"新規", "確認済", "対応中", "解消", "対応不要"}


def test_the_words_are_defined_in_the_domain_and_only_there() -> None:
    for name in WORDS:
        assert getattr(v, name).__module__ == "kizashi.domain.vocabulary", name
        assert getattr(models, name) is getattr(v, name), name  # re-exported, the same class
    tree = ast.parse((SRC / "store" / "models.py").read_text(encoding="utf-8"))
    enums = [
        c.name
        for c in ast.walk(tree)
        if isinstance(c, ast.ClassDef)
        and any("Enum" in ast.unparse(b) or "enum." in ast.unparse(b) for b in c.bases)
    ]
    assert enums == [], f"store/models.py defines its own enums: {enums}"


def test_the_vocabulary_is_pure() -> None:
    tree = ast.parse((SRC / "domain" / "vocabulary.py").read_text(encoding="utf-8"))
    imported = {
        (n.module or "") if isinstance(n, ast.ImportFrom) else a.name
        for n in ast.walk(tree)
        if isinstance(n, ast.Import | ast.ImportFrom)
        for a in n.names
    }
    assert {m.split(".")[0] for m in imported} <= {"__future__", "enum", "dataclasses"}, imported


def test_every_run_event_has_exactly_one_move_from_every_state() -> None:
    for before in (None, *FlagState):
        for event in RUN_EVENTS:
            if before is None and event == FlagEvent.GONE:
                continue  # only a stored flag can vanish
            found = [m for m in FLAG_MOVES if m.before == before and m.event == event]
            assert len(found) == 1, (before, event, found)
            assert v.run_move(before, event) == found[0].after


def test_the_three_former_disagreements_are_decided_once() -> None:
    """engine/episodes.py and actions/flags.py each had a table; they disagreed on these."""
    S = FlagState
    assert S.RESOLVED not in v.person_moves(S.IN_PROGRESS)  # 解消 is the run's finding
    assert S.ACKNOWLEDGED in v.person_moves(S.IN_PROGRESS)  # work paused
    assert S.ACKNOWLEDGED in v.person_moves(S.NOT_NEEDED)  # a dismissal undone
    assert all(m.after != S.RESOLVED for m in FLAG_MOVES if m.event == FlagEvent.PERSON)
    assert v.person_moves(S.RESOLVED) == frozenset()


def test_no_other_module_keeps_a_flag_state_table() -> None:
    """One table: no dict keyed by flag states, no Japanese state labels as codes, elsewhere."""
    found = []
    for path in SRC.rglob("*.py"):
        if path == SRC / "domain" / "vocabulary.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict):
                keys = [ast.unparse(k) for k in node.keys if k is not None]
                if sum(k.startswith("FlagState.") for k in keys) >= 2:
                    found.append(f"{path.relative_to(SRC)}:{node.lineno} dict keyed by states")
            if isinstance(node, ast.Constant) and node.value in STATE_LABELS_JA:
                found.append(f"{path.relative_to(SRC)}:{node.lineno} state label {node.value!r}")
    assert found == []


def _documented_moves() -> set[tuple[str | None, str, str]]:
    text = (DOCS / "monitoring.md").read_text(encoding="utf-8")
    section = text.split("## フラグの状態 / Flag states", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    header, rows = rows[0], rows[2:]
    events = [c.split("/")[-1].strip() for c in header.strip("|").split("|")[1:]]
    moves = set()
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        before = re.findall(r"`(\w+)`", cells[0])
        for event, cell in zip(events, cells[1:], strict=True):
            for after in re.findall(r"`(\w+)`", cell):
                moves.add((before[0] if before else None, event, after))
    return moves


def test_the_documented_table_is_the_table() -> None:
    table = {(m.before and m.before.value, m.event.value, m.after.value) for m in FLAG_MOVES}
    assert _documented_moves() == table
