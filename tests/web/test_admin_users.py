"""The administrator's users page and API: list with last login, add, deactivate/activate,
password, role; only their own organisation's users; nobody else gets anything."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from kizashi.store.db import Store
from kizashi.store.models import AuditEvent, User

from .conftest import PASSWORD, WebWorld, csrf_from, last_audit, login, snapshot


def _api(client: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": client.get("/api/v1/me").json()["csrf_token"]}


def _fresh(app) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(app, follow_redirects=False)


def _user(store: Store, login_name: str) -> User:
    with store.session() as s:
        return s.execute(select(User).where(User.login == login_name)).scalar_one()


def test_admin_login_lands_on_the_users_page(client: TestClient, web_world: WebWorld) -> None:
    login(client, "a_admin")
    home = client.get("/")
    assert home.status_code == 303 and home.headers["location"] == "/admin/users"
    page = client.get("/admin/users")
    assert page.status_code == 200
    assert "<h1>利用者</h1>" in page.text
    # the bank's people, not another organisation's, and no business data
    for name in ("a_officer", "a_admin", "a_auditor"):
        assert f'data-login="{name}"' in page.text
    assert "b_officer" not in page.text and "cgc_officer" not in page.text
    assert web_world.business_name not in page.text


def test_the_list_shows_the_last_login(app, client: TestClient, web_world: WebWorld) -> None:  # type: ignore[no-untyped-def]
    with _fresh(app) as officer:
        login(officer, "a_officer")
    login(client, "a_admin")
    users = {u["login"]: u for u in client.get("/api/v1/admin/users").json()["items"]}
    assert users["a_officer"]["last_login_at"] is not None
    assert (
        users["a_officer"]["last_login_at"].endswith("+00:00")
        or "Z" in users["a_officer"]["last_login_at"]
    )
    assert users["a_auditor"]["last_login_at"] is None  # never logged in
    assert set(users) == {"a_officer", "a_admin", "a_auditor"}
    page = client.get("/admin/users").text
    row = page[page.index('data-login="a_auditor"') :]
    assert "未ログイン" in row[: row.index("</tr>")]


def test_admin_adds_deactivates_reactivates_and_resets(
    app, client: TestClient, store: Store
) -> None:  # type: ignore[no-untyped-def]
    login(client, "a_admin")
    h = _api(client)
    r = client.post(
        "/api/v1/admin/users",
        json={
            "login": "a_new",
            "display_name": "新人",
            "role": "officer",
            "password": "first-pass1",
        },
        headers=h,
    )
    assert r.status_code == 201, r.text
    new_id = r.json()["user"]["id"]
    assert r.json()["user"]["active"] and r.json()["user"]["role"] == "officer"
    assert _user(store, "a_new").org_id == _user(store, "a_admin").org_id
    # the same login ID again is a conflict, and a role a bank lacks is refused
    again = client.post(
        "/api/v1/admin/users",
        json={"login": "a_new", "display_name": "x", "role": "officer", "password": "first-pass1"},
        headers=h,
    )
    assert again.status_code == 409
    owner = client.post(
        "/api/v1/admin/users",
        json={"login": "a_owner", "display_name": "x", "role": "owner", "password": "first-pass1"},
        headers=h,
    )
    assert owner.status_code == 409

    with _fresh(app) as newbie:
        login(newbie, "a_new", "first-pass1")
        assert newbie.get("/api/v1/me").status_code == 200
        off = client.post(f"/api/v1/admin/users/{new_id}/deactivate", headers=h)
        assert off.status_code == 200 and off.json()["user"]["active"] is False
        assert off.json()["sessions_ended"] == 1
        assert newbie.get("/api/v1/me").status_code == 401  # their session ended at once
    with _fresh(app) as newbie:
        page = newbie.get("/login")
        r = newbie.post(
            "/login",
            data={"login": "a_new", "password": "first-pass1", "csrf_token": csrf_from(page.text)},
        )
        assert r.status_code == 401  # a deactivated user cannot log in
    assert client.post(f"/api/v1/admin/users/{new_id}/activate", headers=h).json()["user"]["active"]
    pw = client.post(
        f"/api/v1/admin/users/{new_id}/password", json={"password": "second-pass2"}, headers=h
    )
    assert pw.status_code == 200
    with _fresh(app) as newbie:
        login(newbie, "a_new", "second-pass2")
    role = client.post(f"/api/v1/admin/users/{new_id}/role", json={"role": "auditor"}, headers=h)
    assert role.status_code == 200 and role.json()["user"]["role"] == "auditor"
    with store.session() as s:
        actions = [
            a
            for (a,) in s.execute(
                select(AuditEvent.action)
                .where(AuditEvent.object_type == "user", AuditEvent.object_id == str(new_id))
                .order_by(AuditEvent.id)
            )
            if a
            in {"add_user", "deactivate_user", "activate_user", "change_password", "change_role"}
        ]
    assert actions == [
        "add_user",
        "deactivate_user",
        "activate_user",
        "change_password",
        "change_role",
    ]


def test_an_admin_cannot_lock_themself_out(client: TestClient, store: Store) -> None:
    login(client, "a_admin")
    me = _user(store, "a_admin")
    h = _api(client)
    assert client.post(f"/api/v1/admin/users/{me.id}/deactivate", headers=h).status_code == 409
    r = client.post(f"/api/v1/admin/users/{me.id}/role", json={"role": "officer"}, headers=h)
    assert r.status_code == 409
    assert _user(store, "a_admin").active and _user(store, "a_admin").role.value == "admin"


@pytest.mark.parametrize("who", ["a_officer", "a_auditor", "b_officer", "owner", "cgc_officer"])
def test_nobody_but_the_admin_manages_users(client: TestClient, store: Store, who: str) -> None:
    target = _user(store, "a_officer")
    login(client, who)
    h = _api(client)
    before = snapshot(store)
    assert client.get("/api/v1/admin/users").status_code == 404
    assert client.get("/admin/users").status_code == 404
    for path, body in (
        ("deactivate", None),
        ("password", {"password": "hijacked-1"}),
        ("role", {"role": "admin"}),
    ):
        r = client.post(f"/api/v1/admin/users/{target.id}/{path}", json=body, headers=h)
        assert r.status_code == 404, (path, r.text)
    r = client.post(
        "/api/v1/admin/users",
        json={"login": "intruder", "display_name": "x", "role": "admin", "password": "xxxxxxxx1"},
        headers=h,
    )
    assert r.status_code == 404
    assert snapshot(store) == before
    assert last_audit(store).decision == "deny"
    assert _user(store, "a_officer").active


def test_another_organisations_admin_gets_404(client: TestClient, store: Store) -> None:
    """bank-b has no admin in the world: give it one, who must not reach bank-a's officer."""
    from kizashi.access import Actor
    from kizashi.actions.organisations import do_add_user, org_by_code
    from kizashi.domain.vocabulary import Role

    with store.session() as s:
        do_add_user(
            s,
            Actor.system(),
            org=org_by_code(s, "bank-b"),
            login="b_admin",
            password=PASSWORD,
            display_name="B admin",
            role=Role.ADMIN,
        )
    target = _user(store, "a_officer")
    login(client, "b_admin")
    h = _api(client)
    assert {u["login"] for u in client.get("/api/v1/admin/users").json()["items"]} == {
        "b_officer",
        "b_admin",
    }
    assert client.post(f"/api/v1/admin/users/{target.id}/deactivate", headers=h).status_code == 404
    assert _user(store, "a_officer").active


def test_the_page_adds_and_changes_users(client: TestClient, store: Store) -> None:
    login(client, "a_admin")
    token = csrf_from(client.get("/admin/users").text)
    r = client.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "login": "a_page",
            "display_name": "ページ太郎",
            "role": "officer",
            "password": "page-pass1",
            "locale": "ja",
        },
    )
    assert r.status_code == 303
    done = client.get(r.headers["location"]).text
    assert "利用者 a_page を追加しました" in done
    bad = client.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "login": "a_page",
            "display_name": "x",
            "role": "officer",
            "password": "page-pass1",
        },
    )
    assert bad.status_code == 409 and "このログインIDはすでに使われています" in bad.text
    assert 'value="a_page"' in bad.text  # the form keeps what was typed
    short = client.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "login": "a_short",
            "display_name": "x",
            "role": "officer",
            "password": "short",
        },
    )
    assert short.status_code == 422 and "8文字以上" in short.text
    uid = _user(store, "a_page").id
    r = client.post(f"/admin/users/{uid}/active", data={"csrf_token": token, "active": "0"})
    assert r.status_code == 303 and not _user(store, "a_page").active
    r = client.post(f"/admin/users/{uid}/role", data={"csrf_token": token, "role": "auditor"})
    assert r.status_code == 303 and _user(store, "a_page").role.value == "auditor"
    en = client.get("/admin/users?lang=en").text
    assert "<h1>Users</h1>" in en and "Deactivated" in en
