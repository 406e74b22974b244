"""The API keeps its own contract: Schemathesis (v4) against a live uvicorn server.

Every phase (examples, coverage, fuzzing, stateful) and every check runs against ``/api/v1``
as served by uvicorn over the web test world, logged in as an officer and as a business owner
(session cookie and CSRF header given to Schemathesis as the schema's own security schemes,
so it also tries requests without them). Generation is deterministic and bounded, so a
failure repeats and the run stays short. Zero failures is the bar.

One allowance, stated in the config below: an upload's 422 ("the report has errors") depends
on the file's content, which no schema can describe; schemathesis would call that a valid
request rejected.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from kizashi.settings import Settings
from kizashi.store.db import Store
from kizashi.web.app import create_app

from .conftest import PASSWORD, build_web_world

pytestmark = pytest.mark.slow

MAX_EXAMPLES = 12
CONFIG = """
seed = 20261202
max-failures = 30

[generation]
deterministic = true
max-examples = {max_examples}
database = "none"

[phases]
examples.enabled = true
coverage.enabled = true
fuzzing.enabled = true
stateful.enabled = true
stateful.max-steps = 6

[checks]
enabled = true

[auth.openapi.session]
api_key = "{session}"

[auth.openapi.csrf]
api_key = "{csrf}"

[[operations]]
include-name = "POST /api/v1/businesses/{{business_id}}/submissions"
checks.positive_data_acceptance.enabled = false
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live_server(settings: Settings, store: Store) -> Iterator[str]:
    """The web app over the test world, served by uvicorn on a free loopback port."""
    build_web_world(store)
    app = create_app(settings, store)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)


def log_in(base: str, login: str) -> tuple[str, str]:
    """The session cookie and CSRF token of a real login through the login form."""
    with httpx.Client(base_url=base) as client:
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, "no CSRF token on the login page"
        r = client.post(
            "/login",
            data={"login": login, "password": PASSWORD, "csrf_token": token[1], "next": "/"},
        )
        assert r.status_code == 303, r.text
        me = client.get("/api/v1/me")
        assert me.status_code == 200, me.text
        cookie = client.cookies.get("kizashi_session")
        assert cookie
        return cookie, me.json()["csrf_token"]


@pytest.mark.parametrize("login", ["cgc_officer", "owner"])
def test_schemathesis_finds_no_failures(live_server: str, login: str, tmp_path: Path) -> None:
    session, csrf = log_in(live_server, login)
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        CONFIG.format(max_examples=MAX_EXAMPLES, session=session, csrf=csrf), "utf-8"
    )
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
            "--report-dir",
            str(tmp_path / "report"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-12000:]
    summary = out[out.rfind("SUMMARY") :]
    print(summary)
    assert "Tested: 0" not in summary, summary
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert phase in summary, summary
