"""GET/PATCH /api/v1/flags/{id}/response: two organisations and the owner answer one flag; each
reads back only its own state, reason, assignee and history; others get 404 and change nothing."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import select

from kizashi.access import Actor
from kizashi.actions.consent import do_grant_consent
from kizashi.domain.vocabulary import Category, Purpose
from kizashi.store.db import Store
from kizashi.store.models import Business, Organisation, User

from .conftest import WebWorld, last_audit, login, snapshot

CGC_REASON = "保証協会の判断: 季節要因で問題なし"
BANK_REASON = "A銀行: 来週社長と面談"


def _patch(client: TestClient, flag_id: int, body: dict[str, object]):  # type: ignore[no-untyped-def]
    token = client.get("/api/v1/me").json()["csrf_token"]
    return client.patch(
        f"/api/v1/flags/{flag_id}/response", json=body, headers={"X-CSRF-Token": token}
    )


def _switch(client: TestClient, who: str) -> None:
    client.cookies.clear()
    login(client, who)


def test_each_organisation_answers_on_its_own(
    client: TestClient, store: Store, web_world: WebWorld
) -> None:
    fid = web_world.flag_id
    with store.session() as s:  # bank A may now see the flags too
        business = s.get(Business, web_world.business_id)
        owner = s.execute(select(User).where(User.login == "owner")).scalar_one()
        do_grant_consent(
            s,
            Actor.from_user(owner),
            business=business,
            grantee=s.execute(
                select(Organisation).where(Organisation.code == "bank-a")
            ).scalar_one(),
            categories=[Category.FLAGS],
            purpose=Purpose.MONITORING,
            valid_from=date(2026, 1, 1),
        )
        a_officer_id = s.execute(select(User.id).where(User.login == "a_officer")).scalar_one()
        cgc_id = s.execute(select(User.id).where(User.login == "cgc_officer")).scalar_one()

    login(client, "cgc_officer")
    r = _patch(client, fid, {"state": "not_needed", "reason": CGC_REASON})
    assert r.status_code == 200, r.text
    assert r.json()["flag"]["state"] == "not_needed"

    _switch(client, "a_officer")
    r = client.get(f"/api/v1/flags/{fid}/response")
    assert r.status_code == 200, r.text
    assert r.json()["flag"]["state"] == "new" and r.json()["history"] == []
    assert CGC_REASON not in r.text
    # the business's flag list shows bank A's answer, not the guarantor's
    flags = client.get(f"/api/v1/businesses/{web_world.business_id}/flags").text
    assert CGC_REASON not in flags and '"not_needed"' not in flags
    r = _patch(
        client,
        fid,
        {"state": "in_progress", "reason": BANK_REASON, "assignee_user_id": a_officer_id,
         "due_on": "2026-12-15"},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["flag"]["state"] == "in_progress"
    assert (body["flag"]["assignee_user_id"], body["flag"]["assignee_name"]) == (
        a_officer_id,
        "a_officer",
    )
    assert body["flag"]["due_on"] == "2026-12-15"
    assert [h["field"] for h in body["history"]] == ["state", "assignee", "due_on"]
    assert all(h["at"] and h["user_name"] for h in body["history"])
    # an assignee from another organisation is refused, nothing changes
    before = snapshot(store)
    r = _patch(client, fid, {"assignee_user_id": cgc_id})
    assert r.status_code == 409 and "担当者" in r.json()["detail"]
    assert snapshot(store) == before and last_audit(store).decision == "deny"

    _switch(client, "owner")
    assert _patch(client, fid, {"state": "in_progress"}).status_code == 403
    r = _patch(client, fid, {"state": "acknowledged"})
    assert r.status_code == 200, r.text
    assert CGC_REASON not in r.text and BANK_REASON not in r.text

    _switch(client, "cgc_officer")
    r = client.get(f"/api/v1/flags/{fid}/response")
    body = r.json()
    assert (body["flag"]["state"], body["flag"]["state_reason"]) == ("not_needed", CGC_REASON)
    assert [(h["old"], h["new"], h["reason"]) for h in body["history"]] == [
        ("new", "not_needed", CGC_REASON)
    ]
    assert BANK_REASON not in r.text


def test_no_consent_no_response(client: TestClient, store: Store, web_world: WebWorld) -> None:
    for who in ("c_officer", "b_officer", "other_owner", "a_admin"):
        _switch(client, who)
        before = snapshot(store)
        assert client.get(f"/api/v1/flags/{web_world.flag_id}/response").status_code == 404
        r = _patch(client, web_world.flag_id, {"state": "acknowledged"})
        assert r.status_code == 404, (who, r.text)
        assert snapshot(store) == before


def test_the_portfolio_filters_by_my_organisations_state(
    client: TestClient, store: Store, web_world: WebWorld
) -> None:
    bid = web_world.business_id
    login(client, "cgc_officer")
    assert (
        _patch(client, web_world.flag_id, {"state": "not_needed", "reason": CGC_REASON}).status_code
        == 200
    )

    def ids(query: str) -> set[int]:
        r = client.get(f"/api/v1/businesses?{query}")
        assert r.status_code == 200, r.text
        return {x["id"] for x in r.json()["items"]}

    assert bid in ids("flag_state=not_needed")
    assert bid not in ids("flag_state=new")
    [row] = [x for x in client.get("/api/v1/businesses").json()["items"] if x["id"] == bid]
    assert row["monitoring"] is None or (
        row["monitoring"]["open_flags"],
        row["monitoring"]["handled"],
    ) == (0, 1)
    page = client.get("/portfolio?state=not_needed")
    assert page.status_code == 200 and f"/businesses/{bid}" in page.text
    assert f'/businesses/{bid}"' not in client.get("/portfolio?state=in_progress").text
