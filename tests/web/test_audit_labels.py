"""Every action the code records has a name on the auditor's page; the admin and audit pages
speak Japanese only (login IDs aside)."""

from __future__ import annotations

import ast
from pathlib import Path

from fastapi.testclient import TestClient

from kizashi.web.audit_labels import ACTIONS, DECISIONS, PROBLEMS
from kizashi.web.i18n import catalogue

from .conftest import WebWorld, login
from .japanese_only import latin_words, visible_text

SRC = Path(__file__).resolve().parents[2] / "src" / "kizashi"
LOGINS = {"a_officer", "a_admin", "a_auditor", "cgc_officer", "owner", "b_officer"}


def recorded_actions() -> dict[str, str]:
    """Action codes written as constants where audit records are made (``audit_write(s,
    actor, "…")``, ``action="…"``, ``action = "…"``, the login and audit-read helpers):
    code → where."""
    found: dict[str, str] = {}
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if (  # action = "open_case" (then passed on)
                isinstance(node, ast.Assign)
                and [ast.unparse(x) for x in node.targets] == ["action"]
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                found.setdefault(node.value.value, f"{path.relative_to(SRC)}:{node.lineno}")
            if not isinstance(node, ast.Call):
                continue
            name = ast.unparse(node.func).split(".")[-1]
            args: list[ast.expr] = [k.value for k in node.keywords if k.arg == "action"]
            if name in ("audit_write", "_note") and len(node.args) >= 3:
                args.append(node.args[2])
            if name == "_audit" and len(node.args) >= 2:
                args.append(node.args[1])
            for a in args:
                if isinstance(a, ast.Constant) and isinstance(a.value, str):
                    found.setdefault(a.value, f"{path.relative_to(SRC)}:{node.lineno}")
    return found


def test_every_recorded_action_has_a_name() -> None:
    found = recorded_actions()
    assert {"add_user", "login", "read_financials", "monitoring_run"} <= set(found)
    missing = {code: where for code, where in found.items() if code not in ACTIONS}
    assert not missing, f"name these actions in kizashi/web/audit_labels.py ACTIONS: {missing}"


def test_the_names_are_translated() -> None:
    ja = catalogue("ja")
    for message in (*ACTIONS.values(), *DECISIONS.values(), *PROBLEMS.values()):
        assert message in ja, message


def test_admin_and_audit_pages_speak_japanese(client: TestClient, web_world: WebWorld) -> None:
    login(client, "a_admin")
    text = visible_text(client.get("/admin/users").text)
    assert latin_words(text, LOGINS) == [], latin_words(text, LOGINS)
    client.cookies.clear()
    login(client, "a_auditor")
    page = client.get("/audit").text
    assert 'data-action="login"' in page
    text = visible_text(page)
    assert latin_words(text, LOGINS) == [], latin_words(text, LOGINS)
