"""Jobs compute, actions write: no module of ``kizashi.jobs`` writes the store itself.

An ``ast`` walk of every job module for the ways a store write is spelled: adding, merging or
deleting through a session, flushing, raw driver SQL, SQLAlchemy's ``insert``/``update``/
``delete`` constructs (imported or as attributes), SQL text that changes rows, and building a
row of ``kizashi.store.models`` (``MonitoringRun(...)``). Reads (``select``) stay allowed.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "kizashi"

_SESSION_WRITES = {"add", "add_all", "merge", "delete", "flush", "bulk_save_objects"}
_CONSTRUCTS = {"insert", "update", "delete"}
_SQL_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|MERGE|UPSERT)\b", re.IGNORECASE)
_SESSIONISH = re.compile(r"^(s|session|conn|connection|db|sess)$|session")


def store_writes(source: str) -> list[str]:
    """Where ``source`` writes the store directly (line: what)."""
    tree = ast.parse(source)
    models: set[str] = set()
    constructs: set[str] = set()
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                name = alias.asname or alias.name
                if node.module.startswith("kizashi.store.models") and alias.name[:1].isupper():
                    models.add(name)
                if node.module.split(".")[0] == "sqlalchemy" and alias.name in _CONSTRUCTS:
                    constructs.add(name)
                    found.append(f"{node.lineno}: imports sqlalchemy {alias.name}")
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in models:
            found.append(f"{node.lineno}: builds a {func.id} row")
        if isinstance(func, ast.Name) and func.id in constructs:
            found.append(f"{node.lineno}: {func.id}(...)")
        if isinstance(func, ast.Attribute):
            receiver = ast.unparse(func.value)
            if func.attr in _SESSION_WRITES and _SESSIONISH.search(receiver.split(".")[-1]):
                found.append(f"{node.lineno}: {receiver}.{func.attr}(...)")
            if func.attr == "exec_driver_sql":
                found.append(f"{node.lineno}: {receiver}.exec_driver_sql(...)")
            if func.attr in _CONSTRUCTS and receiver in {"sa", "sqlalchemy"}:
                found.append(f"{node.lineno}: {receiver}.{func.attr}(...)")
        if (
            isinstance(func, ast.Name)
            and func.id == "text"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and _SQL_WRITE.search(node.args[0].value)
        ):
            found.append(f"{node.lineno}: text({node.args[0].value[:30]!r}...)")
    return found


def test_jobs_write_the_store_only_through_actions() -> None:
    problems = [
        f"{path.relative_to(SRC.parent)}:{where}"
        for path in sorted((SRC / "jobs").rglob("*.py"))
        for where in store_writes(path.read_text("utf-8"))
    ]
    assert problems == [], "jobs writing the store (use a do_* action):\n" + "\n".join(problems)


def test_the_check_finds_each_way_of_writing() -> None:
    """The check can fail: each spelling of a direct write is found."""
    source = """
from sqlalchemy import insert, select, update as upd
from kizashi.store.models import Flag, MonitoringRun

def job(store, session, s, conn):
    s.add(Flag(business_id=1))
    session.add_all([])
    store.session().merge(None)
    s.flush()
    conn.exec_driver_sql("INSERT INTO flag VALUES (1)")
    s.execute(insert(Flag), [])
    s.execute(upd(MonitoringRun).values(status="failed"))
    conn.execute(text("DELETE FROM flag"))
    s.execute(select(Flag.id))  # a read: allowed
    {1}.add(2)  # a set: allowed
"""
    found = store_writes(source)
    for what in (
        "imports sqlalchemy insert",
        "imports sqlalchemy update",
        "s.add(",
        "builds a Flag row",
        "session.add_all(",
        "merge(",
        "s.flush(",
        "exec_driver_sql",
        "insert(...)",
        "upd(...)",
        "text('DELETE",
    ):
        assert any(what in f for f in found), (what, found)
    assert not any("select" in f or "{1}" in f for f in found)
