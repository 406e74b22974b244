"""docs/architecture.md names every module of src/kizashi, and every module it names exists.

The page describes each package in a bullet that starts with ``- **`package`**``. A module is
named when that bullet has it in backticks as a path relative to the package, or as a tail of
that path that no other module of the package shares: ``web/api/businesses.py`` may be written
`` `api/businesses.py` `` in the ``web`` bullet, but not `` `businesses.py` `` (``api``, ``pages``
and ``views`` each have one). Alembic revisions (``store/migrations/versions``) are data, not
modules. Top-level modules (``settings.py``) are named as `` `kizashi.settings` ``.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "kizashi"
DOC = ROOT / "docs" / "architecture.md"
BULLET = re.compile(r"- \*\*`([a-z_]+)`\*\*")
PY_TOKEN = re.compile(r"`([A-Za-z0-9_./]+\.py)`")


def _modules() -> dict[str, list[str]]:
    """Package → its modules, as paths relative to the package (``api/businesses.py``)."""
    out: dict[str, list[str]] = {}
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if path.name == "__init__.py" or "/migrations/versions/" in f"/{rel}":
            continue
        pkg, _, rest = rel.partition("/")
        if rest:
            out.setdefault(pkg, []).append(rest)
    return out


def _bullets(text: str) -> dict[str, str]:
    """Package → the text of its bullet (up to the next package bullet or heading)."""
    out: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        m = BULLET.match(line)
        if m:
            current = m.group(1)
            out.setdefault(current, [])
        elif line.startswith("#"):
            current = None
        if current:
            out[current].append(line)
    return {k: "\n".join(v) for k, v in out.items()}


def _matches(token: str, modules: list[str]) -> list[str]:
    return [m for m in modules if m == token or m.endswith("/" + token)]


def test_every_module_is_named_in_its_package_bullet() -> None:
    bullets = _bullets(DOC.read_text("utf-8"))
    missing = []
    for pkg, modules in _modules().items():
        tokens = PY_TOKEN.findall(bullets.get(pkg, ""))
        named = {m for t in tokens if len(found := _matches(t, modules)) == 1 for m in found}
        missing += [f"{pkg}/{m}" for m in modules if m not in named]
    assert not missing, (
        "docs/architecture.md does not name these modules in their package's bullet "
        f"(write `path/within/package.py` and a few words): {missing}"
    )


def test_every_module_the_page_names_exists() -> None:
    bullets = _bullets(DOC.read_text("utf-8"))
    modules = _modules()
    unknown = []
    for pkg, text in bullets.items():
        for token in PY_TOKEN.findall(text):
            if token.startswith("tests/"):
                continue  # a test named beside the code it checks
            if token.endswith("__init__.py") and (SRC / pkg / token).exists():
                continue  # a package's own module (a router list, a registry)
            if not _matches(token, modules.get(pkg, [])):
                unknown.append(f"{pkg}: {token}")
    assert not unknown, f"docs/architecture.md names modules that do not exist: {unknown}"


def test_top_level_modules_are_named() -> None:
    text = DOC.read_text("utf-8")
    top = [p.stem for p in SRC.glob("*.py") if p.name != "__init__.py"]
    assert top
    assert not [m for m in top if f"kizashi.{m}" not in text]


def test_the_check_can_fail() -> None:
    """A module missing from a bullet, an ambiguous tail and a module that does not exist."""
    modules = ["api/businesses.py", "pages/businesses.py", "deps.py"]
    assert _matches("businesses.py", modules) == ["api/businesses.py", "pages/businesses.py"]
    assert _matches("api/businesses.py", modules) == ["api/businesses.py"]
    assert _matches("deps.py", modules) == ["deps.py"]
    assert _matches("gone.py", modules) == []
    text = "- **`web`** — `deps.py`, `api/businesses.py`.\n## Next\n`pages/businesses.py`"
    assert _bullets(text) == {"web": "- **`web`** — `deps.py`, `api/businesses.py`."}
