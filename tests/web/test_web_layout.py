"""The web layer's layout holds (ADR 0008): no import cycles, routes take typed dependencies.

* No module of ``kizashi.web`` imports, at its top level, a module that imports it back
  (``auth``↔``state`` and ``pages``↔``pages_monitoring`` once did).
* Routes in ``web/api/`` and ``web/pages/`` name what they need through ``web/deps.py``
  (``CurrentUserDep``, ``StoreDep``, ``SettingsDep``, ``UnitOfWork`` …), not
  ``app_store(request)``, ``app_settings(request)`` or ``Depends(require_user)``. ``NOT_YET``
  listed the modules written before ``deps.py`` that still reached into the request; it is
  empty now and may only stay so (a module on it that no longer needs to be there fails).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
WEB = SRC / "kizashi" / "web"
AD_HOC = re.compile(r"\bapp_store\(|\bapp_settings\(|Depends\(require_user\)")
NOT_YET: set[str] = set()  # every route module takes its dependencies from deps.py


def _name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _graph() -> dict[str, set[str]]:
    """Module → the kizashi.web modules it imports at its top level."""
    modules = {_name(p): p for p in WEB.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        edges = set()
        for node in ast.parse(path.read_text("utf-8")).body:
            if isinstance(node, ast.ImportFrom):
                base = package.split(".")
                if node.level:
                    base = base[: len(base) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                for alias in node.names:
                    full = f"{target}.{alias.name}"
                    edges.add(full if full in modules else target)
            elif isinstance(node, ast.Import):
                edges |= {a.name for a in node.names}
        graph[name] = {e for e in edges if e in modules and e != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                found.append([*stack[stack.index(nxt) :], nxt])
            elif not state.get(nxt):
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if not state.get(node):
            visit(node)
    return found


def test_no_import_cycles_in_the_web_layer() -> None:
    graph = _graph()
    assert "kizashi.web.deps" in graph["kizashi.web.api.businesses"]
    assert not _cycles(graph)


def test_the_cycle_check_can_fail() -> None:
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b", "a"]]


def test_routes_take_typed_dependencies() -> None:
    ad_hoc = {
        p.relative_to(WEB).as_posix()
        for folder in ("api", "pages")
        for p in (WEB / folder).glob("*.py")
        if AD_HOC.search(p.read_text("utf-8"))
    }
    assert not ad_hoc - NOT_YET, f"use web/deps.py in {sorted(ad_hoc - NOT_YET)}"
    moved = {m for m in NOT_YET if (WEB / m).exists()} - ad_hoc
    assert not moved, f"these use web/deps.py now: take them off NOT_YET: {sorted(moved)}"
