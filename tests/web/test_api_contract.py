"""The API keeps its own contract: Schemathesis (v4) against a live uvicorn server.

Every phase (examples, coverage, fuzzing, stateful) and every check runs against ``/api/v1``
as served by uvicorn over the web test world, logged in as an officer and as a business owner
(session cookie and CSRF header given to Schemathesis as the schema's own security schemes,
so it also tries requests without them). Generation is deterministic and bounded, so a
failure repeats and the run stays short. Zero failures is the bar.

One allowance, stated in the config below: an upload's (or a money file's) 422 ("the report
has errors") depends on the file's content, which no schema can describe; schemathesis would
call that a valid request rejected.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from kizashi.settings import Settings
from kizashi.store.db import Store
from kizashi.web.api.contract import MAX_ID, ValidationErrorOut
from kizashi.web.app import create_app

from ..conftest import BACKENDS
from .conftest import PASSWORD, WebWorld, build_web_world, login
from .live_server import serve_app
from .test_uploads import TB, api_csrf, post_api

MAX_EXAMPLES = 8
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
stateful.max-steps = 5

[checks]
enabled = true

[auth.openapi.session]
api_key = "{session}"

[auth.openapi.csrf]
api_key = "{csrf}"

[[operations]]
include-name = "POST /api/v1/businesses/{{business_id}}/submissions"
checks.positive_data_acceptance.enabled = false

[[operations]]
include-name = "POST /api/v1/loans/import"
checks.positive_data_acceptance.enabled = false

[[operations]]
include-name = "POST /api/v1/credit-events/import"
checks.positive_data_acceptance.enabled = false

[[operations]]
include-name = "POST /api/v1/businesses/{{business_id}}/money-files"
checks.positive_data_acceptance.enabled = false

[[operations]]
include-name = "POST /api/v1/plans/{{plan_id}}/import"
checks.positive_data_acceptance.enabled = false
"""


@pytest.fixture
def live_server(settings: Settings, store: Store) -> Iterator[str]:
    """The web app over the test world, served by uvicorn on a free loopback port."""
    build_web_world(store)
    with serve_app(
        create_app(settings, store), lifespan="on", start_within=30, stop_within=30
    ) as base:
        yield base


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


# Each user on one backend (both users on the one backend when only one runs): a full run takes
# a minute, and what differs between the backends is checked route by route elsewhere
# (test_authorisation_matrix, test_access_matrix and the API tests run on both).
PAIRS = (
    [("sqlite", "owner"), ("postgres", "cgc_officer")]
    if {"sqlite", "postgres"} <= set(BACKENDS)
    else [(b, u) for b in BACKENDS for u in ("cgc_officer", "owner")]
)


@pytest.mark.slow
@pytest.mark.parametrize(("store", "user"), PAIRS, indirect=["store"])
def test_schemathesis_finds_no_failures(live_server: str, user: str, tmp_path: Path) -> None:
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
    assert "Tested: 0" not in summary, summary
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert phase in summary, summary


# Each finding of the Schemathesis report, as a plain test that names itself when it regresses.


def _is_field_errors(r: httpx.Response, *loc: str | int) -> bool:
    body = ValidationErrorOut.model_validate(r.json())  # the declared 422 shape, exactly
    return r.status_code == 422 and any(tuple(e.loc) == loc for e in body.detail)


def test_numbers_beyond_the_database_are_422_not_500(
    client: TestClient, web_world: WebWorld
) -> None:
    login(client, "cgc_officer")
    huge = 2**63
    assert _is_field_errors(client.get(f"/api/v1/businesses?page={huge}"), "query", "page")
    for beyond in (MAX_ID + 1, huge):  # PostgreSQL's INTEGER, SQLite's INTEGER
        r = client.get(f"/api/v1/businesses/{beyond}/flags")
        assert _is_field_errors(r, "path", "business_id")
    assert _is_field_errors(
        client.get(f"/api/v1/businesses/{web_world.business_id}/submissions?offset={huge}"),
        "query",
        "offset",
    )
    r = client.post(
        f"/api/v1/flags/{2**64}/state", json={"state": "acknowledged"}, headers=api_csrf(client)
    )
    assert _is_field_errors(r, "path", "flag_id")
    assert client.get(f"/api/v1/businesses/{MAX_ID}").status_code == 404  # in range: not found


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "/api/v1/me/locale", b'{"locale": "en"}'),
        ("POST", "/api/v1/flags/{flag}/state", b'{"state": "acknowledged"}'),
    ],
)
def test_json_with_another_content_type_is_415(
    client: TestClient, web_world: WebWorld, method: str, path: str, body: bytes
) -> None:
    login(client, "cgc_officer")
    url = path.format(flag=web_world.flag_id)
    csrf = api_csrf(client)
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = {**csrf, **({"Content-Type": content_type} if content_type else {})}
        r = client.request(method, url, content=body, headers=headers)
        assert r.status_code == 415, (content_type, r.text)
        assert r.json() == {"detail": "send the body as application/json"}
    not_utf8 = client.request(
        method, url, content=b"\xff\xfe{", headers={**csrf, "Content-Type": "application/json"}
    )
    assert _is_field_errors(not_utf8, "body")
    assert not_utf8.json()["detail"][0]["type"] == "json_invalid"
    assert client.get("/api/v1/me").json()["locale"] == "ja"  # nothing changed


def test_a_route_s_own_refusals_have_the_declared_422_shape(
    client: TestClient, web_world: WebWorld
) -> None:
    login(client, "cgc_officer")
    r = client.post(
        f"/api/v1/flags/{web_world.flag_id}/state",
        json={"state": "not_needed", "reason": " \u3000 "},
        headers=api_csrf(client),
    )
    assert _is_field_errors(r, "body", "not_needed", "reason")
    spec = client.get("/api/v1/openapi.json").json()
    declared = spec["paths"]["/api/v1/flags/{flag_id}/state"]["post"]["responses"]["422"]
    assert declared["content"]["application/json"]["schema"]["$ref"].endswith("/ValidationErrorOut")


def test_timestamps_carry_their_time_zone(client: TestClient, web_world: WebWorld) -> None:
    login(client, "owner")
    assert post_api(client, web_world.business_id, [("tb.csv", TB)]).status_code == 201
    items = client.get(f"/api/v1/businesses/{web_world.business_id}/submissions").json()["items"]
    assert items
    for item in items:
        stamp = datetime.fromisoformat(item["uploaded_at"])
        assert stamp.utcoffset() == timedelta(0), item["uploaded_at"]


def test_json_and_pages_are_not_cached(client: TestClient, web_world: WebWorld) -> None:
    assert client.get("/api/v1/me").headers["cache-control"] == "no-store"  # 401 too
    login(client, "cgc_officer")
    for url in ("/api/v1/me", f"/api/v1/businesses/{web_world.business_id}", "/portfolio"):
        assert client.get(url).headers["cache-control"] == "no-store", url
    assert "no-store" not in client.get("/static/kizashi.css").headers.get("cache-control", "")


def test_a_405_lists_every_method_of_the_path(client: TestClient, web_world: WebWorld) -> None:
    login(client, "cgc_officer")
    r = client.request("DELETE", f"/api/v1/businesses/{web_world.business_id}/submissions")
    assert r.status_code == 405 and r.headers["allow"] == "GET, POST"


@pytest.mark.parametrize(
    ("headers", "allowed"),
    [
        ({}, True),  # no Origin, no Referer: a script; the CSRF token still decides
        ({"Origin": "http://testserver"}, True),
        ({"Origin": "http://TESTSERVER:80"}, True),
        ({"Referer": "http://testserver/portfolio"}, True),
        ({"Origin": "https://evil.example"}, False),
        ({"Origin": "http://testserver.evil.example"}, False),
        ({"Origin": "https://testserver"}, False),  # another scheme is another origin
        ({"Origin": "null"}, False),
        ({"Referer": "https://evil.example/form"}, False),
        ({"Origin": "https://kizashi.example.jp"}, True),  # settings.trusted_origins
    ],
)
def test_unsafe_requests_from_another_origin_are_refused(
    settings: Settings, store: Store, web_world: WebWorld, headers: dict[str, str], allowed: bool
) -> None:
    settings.trusted_origins = ["https://kizashi.example.jp"]
    with TestClient(create_app(settings, store), follow_redirects=False) as client:
        login(client, "cgc_officer")
        r = client.put(
            "/api/v1/me/locale", json={"locale": "en"}, headers={**api_csrf(client), **headers}
        )
        if allowed:
            assert r.status_code == 200, r.text
            assert client.get("/api/v1/me").json()["locale"] == "en"
        else:
            assert r.status_code == 403 and r.json() == {"detail": "Origin not allowed"}
            assert client.get("/api/v1/me").json()["locale"] == "ja"
            # pages too: a form posted from another site is refused the same way
            page = client.post("/logout", headers=headers)
            assert page.status_code == 403
            assert client.get("/api/v1/me").status_code == 200  # still logged in


def test_name_patterns_mean_the_same_to_python_rust_and_the_server() -> None:
    """The schema's patterns are read by Python's re (generation), Rust's regex (pydantic,
    validation) and the server's own rules: for every single character they must agree."""
    from typing import Annotated

    from pydantic import Field, TypeAdapter, ValidationError

    from kizashi.ingest.mapping import normalise_name
    from kizashi.web.api.contract import ACCOUNT_NAME, NON_BLANK

    rust_name = TypeAdapter(Annotated[str, Field(pattern=ACCOUNT_NAME)])
    rust_reason = TypeAdapter(Annotated[str, Field(pattern=NON_BLANK)])

    def rust(adapter: TypeAdapter[str], text: str) -> bool:
        try:
            adapter.validate_python(text)
        except ValidationError:
            return False
        return True

    python_name, python_reason = re.compile(ACCOUNT_NAME), re.compile(NON_BLANK)
    for cp in range(sys.maxunicode + 1):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        server_name = c != "\x00" and normalise_name(c.strip()) != ""
        assert bool(python_name.search(c)) == server_name == rust(rust_name, c), hex(cp)
        server_reason = c != "\x00" and bool(c.strip())
        assert bool(python_reason.search(c)) == server_reason == rust(rust_reason, c), hex(cp)
    assert rust(rust_name, "・\t販促費") and not rust(rust_name, "販促費\x00")
