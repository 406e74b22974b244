"""Login, logout, the session cookie and CSRF protection."""

from __future__ import annotations

import base64
import json
import time

import itsdangerous
from fastapi.testclient import TestClient

from kizashi.web.auth import SESSION_COOKIE

from .conftest import PASSWORD, csrf_from, login


def test_login_page_is_japanese_and_sets_a_csrf_session(client: TestClient) -> None:
    r = client.get("/login")
    assert r.status_code == 200
    assert "ログイン" in r.text and '<html lang="ja">' in r.text
    cookie = r.headers["set-cookie"]
    assert SESSION_COOKIE in cookie
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()  # cookie_secure defaults to off (plain http on localhost)
    assert "Max-Age=43200" in cookie  # the absolute session lifetime (12 hours)


def test_secure_cookie_when_configured(settings, store, web_world) -> None:  # type: ignore[no-untyped-def]
    from kizashi.web.app import create_app

    app = create_app(settings.model_copy(update={"cookie_secure": True}), store)
    with TestClient(app, base_url="https://testserver") as c:
        assert "secure" in c.get("/login").headers["set-cookie"].lower()


def test_pages_redirect_to_login_and_back(client: TestClient, web_world) -> None:  # type: ignore[no-untyped-def]
    r = client.get(f"/businesses/{web_world.business_id}")
    assert r.status_code == 303
    assert r.headers["location"] == f"/login?next=%2Fbusinesses%2F{web_world.business_id}"
    page = client.get(r.headers["location"])
    r = client.post(
        "/login",
        data={
            "login": "cgc_officer",
            "password": PASSWORD,
            "csrf_token": csrf_from(page.text),
            "next": f"/businesses/{web_world.business_id}",
        },
    )
    assert r.status_code == 303 and r.headers["location"] == f"/businesses/{web_world.business_id}"


def test_login_never_redirects_off_site(client: TestClient) -> None:
    page = client.get("/login")
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        r = client.post(
            "/login",
            data={
                "login": "cgc_officer",
                "password": PASSWORD,
                "csrf_token": csrf_from(page.text),
                "next": target,
            },
        )
        assert r.headers["location"] == "/"
        client.post("/logout", data={"csrf_token": csrf_from(client.get("/portfolio").text)})
        page = client.get("/login")


def test_wrong_password_and_unknown_login_look_the_same(client: TestClient) -> None:
    page = client.get("/login")
    token = csrf_from(page.text)
    bad = client.post(
        "/login", data={"login": "cgc_officer", "password": "wrong-password", "csrf_token": token}
    )
    unknown = client.post(
        "/login", data={"login": "nobody", "password": "wrong-password", "csrf_token": token}
    )
    assert bad.status_code == unknown.status_code == 401
    assert "ログインIDまたはパスワードが正しくありません" in bad.text
    assert bad.text.replace("cgc_officer", "") == unknown.text.replace("nobody", "")
    assert client.get("/api/v1/me").status_code == 401


def test_login_without_csrf_token_is_refused(client: TestClient) -> None:
    client.get("/login")
    r = client.post("/login", data={"login": "cgc_officer", "password": PASSWORD})
    assert r.status_code == 403
    assert client.get("/api/v1/me").status_code == 401


def test_login_rotates_the_csrf_token(client: TestClient) -> None:
    before = csrf_from(client.get("/login").text)
    login(client, "cgc_officer")
    after = csrf_from(client.get("/portfolio").text)
    assert before != after


def test_logout_needs_csrf_and_ends_the_session(client: TestClient) -> None:
    login(client, "cgc_officer")
    assert client.post("/logout").status_code == 403
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    assert client.get("/api/v1/me").status_code == 200  # still logged in
    token = csrf_from(client.get("/portfolio").text)
    r = client.post("/logout", data={"csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/portfolio").status_code == 303


def test_api_unsafe_method_needs_the_csrf_header(client: TestClient) -> None:
    login(client, "cgc_officer")
    me = client.get("/api/v1/me").json()
    assert client.put("/api/v1/me/locale", json={"locale": "en"}).status_code == 403
    assert (
        client.put(
            "/api/v1/me/locale", json={"locale": "en"}, headers={"X-CSRF-Token": "nope"}
        ).status_code
        == 403
    )
    r = client.put(
        "/api/v1/me/locale", json={"locale": "en"}, headers={"X-CSRF-Token": me["csrf_token"]}
    )
    assert r.status_code == 200 and r.json()["locale"] == "en"
    assert "Portfolio" in client.get("/portfolio").text


def _forge(secret: str, payload: dict, age_seconds: int = 0) -> str:
    class OldSigner(itsdangerous.TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - age_seconds

    data = base64.b64encode(json.dumps(payload).encode())
    return OldSigner(secret).sign(data).decode()


def _payload(cookie: str) -> dict:
    return json.loads(base64.b64decode(cookie.split(".", 1)[0]))


def test_a_signed_cookie_needs_its_session_row(client: TestClient, settings) -> None:  # type: ignore[no-untyped-def]
    login(client, "cgc_officer")
    good = client.cookies.get(SESSION_COOKIE)
    assert good
    sid = _payload(good)["sid"]
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, _forge(settings.secret_key, {"sid": sid, "csrf": "x"}, 60))
    assert client.get("/api/v1/me").json()["login"] == "cgc_officer"  # the real token, re-signed
    # Signed with the instance's key, but naming no session: the old cookie held a user id.
    for payload in ({"sid": "made-up-token", "csrf": "x"}, {"uid": 1, "csrf": "x"}):
        client.cookies.clear()
        client.cookies.set(SESSION_COOKIE, _forge(settings.secret_key, payload))
        assert client.get("/api/v1/me").status_code == 401
    # Older than the absolute lifetime: the signature itself has expired.
    stale = _forge(
        settings.secret_key,
        {"sid": sid, "csrf": "x"},
        age_seconds=settings.session_absolute_seconds + 5,
    )
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, stale)
    assert client.get("/api/v1/me").status_code == 401


def test_tampered_or_foreign_cookie_is_no_session(client: TestClient, settings) -> None:  # type: ignore[no-untyped-def]
    login(client, "cgc_officer")
    good = client.cookies.get(SESSION_COOKIE)
    assert good
    payload, rest = good.split(".", 1)
    data = json.loads(base64.b64decode(payload))
    data["sid"] = data["sid"][:-1] + ("A" if data["sid"][-1] != "A" else "B")
    tampered = base64.b64encode(json.dumps(data).encode()).decode() + "." + rest
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, tampered)
    assert client.get("/api/v1/me").status_code == 401
    client.cookies.set(SESSION_COOKIE, _forge("another-instance-key", {"sid": data["sid"]}))
    assert client.get("/api/v1/me").status_code == 401


def test_the_login_form_keeps_the_login_id_after_a_wrong_password(client: TestClient) -> None:
    token = csrf_from(client.get("/login").text)
    r = client.post(
        "/login", data={"login": "cgc_officer", "password": "wrong-password", "csrf_token": token}
    )
    assert r.status_code == 401
    assert 'name="login" value="cgc_officer"' in r.text
    assert 'value="wrong-password"' not in r.text  # the password is never sent back
    r = client.post(
        "/login", data={"login": '"><b>x', "password": "wrong-password", "csrf_token": token}
    )
    assert 'value="&#34;&gt;&lt;b&gt;x"' in r.text  # escaped


def test_security_headers(client: TestClient) -> None:
    r = client.get("/login")
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "no-store"
