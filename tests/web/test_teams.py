"""Teams over the web: the administrator forms a team through the API (the page lists it); the
queue shows the team's summed capacity; a plain member is refused (404, audited) when giving the
business to someone else; the manager reassigns in one click within capacity, 409 beyond it."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from kizashi.actions.organisations import do_add_user
from kizashi.domain.vocabulary import Role
from kizashi.store.models import AuditEvent, Organisation, User
from kizashi.store.triage_models import TriageAssignment

from .conftest import PASSWORD, SYSTEM, login
from .japanese_only import latin_words, visible_text

NAMES = {"cgc_officer", "cgc_sato", "cgc_admin", "cgc", "officer", "sato", "admin"}


def _token(client) -> str:  # type: ignore[no-untyped-def]
    return client.get("/api/v1/me").json()["csrf_token"]


def test_manager_reassigns_members_do_not(client, store, web_world):  # type: ignore[no-untyped-def]
    with store.session() as s:
        cgc = s.execute(select(Organisation).where(Organisation.code == "cgc")).scalar_one()
        ids = {}
        for name, role in (("cgc_admin", Role.ADMIN), ("cgc_sato", Role.OFFICER)):
            ids[name] = do_add_user(
                s, SYSTEM, org=cgc, login=name, password=PASSWORD, display_name=name, role=role
            ).id
        ids["cgc_officer"] = s.execute(
            select(User.id).where(User.login == "cgc_officer")
        ).scalar_one()
    period = f"{date.today():%Y-%m}"
    bid = web_world.business_id

    login(client, "cgc_officer")  # not an administrator: refused like a missing team
    assert client.post("/api/v1/admin/teams", json={"name": "x"}, headers={"X-CSRF-Token": _token(client)}).status_code == 404  # fmt: skip
    client.cookies.clear()
    login(client, "cgc_admin")
    tok = {"X-CSRF-Token": _token(client)}
    r = client.post("/api/v1/admin/teams", json={"name": "期中管理課"}, headers=tok)
    assert r.status_code == 201, r.text
    team = r.json()["id"]
    assert client.post("/api/v1/admin/teams", json={"name": "期中管理課"}, headers=tok).status_code == 409  # fmt: skip
    for who, role in (("cgc_officer", "manager"), ("cgc_sato", "member")):
        r = client.put(
            f"/api/v1/admin/teams/{team}/members/{ids[who]}", json={"role": role}, headers=tok
        )
        assert r.status_code == 200, r.text
    # the administrator (not an officer) cannot be a member
    r = client.put(f"/api/v1/admin/teams/{team}/members/{ids['cgc_admin']}", json={}, headers=tok)
    assert r.status_code == 404
    listed = client.get("/api/v1/admin/teams").json()["items"]
    assert [(m["name"], m["role"]) for m in listed[0]["members"]] == [
        ("cgc_officer", "manager"),
        ("cgc_sato", "member"),
    ]
    page = client.get("/admin/teams").text
    assert "期中管理課" in page
    assert latin_words(visible_text(page), NAMES) == []  # Japanese only (login IDs aside)
    for who, n in (("cgc_officer", 2), ("cgc_sato", 1)):
        assert client.put(f"/api/v1/admin/users/{ids[who]}/capacity", json={"per_month": n}, headers=tok).status_code == 200  # fmt: skip
    client.cookies.clear()

    # a plain member sees the team's summed capacity and may only take work for themselves
    login(client, "cgc_sato")
    tok = {"X-CSRF-Token": _token(client)}
    q = client.get(f"/api/v1/triage?period={period}").json()
    assert q["teams"] == [
        {"id": team, "name": "期中管理課", "managers": ["cgc_officer"], "capacity": 3,
         "assigned": 0, "proposed": q["teams"][0]["proposed"], "left": 3}
    ]  # fmt: skip
    assert q["assignable"] == [ids["cgc_sato"]]
    row = next(i for i in q["items"] if i["business_id"] == bid)
    assert row["team_name"] == "期中管理課"
    before = _deny_count(store)
    r = client.post(
        f"/api/v1/businesses/{bid}/triage-assignment",
        json={"officer_user_id": ids["cgc_officer"], "period": period},
        headers=tok,
    )
    assert r.status_code == 404
    assert _deny_count(store) == before + 1 and _held(store, bid) is None
    r = client.post(
        f"/api/v1/businesses/{bid}/triage-assignment",
        json={"officer_user_id": ids["cgc_sato"], "period": period},
        headers=tok,
    )
    assert r.status_code == 200, r.text  # taking it for oneself
    mine = client.get(f"/api/v1/triage?period={period}&mine=true").json()["items"]
    assert [i["business_id"] for i in mine] == [bid]
    client.cookies.clear()

    # the manager reassigns it to themselves in one click (the page's form)
    login(client, "cgc_officer")
    page = client.get(f"/triage?period={period}").text
    assert 'id="teams"' in page and "自分の担当" in page
    assert latin_words(visible_text(page), NAMES) == []
    r = client.post(
        f"/businesses/{bid}/triage/assign",
        data={"officer_user_id": str(ids["cgc_officer"]), "period": period, "csrf_token": _token(client)},
    )  # fmt: skip
    assert r.status_code == 303 and _held(store, bid) == ids["cgc_officer"]
    # beyond capacity: the manager gives it to the member, the administrator lowers the
    # manager's capacity to 0, and taking it back is a 409 (nothing changes)
    tok = {"X-CSRF-Token": _token(client)}
    r = client.post(
        f"/api/v1/businesses/{bid}/triage-assignment",
        json={"officer_user_id": ids["cgc_sato"], "period": period},
        headers=tok,
    )
    assert r.status_code == 200 and _held(store, bid) == ids["cgc_sato"]
    client.cookies.clear()
    login(client, "cgc_admin")
    assert client.put(f"/api/v1/admin/users/{ids['cgc_officer']}/capacity", json={"per_month": 0}, headers={"X-CSRF-Token": _token(client)}).status_code == 200  # fmt: skip
    client.cookies.clear()
    login(client, "cgc_officer")
    r = client.post(
        f"/api/v1/businesses/{bid}/triage-assignment",
        json={"officer_user_id": ids["cgc_officer"], "period": period},
        headers={"X-CSRF-Token": _token(client)},
    )
    assert r.status_code == 409 and _held(store, bid) == ids["cgc_sato"]

    # a deactivated manager no longer counts: neither managing nor proposed work
    with store.session() as s:
        s.get(User, ids["cgc_officer"]).active = False
    with store.session() as s:
        from kizashi.access.teams import memberships

        members = memberships(s, s.get(User, ids["cgc_sato"]).org_id)
        assert set(members) == {ids["cgc_sato"]}


def _deny_count(store) -> int:  # type: ignore[no-untyped-def]
    with store.session() as s:
        return len(s.execute(select(AuditEvent.id).where(AuditEvent.decision == "deny")).all())


def _held(store, bid: int) -> int | None:  # type: ignore[no-untyped-def]
    with store.session() as s:
        return s.execute(
            select(TriageAssignment.officer_user_id).where(TriageAssignment.business_id == bid)
        ).scalar_one_or_none()
