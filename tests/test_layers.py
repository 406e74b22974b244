"""Imports point one way: web, cli, jobs → actions, access → store, engine, ingest, synth → domain.

An ``ast`` walk of every module's imports, so the layering cannot rot silently.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "kizashi"

LEVEL = {
    "domain": 0,
    "settings": 0,
    "store": 1,
    "engine": 1,
    "ingest": 1,
    "synth": 1,
    "model": 1,
    "access": 2,
    "actions": 3,
    "jobs": 4,
    "documents": 4,  # the documents for the dialogue: access reads laid out as .xlsx / PDF
    "web": 5,
    "cli": 5,
}
# Within a level, packages may not import each other (they are independent parts), except:
ALLOWED_SIDEWAYS = {
    ("cli", "web"),  # `kizashi serve` starts the web app
    ("model", "engine"),  # the risk model reads the indicator catalogue (features, directions)
}


def _package(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "kizashi" or len(parts) < 2:
        return None
    return parts[1]


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text("utf-8"))
    rel = path.relative_to(SRC.parent).with_suffix("")
    here = list(rel.parts)
    if here[-1] == "__init__":
        here = here[:-1]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - node.level + (1 if path.name == "__init__.py" else 0)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.append((node.lineno, mod))
    return out


def test_every_package_has_a_level():
    packages = {p.name for p in SRC.iterdir() if (p.is_dir() and (p / "__init__.py").exists())}
    packages |= {p.stem for p in SRC.glob("*.py") if p.stem != "__init__"}
    assert packages <= set(LEVEL), f"give these a level in LEVEL: {packages - set(LEVEL)}"


def test_imports_point_one_way():
    problems = []
    for path in SRC.rglob("*.py"):
        src_pkg = _package(".".join(path.relative_to(SRC.parent).with_suffix("").parts))
        if src_pkg is None or src_pkg not in LEVEL:
            continue
        for line, mod in _imports(path):
            dst_pkg = _package(mod)
            if dst_pkg is None or dst_pkg == src_pkg or dst_pkg not in LEVEL:
                continue
            if LEVEL[dst_pkg] > LEVEL[src_pkg] or (
                LEVEL[dst_pkg] == LEVEL[src_pkg] and (src_pkg, dst_pkg) not in ALLOWED_SIDEWAYS
            ):
                problems.append(f"{path.relative_to(SRC.parent)}:{line}: {src_pkg} imports {mod}")
    assert not problems, "imports against the layering:\n" + "\n".join(problems)
