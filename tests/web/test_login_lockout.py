"""Login lockout per login ID, throttle per address, admin unlock; every step audited."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from kizashi.access import Actor
from kizashi.actions.organisations import do_add_user, org_by_code
from kizashi.domain.vocabulary import Role
from kizashi.store.models import AuditEvent, LoginThrottle, User
from kizashi.web.app import create_app

from .conftest import PASSWORD, csrf_from, login

MAX = 4  # failures that lock a login ID in these tests
WRONG = "wrong-password"
LOCKED_JA = "このログインIDはロックされています"
WRONG_JA = "ログインIDまたはパスワードが正しくありません"


@pytest.fixture
def strict(settings):  # type: ignore[no-untyped-def]
    return settings.model_copy(
        update={"login_max_failures": MAX, "login_address_max_failures": 1000}
    )


@pytest.fixture
def web(strict, store, web_world) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(create_app(strict, store), follow_redirects=False) as c:
        yield c


def _try(client: TestClient, login_name: str, password: str, **headers: str):  # type: ignore[no-untyped-def]
    token = csrf_from(client.get("/login").text)
    return client.post(
        "/login",
        data={"login": login_name, "password": password, "csrf_token": token},
        headers=headers,
    )


def _events(store, *actions: str) -> list[tuple[str, str, dict]]:  # type: ignore[no-untyped-def]
    with store.session() as s:
        rows = s.execute(
            select(AuditEvent).where(AuditEvent.action.in_(actions)).order_by(AuditEvent.id)
        ).scalars()
        return [(e.action, e.decision, json.loads(e.detail)) for e in rows]


def _uid(store, login_name: str) -> int:  # type: ignore[no-untyped-def]
    with store.session() as s:
        return s.execute(select(User.id).where(User.login == login_name)).scalar_one()


def test_the_nth_failure_locks_and_then_even_the_right_password_is_refused(web, store) -> None:  # type: ignore[no-untyped-def]
    for _ in range(MAX - 1):
        r = _try(web, "cgc_officer", WRONG)
        assert r.status_code == 401 and WRONG_JA in r.text
    r = _try(web, "cgc_officer", WRONG)  # the Nth
    assert r.status_code == 401 and LOCKED_JA in r.text and "管理者" in r.text
    r = _try(web, "cgc_officer", PASSWORD)
    assert r.status_code == 401 and LOCKED_JA in r.text
    assert web.get("/api/v1/me").status_code == 401
    events = _events(store, "login", "login_failed", "login_locked")
    assert [(a, d) for a, d, _ in events] == [
        *[("login_failed", "deny")] * MAX,
        ("login_locked", "deny"),
        ("login_failed", "deny"),
    ]
    assert [d["reason"] for a, _, d in events if a == "login_failed"] == [
        *["bad_password"] * MAX,
        "locked",
    ]
    assert all(d["login"] == "cgc_officer" and d["address"] == "testclient" for *_, d in events)
    assert events[MAX][2]["failures"] == MAX


def test_an_unknown_login_id_locks_the_same_way(web, store) -> None:  # type: ignore[no-untyped-def]
    """Nothing tells an existing ID from a made-up one: same pages, same lockout."""
    pages = {}
    for name in ("cgc_officer", "nobody-here"):
        pages[name] = [_try(web, name, WRONG) for _ in range(MAX + 1)]
    for real, made_up in zip(pages["cgc_officer"], pages["nobody-here"], strict=True):
        assert real.status_code == made_up.status_code == 401
        assert real.text.replace("cgc_officer", "") == made_up.text.replace("nobody-here", "")
    assert LOCKED_JA in pages["nobody-here"][-1].text
    reasons = [d["reason"] for a, _, d in _events(store, "login_failed") if a == "login_failed"]
    assert reasons.count("unknown_login") == MAX
    locked = [d["login"] for _, _, d in _events(store, "login_locked")]
    assert locked == ["cgc_officer", "nobody-here"]


def test_a_success_clears_the_count_and_the_lock_runs_out(web, store) -> None:  # type: ignore[no-untyped-def]
    for _ in range(MAX - 1):
        _try(web, "cgc_officer", WRONG)
    assert _try(web, "cgc_officer", PASSWORD).status_code == 303
    web.post("/logout", data={"csrf_token": csrf_from(web.get("/portfolio").text)})
    for _ in range(MAX - 1):
        assert _try(web, "cgc_officer", WRONG).status_code == 401
    assert _try(web, "cgc_officer", PASSWORD).status_code == 303  # not locked: count restarted
    web.post("/logout", data={"csrf_token": csrf_from(web.get("/portfolio").text)})
    for _ in range(MAX):
        _try(web, "cgc_officer", WRONG)
    assert LOCKED_JA in _try(web, "cgc_officer", PASSWORD).text
    with store.session() as s:  # the lockout period passes
        s.execute(
            update(LoginThrottle).values(locked_until=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert _try(web, "cgc_officer", PASSWORD).status_code == 303
    with store.session() as s:
        assert s.execute(select(LoginThrottle).where(LoginThrottle.scope == "account")).all() == []


def test_lockout_zero_means_until_an_administrator_unlocks(strict, store, web_world, cli) -> None:  # type: ignore[no-untyped-def]
    app = create_app(strict.model_copy(update={"login_lockout_seconds": 0}), store)
    with TestClient(app, follow_redirects=False) as web:
        for _ in range(MAX):
            _try(web, "a_officer", WRONG)
        with store.session() as s:
            row = s.execute(
                select(LoginThrottle).where(LoginThrottle.key == "a_officer")
            ).scalar_one()
            assert row.locked_at is not None and row.locked_until is None
        assert LOCKED_JA in _try(web, "a_officer", PASSWORD).text
        result = cli("user", "unlock", "a_officer")
        assert result.exit_code == 0, result.output
        assert "ログインID「a_officer」のロックを解除しました" in result.output
        assert _try(web, "a_officer", PASSWORD).status_code == 303
        again = cli("user", "unlock", "a_officer")
        assert "ロックされていませんでした" in again.output
        unknown = cli("user", "unlock", "nobody")
        assert unknown.exit_code == 1 and "利用者はいません" in unknown.output
    unlocks = _events(store, "unlock_login")
    assert [(d["target_login"], d["was_locked"], d["failures"]) for _, _, d in unlocks] == [
        ("a_officer", True, MAX),
        ("a_officer", False, 0),
    ]
    assert all(d["login"] == "system" for _, _, d in unlocks)


def test_the_administrator_unlocks_through_the_api(web, store) -> None:  # type: ignore[no-untyped-def]
    with store.session() as s:  # an administrator in another organisation
        do_add_user(
            s,
            Actor.system(),
            org=org_by_code(s, "bank-c"),
            login="c_admin",
            password=PASSWORD,
            display_name="C管理者",
            role=Role.ADMIN,
        )
    for _ in range(MAX):
        _try(web, "a_officer", WRONG)
    target = _uid(store, "a_officer")
    url = f"/api/v1/admin/users/{target}/unlock"
    assert web.post(url).status_code in (401, 403)  # no login (and no CSRF header)

    def as_user(name: str) -> tuple[TestClient, dict[str, str]]:
        c = TestClient(web.app, follow_redirects=False)
        login(c, name)
        return c, {"X-CSRF-Token": c.get("/api/v1/me").json()["csrf_token"]}

    for name in ("b_officer", "c_admin", "a_auditor"):
        c, headers = as_user(name)
        r = c.post(url, headers=headers)
        assert r.status_code == 404 and r.json() == {"detail": "Not Found"}, name
    admin, headers = as_user("a_admin")
    assert admin.post(url).status_code == 403  # the CSRF header is required
    assert admin.post("/api/v1/admin/users/999999/unlock", headers=headers).status_code == 404
    assert LOCKED_JA in _try(TestClient(web.app), "a_officer", PASSWORD).text
    r = admin.post(url, headers=headers)
    assert r.status_code == 200
    assert r.json() == {"user_id": target, "login": "a_officer", "was_locked": True}
    assert (
        _try(TestClient(web.app, follow_redirects=False), "a_officer", PASSWORD).status_code == 303
    )
    denials = _events(store, "manage_user")
    assert [(d, det["login"]) for _, d, det in denials] == [
        ("deny", "b_officer"),
        ("deny", "c_admin"),
        ("deny", "a_auditor"),
        ("deny", "a_admin"),  # the user that does not exist
    ]
    ((_, decision, detail),) = _events(store, "unlock_login")
    assert decision == "write" and detail["login"] == "a_admin" and detail["was_locked"] is True


def test_too_many_failures_from_one_address_get_429(settings, store, web_world) -> None:  # type: ignore[no-untyped-def]
    strict = settings.model_copy(
        update={"login_max_failures": 100, "login_address_max_failures": 3}
    )
    with TestClient(create_app(strict, store), follow_redirects=False) as web:
        for name in ("x1", "x2", "x3"):  # different IDs: no account is locked
            assert _try(web, name, WRONG).status_code == 401
        r = _try(web, "cgc_officer", PASSWORD)  # even the right password
        assert r.status_code == 429
        retry = int(r.headers["retry-after"])
        assert 0 < retry <= strict.login_failure_window_seconds
        assert "この接続元からのログインの失敗が多すぎます" in r.text and "分後" in r.text
        assert 'name="login" value="cgc_officer"' in r.text
        en = web.get("/login?lang=en")
        assert en.status_code == 200
        r = _try(web, "cgc_officer", PASSWORD)
        assert r.status_code == 429
        assert "Too many failed logins from this address" in r.text
        assert "この接続元" not in r.text
        # Another address is not affected (behind a proxy, uvicorn's --proxy-headers decides).
    with TestClient(
        create_app(strict, store), follow_redirects=False, client=("192.0.2.7", 5000)
    ) as other:
        assert _try(other, "cgc_officer", PASSWORD).status_code == 303
    throttled = _events(store, "login_throttled")
    assert [(d["address"], d["failures"]) for _, _, d in throttled] == [("testclient", 3)]
    # The refused attempts were not checked, so not counted as failures of the ID or audited.
    assert len(_events(store, "login_failed")) == 3
    with store.session() as s:
        row = s.execute(select(LoginThrottle).where(LoginThrottle.scope == "address")).scalar_one()
        assert row.key == "testclient" and row.failures == 3


def test_the_window_ends_the_address_throttle(settings, store, web_world) -> None:  # type: ignore[no-untyped-def]
    strict = settings.model_copy(update={"login_address_max_failures": 2})
    with TestClient(create_app(strict, store), follow_redirects=False) as web:
        _try(web, "x1", WRONG)
        _try(web, "x2", WRONG)
        assert _try(web, "cgc_officer", PASSWORD).status_code == 429
        with store.session() as s:
            s.execute(
                update(LoginThrottle).values(
                    window_started_at=datetime.now(UTC) - timedelta(hours=1)
                )
            )
        assert _try(web, "cgc_officer", PASSWORD).status_code == 303


def test_lockout_is_shared_by_every_process_and_counted_once(strict, store, web_world) -> None:  # type: ignore[no-untyped-def]
    """Failures arrive at once through two app instances with their own connection pools
    (as two web workers): the count is atomic, the ID is locked once, by exactly one of them."""
    from kizashi.store.db import Store
    from tests.conftest import TEST_AUDIT_KEY

    second = Store(store.url, audit_key=TEST_AUDIT_KEY)
    apps = [create_app(strict, store), create_app(strict, second)]
    statuses: list[int] = []
    errors: list[BaseException] = []

    def attempt(i: int) -> None:
        try:
            with TestClient(apps[i % 2], follow_redirects=False) as c:
                statuses.append(_try(c, "b_officer", WRONG).status_code)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    try:
        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(3 * MAX)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        second.dispose()
    assert not errors, errors
    assert statuses == [401] * (3 * MAX)
    assert len(_events(store, "login_locked")) == 1
    failed = _events(store, "login_failed")
    assert len(failed) == 3 * MAX
    with TestClient(apps[0], follow_redirects=False) as c:
        assert LOCKED_JA in _try(c, "b_officer", PASSWORD).text
    with store.session() as s:
        row = s.execute(select(LoginThrottle).where(LoginThrottle.key == "b_officer")).scalar_one()
        bad = sum(1 for *_, d in failed if d["reason"] == "bad_password")
        assert row.failures == bad >= MAX


def test_a_successful_login_is_audited_with_its_session(client: TestClient, store) -> None:
    login(client, "cgc_officer")
    ((action, decision, detail),) = _events(store, "login")
    assert (action, decision, detail["login"], detail["address"]) == (
        "login",
        "allow",
        "cgc_officer",
        "testclient",
    )
    uid = _uid(store, "cgc_officer")
    with store.session() as s:
        event = s.execute(select(AuditEvent).where(AuditEvent.action == "login")).scalar_one()
    assert event.actor_user_id == uid
    assert isinstance(detail["session_id"], int)


def test_behind_a_trusted_proxy_the_forwarded_client_is_throttled(
    settings, store, web_world
) -> None:  # type: ignore[no-untyped-def]
    strict = settings.model_copy(
        update={"login_address_max_failures": 2, "trusted_proxies": ["127.0.0.1", "10.0.0.0/8"]}
    )
    app = create_app(strict, store)
    with TestClient(app, follow_redirects=False, client=("127.0.0.1", 4000)) as proxy:
        for _ in range(2):  # the client put a fake address first; the proxy chain appended its own
            xff = {"X-Forwarded-For": "198.51.100.1, 203.0.113.5, 10.1.2.3"}
            assert _try(proxy, "x1", WRONG, **xff).status_code == 401
        assert _try(proxy, "cgc_officer", PASSWORD, **xff).status_code == 429
        other = {"X-Forwarded-For": "203.0.113.9"}  # another client behind the same proxy
        assert _try(proxy, "cgc_officer", PASSWORD, **other).status_code == 303
    with TestClient(app, follow_redirects=False, client=("192.0.2.50", 4000)) as direct:
        # Not a trusted proxy: its X-Forwarded-For is ignored, so it cannot pose as the client.
        assert _try(direct, "cgc_officer", PASSWORD, **xff).status_code == 303
    addresses = [d["address"] for _, _, d in _events(store, "login_failed", "login")]
    assert addresses == ["203.0.113.5", "203.0.113.5", "203.0.113.9", "192.0.2.50"]


def test_trusted_proxies_must_be_addresses(settings) -> None:  # type: ignore[no-untyped-def]
    from pydantic import ValidationError

    from kizashi.settings import Settings

    with pytest.raises(ValidationError, match="not an IP address or network"):
        Settings(**{**settings.model_dump(), "trusted_proxies": ["proxy.example"]})
