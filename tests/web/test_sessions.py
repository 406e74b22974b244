"""Server-side sessions: logout, expiry, revocation, and what one request costs."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import event, select, update

from kizashi.access import Actor
from kizashi.actions.organisations import do_change_password, do_change_role, do_set_user_active
from kizashi.actions.sessions import TOUCH_SECONDS, hash_token
from kizashi.domain.vocabulary import Role
from kizashi.store.models import AuditEvent, User, WebSession
from kizashi.web.app import create_app
from kizashi.web.auth import SESSION_COOKIE

from .conftest import PASSWORD, csrf_from, login


def _me(client: TestClient) -> int:
    return client.get("/api/v1/me").status_code


def _copy(client: TestClient) -> TestClient:
    """A second browser holding a copy of the first one's cookie."""
    other = TestClient(client.app, follow_redirects=False)
    other.cookies.set(SESSION_COOKIE, client.cookies[SESSION_COOKIE])
    return other


def _sessions(store, login_name: str) -> list[WebSession]:  # type: ignore[no-untyped-def]
    with store.session() as s:
        return list(
            s.execute(
                select(WebSession)
                .join(User, WebSession.user_id == User.id)
                .where(User.login == login_name)
                .order_by(WebSession.id)
            ).scalars()
        )


def _user(store, login_name: str) -> User:  # type: ignore[no-untyped-def]
    with store.session() as s:
        return s.execute(select(User).where(User.login == login_name)).scalar_one()


def _actions(store, *names: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with store.session() as s:
        return list(
            s.execute(
                select(AuditEvent).where(AuditEvent.action.in_(names)).order_by(AuditEvent.id)
            ).scalars()
        )


def test_a_cookie_copied_before_logout_is_refused_after_it(client: TestClient, store) -> None:  # type: ignore[no-untyped-def]
    login(client, "cgc_officer")
    thief = _copy(client)
    assert _me(thief) == 200  # the copy works while the session lives
    token = csrf_from(client.get("/portfolio").text)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert _me(client) == 401
    assert _me(thief) == 401
    assert thief.get("/portfolio").status_code == 303  # to the login page
    (row,) = _sessions(store, "cgc_officer")
    assert row.revoked_at is not None and row.revoked_reason == "logout"
    (logout,) = _actions(store, "logout")
    assert logout.actor_user_id == _user(store, "cgc_officer").id
    assert logout.object_id == str(row.id)


def test_the_store_keeps_only_a_hash_of_the_token(client: TestClient, store) -> None:  # type: ignore[no-untyped-def]
    login(client, "cgc_officer")
    cookie = client.cookies[SESSION_COOKIE]
    sid = json.loads(base64.b64decode(cookie.split(".", 1)[0]))["sid"]
    assert len(sid) >= 43  # 256 random bits
    (row,) = _sessions(store, "cgc_officer")
    assert row.token_hash == hash_token(sid) != sid
    assert row.address == "testclient" and row.user_agent


def _age(store, login_name: str, **columns: datetime) -> None:  # type: ignore[no-untyped-def]
    uid = _user(store, login_name).id
    with store.session() as s:
        s.execute(update(WebSession).where(WebSession.user_id == uid).values(**columns))


def test_an_idle_session_ends(client: TestClient, store, settings) -> None:  # type: ignore[no-untyped-def]
    login(client, "cgc_officer")
    (row,) = _sessions(store, "cgc_officer")
    created = (
        row.created_at.replace(tzinfo=UTC) if row.created_at.tzinfo is None else row.created_at
    )
    idle = row.idle_expires_at.replace(tzinfo=None) - row.created_at.replace(tzinfo=None)
    assert idle == timedelta(seconds=settings.session_idle_seconds)
    past = datetime.now(UTC) - timedelta(seconds=1)
    _age(store, "cgc_officer", idle_expires_at=past, last_seen_at=created - timedelta(hours=3))
    assert _me(client) == 401


def test_activity_moves_the_idle_expiry_at_most_once_a_minute(client: TestClient, store) -> None:  # type: ignore[no-untyped-def]
    login(client, "cgc_officer")
    (before,) = _sessions(store, "cgc_officer")
    assert _me(client) == 200
    (same,) = _sessions(store, "cgc_officer")
    assert same.last_seen_at == before.last_seen_at  # no write within the minute
    # The last activity two minutes ago, the idle expiry one minute away: a request moves it.
    now = datetime.now(UTC)
    _age(
        store,
        "cgc_officer",
        last_seen_at=now - timedelta(seconds=TOUCH_SECONDS * 2),
        idle_expires_at=now + timedelta(seconds=60),
    )
    assert _me(client) == 200
    (after,) = _sessions(store, "cgc_officer")
    moved = after.idle_expires_at.replace(tzinfo=None) - now.replace(tzinfo=None)
    assert moved > timedelta(minutes=30)


def test_a_session_ends_at_its_absolute_expiry_however_active(client: TestClient, store) -> None:  # type: ignore[no-untyped-def]
    login(client, "cgc_officer")
    now = datetime.now(UTC)
    _age(
        store,
        "cgc_officer",
        absolute_expires_at=now - timedelta(seconds=1),
        idle_expires_at=now + timedelta(hours=1),
        last_seen_at=now,
    )
    assert _me(client) == 401


def test_tiny_lifetimes_end_a_session_on_their_own(settings, store, web_world) -> None:  # type: ignore[no-untyped-def]
    """Both lifetimes come from the settings: an absolute life of 1 s ends the session."""
    import time

    app = create_app(
        settings.model_copy(update={"session_idle_seconds": 3600, "session_absolute_seconds": 1}),
        store,
    )
    with TestClient(app, follow_redirects=False) as c:
        login(c, "cgc_officer")
        (row,) = _sessions(store, "cgc_officer")
        life = row.absolute_expires_at.replace(tzinfo=None) - row.created_at.replace(tzinfo=None)
        assert life == timedelta(seconds=1)
        assert row.idle_expires_at == row.absolute_expires_at  # never past the absolute expiry
        time.sleep(1.1)
        assert _me(c) == 401


def test_deactivation_password_and_role_changes_end_every_session(
    client: TestClient, store
) -> None:  # type: ignore[no-untyped-def]
    system = Actor.system()
    changes = [
        lambda s, u: do_change_password(s, system, u, "a-new-password-1"),
        lambda s, u: do_change_role(s, system, u, Role.ADMIN),
        lambda s, u: do_set_user_active(s, system, u, active=False),
    ]
    passwords = ["password123", "a-new-password-1", "a-new-password-1"]
    reasons = []
    for change, password in zip(changes, passwords, strict=True):
        login(client, "a_officer", password)
        elsewhere = TestClient(client.app, follow_redirects=False)
        login(elsewhere, "a_officer", password)
        assert _me(client) == _me(elsewhere) == 200
        with store.session() as s:
            user = s.execute(select(User).where(User.login == "a_officer")).scalar_one()
            assert change(s, user) == 2
        assert _me(client) == _me(elsewhere) == 401
        reasons += [r.revoked_reason for r in _sessions(store, "a_officer")]
    # (each login purges the user's ended sessions, so each step sees only its own two)
    assert reasons == ["password_changed"] * 2 + ["role_changed"] * 2 + ["deactivated"] * 2
    events = _actions(store, "change_password", "change_role", "deactivate_user")
    assert [json.loads(e.detail)["sessions_ended"] for e in events] == [2, 2, 2]
    # Deactivated: the right password no longer logs in.
    token = csrf_from(client.get("/login").text)
    r = client.post(
        "/login", data={"login": "a_officer", "password": "a-new-password-1", "csrf_token": token}
    )
    assert r.status_code == 401


def test_an_officer_cannot_change_users(store, web_world) -> None:  # type: ignore[no-untyped-def]
    import pytest

    with store.session() as s:
        officer = s.execute(select(User).where(User.login == "a_officer")).scalar_one()
        other = s.execute(select(User).where(User.login == "b_officer")).scalar_one()
        admin = s.execute(select(User).where(User.login == "a_admin")).scalar_one()
        with pytest.raises(PermissionError):
            do_set_user_active(s, Actor.from_user(officer), officer, active=False)
        with pytest.raises(PermissionError):  # an administrator of another organisation
            do_change_password(s, Actor.from_user(admin), other, "a-new-password-1")
        with pytest.raises(ValueError):  # a bank has no owners
            do_change_role(s, Actor.system(), officer, Role.OWNER)


def test_one_query_per_request_and_an_update_after_a_minute(client: TestClient, store) -> None:  # type: ignore[no-untyped-def]
    login(client, "cgc_officer")
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        verb = statement.split()[0].upper()
        if verb in {"SELECT", "UPDATE", "INSERT", "DELETE"}:
            statements.append(verb)

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        assert _me(client) == 200
        fresh = list(statements)
        _age(store, "cgc_officer", last_seen_at=datetime.now(UTC) - timedelta(minutes=2))
        statements.clear()
        assert _me(client) == 200
        stale = list(statements)
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    assert fresh == ["SELECT"]
    assert stale == ["SELECT", "UPDATE"]


def test_sessions_are_shared_by_every_web_process(settings, store, web_world) -> None:  # type: ignore[no-untyped-def]
    """Two app instances with their own connections (as two workers): a logout in one is
    seen by the other at once."""
    from kizashi.store.db import Store
    from tests.conftest import TEST_AUDIT_KEY

    other_store = Store(store.url, audit_key=TEST_AUDIT_KEY)
    try:
        one = create_app(settings, store)
        two = create_app(settings, other_store)
        with TestClient(one, follow_redirects=False) as a, TestClient(two) as b:
            login(a, "cgc_officer")
            b.cookies.set(SESSION_COOKIE, a.cookies[SESSION_COOKIE])
            assert _me(b) == 200
            a.post("/logout", data={"csrf_token": csrf_from(a.get("/portfolio").text)})
            assert _me(b) == 401
    finally:
        other_store.dispose()


def test_admin_ends_a_users_sessions_by_api_and_cli(
    client: TestClient, store, cli, settings
) -> None:  # type: ignore[no-untyped-def]
    officer = TestClient(client.app, follow_redirects=False)
    login(officer, "a_officer")
    login(client, "a_admin")
    csrf = client.get("/api/v1/me").json()["csrf_token"]
    uid = _user(store, "a_officer").id
    r = client.post(f"/api/v1/admin/users/{uid}/logout-all", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text
    assert r.json() == {"user_id": uid, "login": "a_officer", "sessions_ended": 1}
    assert _me(officer) == 401 and _me(client) == 200
    login(officer, "a_officer")
    result = cli("user", "logout-all", "a_officer")
    assert result.exit_code == 0, result.output
    assert "セッションを 1 件終了しました" in result.output
    assert _me(officer) == 401
    assert [
        json.loads(e.detail)["sessions_ended"] for e in _actions(store, "end_user_sessions")
    ] == [
        1,
        1,
    ]
    # Someone else's user, or not an administrator: 404, nothing ended.
    login(officer, "a_officer")
    b_uid = _user(store, "b_officer").id
    assert (
        client.post(
            f"/api/v1/admin/users/{b_uid}/logout-all", headers={"X-CSRF-Token": csrf}
        ).status_code
        == 404
    )
    own = officer.get("/api/v1/me").json()["csrf_token"]
    admin_id = _user(store, "a_admin").id
    r = officer.post(f"/api/v1/admin/users/{admin_id}/logout-all", headers={"X-CSRF-Token": own})
    assert r.status_code == 404
    assert _me(client) == 200


def test_purge_deletes_ended_sessions_only(client: TestClient, store, cli) -> None:  # type: ignore[no-untyped-def]
    login(client, "cgc_officer")
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/portfolio").text)})
    login(client, "cgc_officer")  # the login itself purged the user's ended session
    assert len(_sessions(store, "cgc_officer")) == 1
    other = TestClient(client.app, follow_redirects=False)
    login(other, "a_officer")
    _age(store, "a_officer", absolute_expires_at=datetime.now(UTC) - timedelta(seconds=1))
    result = cli("session", "purge")
    assert result.exit_code == 0, result.output
    assert "終了したセッション 1 件" in result.output
    assert _sessions(store, "a_officer") == []
    assert _me(client) == 200


def test_purge_keeps_failure_counts_in_their_window_and_locks_in_force(
    client: TestClient, store, cli
) -> None:  # type: ignore[no-untyped-def]
    from kizashi.store.models import LoginThrottle

    token = csrf_from(client.get("/login").text)
    for name in ("old_failure", "recent_failure", "locked_id"):
        client.post("/login", data={"login": name, "password": "wrong-pass", "csrf_token": token})
    hour_ago = datetime.now(UTC) - timedelta(hours=1)
    with store.session() as s:
        s.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key.in_(["old_failure", "locked_id", "testclient"]))
            .values(window_started_at=hour_ago)
        )
        s.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key == "locked_id")
            .values(locked_at=hour_ago, locked_until=None)  # until an administrator unlocks it
        )
    result = cli("session", "purge")
    assert result.exit_code == 0, result.output
    assert "古いログイン失敗の記録 2 件" in result.output  # old_failure and the address
    with store.session() as s:
        left = sorted(s.execute(select(LoginThrottle.key)).scalars())
    assert left == ["locked_id", "recent_failure"]


def test_cli_user_changes_end_sessions_and_speak_japanese(client: TestClient, store, cli) -> None:  # type: ignore[no-untyped-def]
    steps = [
        (
            ("user", "password", "a_officer", "--password", "another-pass-9"),
            "パスワードを変更しました",
        ),
        (("user", "role", "a_officer", "--role", "auditor"), "役割を「監査担当」にしました"),
        (("user", "deactivate", "a_officer"), "無効にしました"),
    ]
    password = PASSWORD
    for args, said in steps:
        login(client, "a_officer", password)
        result = cli(*args)
        assert result.exit_code == 0, result.output
        assert said in result.output and "セッション 1 件を終了" in result.output
        assert _me(client) == 401
        password = "another-pass-9"
    assert cli("user", "activate", "a_officer").exit_code == 0
    login(client, "a_officer", "another-pass-9")
    assert client.get("/api/v1/me").json()["role"] == "auditor"
    short = cli("user", "password", "a_officer", "--password", "short")
    assert short.exit_code == 1 and "8文字以上" in short.output
    wrong = cli("user", "role", "a_officer", "--role", "owner")
    assert wrong.exit_code == 1 and "役割がありません" in wrong.output
    assert _me(client) == 200  # refused changes end nothing
    for result in (short, wrong):
        assert not any(w in result.output for w in ("error", "Error", "role ", "password "))
