"""Schemathesis over the administrator's (users, teams) and the auditor's routes, logged in as
each: the routes' own logic (not only their 404 for others, which ``test_api_contract`` covers)
keeps the contract — no 5xx, schema-invalid requests refused, declared responses only."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .test_api_contract import CONFIG, live_server, log_in  # noqa: F401  (the fixture)

MAX_EXAMPLES = 20


@pytest.mark.slow
@pytest.mark.parametrize("user", ["a_admin", "a_auditor"])
def test_schemathesis_on_admin_and_audit_routes(
    live_server: str,  # noqa: F811  (the fixture imported above)
    user: str,
    tmp_path: Path,
) -> None:
    session, csrf = log_in(live_server, user)
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG.format(max_examples=MAX_EXAMPLES, session=session, csrf=csrf), "utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "--config-file",
            str(config),
            "run",
            f"{live_server}/api/v1/openapi.json",
            "--workers",
            "1",
            "--request-timeout",
            "60",
            "--no-color",
            "--include-path-regex",
            "^/api/v1/(admin/users|admin/teams|audit)",
            "--report-dir",
            str(tmp_path / "report"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-12000:]
    summary = out[out.rfind("SUMMARY") :]
    assert "Tested: 0" not in summary, summary
