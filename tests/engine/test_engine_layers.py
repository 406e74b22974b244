"""The engine's two halves: ``engine/spec`` declares, ``engine/exec`` executes.

``spec`` imports neither DuckDB, NumPy nor PyArrow nor anything of ``exec``, directly (an ``ast``
walk of every module) or through what it imports (a fresh interpreter loads every ``spec`` module
and looks at ``sys.modules``). ``exec`` may import ``spec``.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "src" / "kizashi" / "engine"
FORBIDDEN = ("duckdb", "numpy", "pyarrow", "kizashi.engine.exec")


def _imported(path: Path, root: Path = ENGINE) -> list[tuple[int, str]]:
    """Absolute module names ``path`` imports, relative imports resolved."""
    here = ["kizashi", "engine", *path.relative_to(root).with_suffix("").parts]
    package = here[:-1]
    out = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
                out.append((node.lineno, mod))
                out += [(node.lineno, f"{mod}.{a.name}") for a in node.names]
            else:
                out.append((node.lineno, node.module or ""))
    return out


def _forbidden(mod: str) -> bool:
    return any(mod == f or mod.startswith(f + ".") for f in FORBIDDEN)


def spec_import_problems(root: Path = ENGINE) -> list[str]:
    problems = []
    for path in sorted((root / "spec").rglob("*.py")):
        for line, mod in _imported(path, root):
            if _forbidden(mod):
                problems.append(f"{path.relative_to(root.parent)}:{line}: imports {mod}")
    return problems


def test_spec_imports_no_executor_and_no_array_library():
    problems = spec_import_problems()
    assert not problems, "engine/spec must only declare:\n" + "\n".join(problems)


def test_the_check_sees_a_forbidden_import(tmp_path):
    """The walk above can fail: a spec module importing exec (relatively) or numpy is caught."""
    (tmp_path / "engine" / "spec").mkdir(parents=True)
    (tmp_path / "engine" / "spec" / "bad.py").write_text(
        "from ..exec.run import run_monitoring\nimport numpy as np\n", "utf-8"
    )
    (tmp_path / "engine" / "spec" / "good.py").write_text("from .expr import parse\n", "utf-8")
    problems = spec_import_problems(tmp_path / "engine")
    assert [p.split(": imports ")[1] for p in problems] == [
        "kizashi.engine.exec.run",
        "kizashi.engine.exec.run.run_monitoring",
        "numpy",
    ]


def test_loading_every_spec_module_loads_no_array_library_nor_exec():
    modules = sorted(
        "kizashi.engine.spec"
        + "".join("." + p for p in path.relative_to(ENGINE / "spec").with_suffix("").parts)
        for path in (ENGINE / "spec").rglob("*.py")
        if path.name != "__init__.py"
    )
    assert "kizashi.engine.spec.packs" in modules
    code = (
        "import importlib, json, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = [m for m in json.loads(done.stdout) if _forbidden(m)]
    assert not loaded, f"loading engine.spec also loads {loaded}"


def test_exec_may_use_spec():
    uses = {
        mod
        for path in (ENGINE / "exec").rglob("*.py")
        for _, mod in _imported(path)
        if mod.startswith("kizashi.engine.spec")
    }
    assert "kizashi.engine.spec.packs" in uses
