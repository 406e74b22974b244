"""The audit writer of every write is public in ``store.audit``; nothing else builds its record."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from kizashi.access import Actor
from kizashi.store.audit import audit_write, verify_chain

SRC = Path(__file__).resolve().parents[2] / "src" / "kizashi"


def test_audit_write_appends_a_write_record_to_the_chain(store):
    actor = Actor(user_id=None, org_id=None, org_kind=None, role=None, login="ops")
    with store.session() as s:
        event = audit_write(s, actor, "add_thing", object_type="thing", object_id=7, n=1)
        assert (event.decision, event.object_id) == ("write", "7")
        assert json.loads(event.detail) == {"login": "ops", "n": 1}
    with store.session() as s:
        assert verify_chain(s)[1] == []


def test_no_module_outside_the_store_builds_a_write_record() -> None:
    """The write record is built once (``store.audit.audit_write``), not by a private wrapper."""
    found = []
    for path in SRC.rglob("*.py"):
        if path.parent.name == "store":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and ast.unparse(node.func).endswith("AuditRecord")
                and any(
                    k.arg == "decision" and ast.unparse(k.value) == "'write'" for k in node.keywords
                )
            ):
                found.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert found == []
    assert not (SRC / "actions" / "_audit.py").exists()
