"""docs/web.md lists every /api/v1 route of the app twice in its API section: in the Japanese
table (| メソッド | パス | 内容 |) and in the English one (| method | path | |), and lists no route
the app does not have. Routes are enumerated from the app, as the access matrix does."""

from __future__ import annotations

import re
from pathlib import Path

from tests.web.test_access_matrix import _ROUTES_CACHE

WEB_MD = Path(__file__).resolve().parents[1] / "docs" / "web.md"
ROW = re.compile(r"^\|\s*([A-Z]+)\s*\|\s*`(/api/v1[^`]*)`\s*\|")


def _key(method: str, path: str) -> tuple[str, str]:
    return method, re.sub(r"\{[^}]*\}", "{}", path)  # {id} in the docs, {business_id} in the app


def _tables() -> dict[str, set[tuple[str, str]]]:
    """The API section's route tables by their header: "ja" and "en"."""
    api = WEB_MD.read_text("utf-8").split("\n## API (`/api/v1`)", 1)[1].split("\n## ", 1)[0]
    tables: dict[str, set[tuple[str, str]]] = {}
    current: set[tuple[str, str]] | None = None
    for line in api.splitlines():
        if line.startswith("| メソッド | パス |"):
            current = tables.setdefault("ja", set())
        elif line.startswith("| method | path |"):
            current = tables.setdefault("en", set())
        elif not line.startswith("|"):
            current = None
        elif current is not None and (m := ROW.match(line)):
            current.add(_key(m[1], m[2]))
    return tables


def test_every_api_route_is_in_the_japanese_and_the_english_table() -> None:
    routes = {
        _key(*key.split(" ", 1))
        for key, _ in _ROUTES_CACHE
        if key.split(" ", 1)[1].startswith("/api/v1")
    }
    assert len(routes) > 100
    tables = _tables()
    assert set(tables) == {"ja", "en"}, (
        "docs/web.md's API section needs a Japanese and an English table"
    )
    for lang, rows in tables.items():
        missing = sorted(routes - rows)
        assert not missing, f"docs/web.md, API section, {lang} table: document {missing}"
        stale = sorted(rows - routes)
        assert not stale, f"docs/web.md, API section, {lang} table: no such route {stale}"


def test_the_check_sees_a_missing_row() -> None:
    """The table parser finds rows (so the check above can fail on a removed one)."""
    tables = _tables()
    assert ("GET", "/api/v1/businesses/{}") in tables["ja"]
    assert ("POST", "/api/v1/dialogues/{}/comments") in tables["en"]
    assert ("GET", "/api/v1/no-such-route") not in tables["ja"]
