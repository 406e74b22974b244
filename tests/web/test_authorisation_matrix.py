"""Every route × every kind of actor: who gets what, and that a denial returns nothing and changes nothing.

Actors (see conftest.build_web_world):
  anonymous     — not logged in
  c_officer     — another organisation with no link, consent or loan
  b_officer     — a bank with a loan to the business but no consent and no link
  rev_officer   — a guarantor whose consent the business revoked
  exp_officer   — an adviser whose consent expired yesterday
  a_admin       — the lending bank's administrator (wrong role)
  a_auditor     — the lending bank's auditor (wrong role)
  other_owner   — the owner of another business
  a_officer     — the lending bank: linked (profile), consent for financials, its own loan only
  cgc_officer   — the guarantor, with consent for profile, financials and loans
  owner         — the business itself
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from kizashi.store.db import Store

from .conftest import FLAG_EVIDENCE, FLAG_TITLE, WebWorld, csrf_from, last_audit, login, snapshot

DENIED_EVERYWHERE = [
    "c_officer",
    "rev_officer",
    "exp_officer",
    "a_admin",
    "a_auditor",
    "other_owner",
]

# route template → actors allowed (everyone else: 404, anonymous: login redirect / 401)
ROUTES: dict[str, set[str]] = {
    "/businesses/{id}": {"a_officer", "cgc_officer", "owner"},
    "/api/v1/businesses/{id}": {"a_officer", "cgc_officer", "owner"},
    "/api/v1/businesses/{id}/monthly": {"a_officer", "cgc_officer", "owner"},
    "/api/v1/businesses/{id}/loans": {"a_officer", "b_officer", "cgc_officer", "owner"},
    # uploads: the owner, or an organisation the business trusts with its financials
    "/businesses/{id}/upload": {"a_officer", "cgc_officer", "owner"},
    "/api/v1/businesses/{id}/submissions": {"a_officer", "cgc_officer", "owner"},
    # monitoring results: flags need a flags consent, indicators a financials consent
    "/api/v1/businesses/{id}/flags": {"cgc_officer", "owner"},
    "/api/v1/businesses/{id}/flags?include_closed=true": {"cgc_officer", "owner"},
    "/api/v1/businesses/{id}/indicators": {"a_officer", "cgc_officer", "owner"},
    # consent: the business's own grants and requests, and who looked — the business only
    "/api/v1/businesses/{id}/consents": {"owner"},
    "/api/v1/businesses/{id}/access-log": {"owner"},
}
ACTORS = [*DENIED_EVERYWHERE, "b_officer", "a_officer", "cgc_officer", "owner"]


def _secrets(w: WebWorld) -> list[str]:
    """Strings that must not appear in a denied response."""
    return [
        w.business_name,
        w.corporate_number,
        "テスト工業",
        "24,000,000",
        "24000000",
        "A銀行の延滞メモ",
        "B信金の条件変更メモ",
        FLAG_TITLE,
        FLAG_EVIDENCE,
        "cash.low_liquidity",
    ]


@pytest.mark.parametrize("route", list(ROUTES))
def test_anonymous_gets_nothing(
    client: TestClient, store: Store, web_world: WebWorld, route: str
) -> None:
    before = snapshot(store)
    r = client.get(route.format(id=web_world.business_id))
    if route.startswith("/api/"):
        assert r.status_code == 401
        assert r.json() == {"detail": "Not authenticated"}
    else:
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    for s in _secrets(web_world):
        assert s not in r.text
    assert snapshot(store) == before


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("route", list(ROUTES))
def test_route_matrix(
    client: TestClient, store: Store, web_world: WebWorld, route: str, actor: str
) -> None:
    login(client, actor)
    url = route.format(id=web_world.business_id)
    before = snapshot(store)
    r = client.get(url)
    if actor in ROUTES[route]:
        assert r.status_code == 200, (actor, route, r.text[:300])
        last = last_audit(store)
        assert last.decision == "allow" and last.business_id == web_world.business_id
        return
    assert r.status_code == 404, (actor, route)
    for s in _secrets(web_world):
        assert s not in r.text, (actor, route, s)
    assert snapshot(store) == before
    last = last_audit(store)
    assert last.decision == "deny" and last.business_id == web_world.business_id
    assert last.actor_user_id is not None


@pytest.mark.parametrize("route", list(ROUTES))
def test_missing_and_forbidden_look_identical(
    client: TestClient, web_world: WebWorld, route: str
) -> None:
    login(client, "c_officer")
    forbidden = client.get(route.format(id=web_world.business_id))
    missing = client.get(route.format(id=987654))
    assert forbidden.status_code == missing.status_code == 404
    if "?" in route:
        return
    # The bodies differ only where the page echoes the address the user asked for.
    assert forbidden.text.replace(f"/{web_world.business_id}", "/ID") == missing.text.replace(
        "/987654", "/ID"
    )


def test_loans_are_limited_to_what_each_party_may_see(
    client: TestClient, web_world: WebWorld
) -> None:
    url = f"/api/v1/businesses/{web_world.business_id}/loans"
    seen = {}
    for actor in ("a_officer", "b_officer", "cgc_officer", "owner"):
        login(client, actor)
        body = client.get(url).json()
        seen[actor] = {ln["loan_number"] for ln in body["loans"]}
        notes = {e["note"] for ln in body["loans"] for e in ln["events"]}
        if actor == "a_officer":
            assert notes == {"A銀行の延滞メモ"}
        if actor == "b_officer":
            assert notes == {"B信金の条件変更メモ"}
        client.cookies.clear()
    assert seen["a_officer"] == {"A-1"}  # no loans consent: only its own loan
    assert seen["b_officer"] == {"B-1"}
    assert seen["cgc_officer"] == {"A-1", "B-1"}  # consent for loans: all of them
    assert seen["owner"] == {"A-1", "B-1"}


def test_business_page_hides_sections_without_consent(
    client: TestClient, store: Store, web_world: WebWorld
) -> None:
    """Bank A may see the profile (lender) and financials (consent) but only its own loan."""
    login(client, "a_officer")
    r = client.get(f"/businesses/{web_world.business_id}?purpose=support")  # no consent for support
    assert r.status_code == 200
    assert web_world.business_name in r.text  # profile: linked as lender, any purpose
    assert "<svg" not in r.text  # financials: no consent for this purpose
    assert "事業者の同意がありません" in r.text
    assert "A-1" in r.text and "B-1" not in r.text  # its own loan only


@pytest.mark.parametrize(
    "actor,expected",
    [
        ("cgc_officer", True),
        ("a_officer", True),
        ("owner", True),
        ("c_officer", False),
        ("b_officer", False),
        ("rev_officer", False),
        ("exp_officer", False),
        ("a_admin", False),
        ("a_auditor", False),
        ("other_owner", False),
    ],
)
def test_portfolio_lists_only_visible_businesses(
    client: TestClient, store: Store, web_world: WebWorld, actor: str, expected: bool
) -> None:
    login(client, actor)
    before = snapshot(store)
    page = client.get("/portfolio")
    api = client.get("/api/v1/businesses")
    assert page.status_code == api.status_code == 200
    ids = {b["id"] for b in api.json()["items"]}
    assert (web_world.business_id in ids) is expected
    assert (web_world.business_name in page.text) is expected
    if not expected:
        assert web_world.corporate_number not in page.text + api.text
    assert snapshot(store) == before
    last = last_audit(store)
    assert last.action == "list" and last.object_type == "portfolio"


def test_owner_home_is_their_own_business(client: TestClient, web_world: WebWorld) -> None:
    login(client, "owner")
    r = client.get("/")
    assert r.status_code == 303 and r.headers["location"] == f"/businesses/{web_world.business_id}"
    page = client.get(r.headers["location"])
    assert "自社のページ" in page.text and "ポートフォリオ</a> ›" not in page.text
    assert client.get(f"/businesses/{web_world.other_business_id}").status_code == 404


# Who may move a flag (same gate as reading it: a flags consent, or the business itself).
FLAG_WRITERS = {"cgc_officer", "owner"}


def _flag_state(store: Store, flag_id: int) -> str:
    """The flag's state as answered (one organisation's response), 新規 while none answered."""
    from sqlalchemy import select

    from kizashi.store.models import FlagResponse

    with store.session() as s:
        states = s.execute(
            select(FlagResponse.state).where(FlagResponse.flag_id == flag_id)
        ).scalars().all()  # fmt: skip
    assert len(states) <= 1
    return states[0].value if states else "new"


def _api_post_state(client: TestClient, flag_id: int, body: dict[str, object]):  # type: ignore[no-untyped-def]
    token = client.get("/api/v1/me").json()["csrf_token"]
    return client.post(f"/api/v1/flags/{flag_id}/state", json=body, headers={"X-CSRF-Token": token})


def test_anonymous_cannot_move_a_flag(
    client: TestClient, store: Store, web_world: WebWorld
) -> None:
    before = snapshot(store)
    r = client.post(f"/api/v1/flags/{web_world.flag_id}/state", json={"state": "acknowledged"})
    assert r.status_code in (401, 403)  # no session: no CSRF token either
    assert _flag_state(store, web_world.flag_id) == "new" and snapshot(store) == before


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("via", ["api", "page"])
def test_flag_state_matrix(
    client: TestClient, store: Store, web_world: WebWorld, actor: str, via: str
) -> None:
    login(client, actor)
    before = snapshot(store)
    if via == "api":
        r = _api_post_state(client, web_world.flag_id, {"state": "acknowledged"})
    else:
        token = csrf_from(client.get("/portfolio").text)
        r = client.post(
            f"/businesses/{web_world.business_id}/flags/{web_world.flag_id}/state",
            data={"state": "acknowledged", "csrf_token": token},
        )
    if actor in FLAG_WRITERS:
        assert r.status_code == (200 if via == "api" else 303), r.text[:300]
        assert _flag_state(store, web_world.flag_id) == "acknowledged"
        last = last_audit(store)
        assert last.action == "change_flag_state" and last.business_id == web_world.business_id
        return
    assert r.status_code == 404, (actor, via, r.text[:200])
    for secret in _secrets(web_world):
        assert secret not in r.text
    assert _flag_state(store, web_world.flag_id) == "new"
    assert snapshot(store) == before
    last = last_audit(store)
    assert last.decision == "deny" and last.business_id == web_world.business_id


def test_missing_flag_looks_like_a_forbidden_one(client: TestClient, web_world: WebWorld) -> None:
    login(client, "c_officer")
    forbidden = _api_post_state(client, web_world.flag_id, {"state": "acknowledged"})
    missing = _api_post_state(client, 987654, {"state": "acknowledged"})
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.json() == missing.json()
