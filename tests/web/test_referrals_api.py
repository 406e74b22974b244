"""The referral API: bank A refers the business to C銀行; C sees a 404 until the owner approves
with the flags only; then C reads the flags and no dialogue record, accepts, and a case opens
at C linked to nothing (no sender case); a refused write by another organisation changes
nothing and is audited."""

from __future__ import annotations

from .conftest import last_audit, login, snapshot
from .japanese_only import latin_words, visible_text


def _csrf(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"X-CSRF-Token": client.get("/api/v1/me").json()["csrf_token"]}


def _as(client, name: str) -> None:  # type: ignore[no-untyped-def]
    client.cookies.clear()
    login(client, name)


def test_referral_api_walk(client, store, web_world):  # type: ignore[no-untyped-def]
    w = web_world
    _as(client, "a_officer")
    r = client.post(
        f"/api/v1/businesses/{w.business_id}/referrals",
        json={"to_org_code": "bank-c", "kind": "yorozu", "note": "本業支援の相談先として"},
        headers=_csrf(client),
    )
    assert r.status_code == 201, r.text
    ref = r.json()["row"]
    rid = ref["id"]
    assert ref["status"] == "awaiting_owner" and ref["party"] == "sender"
    r = client.post(
        f"/api/v1/businesses/{w.business_id}/referrals",
        json={"to_org_code": "nope", "kind": "yorozu", "note": "x"},
        headers=_csrf(client),
    )
    assert r.status_code == 409

    _as(client, "c_officer")
    assert client.get(f"/api/v1/referrals/{rid}").status_code == 404
    assert client.get("/api/v1/referrals").json() == []
    before = snapshot(store)
    r = client.post(f"/api/v1/referrals/{rid}/accept", json={}, headers=_csrf(client))
    assert r.status_code == 404
    assert snapshot(store) == before
    assert last_audit(store).decision == "deny"

    _as(client, "owner")
    page = client.get("/referrals").text
    assert "事業者の同意待ち" in page and latin_words(visible_text(page), {"kizashi", "API"}) == []
    page = client.get(f"/referrals/{rid}").text
    assert 'id="approve-form"' in page and latin_words(visible_text(page), {"kizashi", "API"}) == []
    r = client.get(f"/api/v1/referrals/{rid}")
    assert r.status_code == 200 and r.json()["row"]["party"] == "owner"
    r = client.post(
        f"/api/v1/referrals/{rid}/approve",
        json={"share_flags": True},
        headers=_csrf(client),
    )
    assert r.status_code == 200, r.text
    assert r.json()["row"]["status"] == "pending"

    _as(client, "c_officer")
    r = client.get(f"/api/v1/referrals/{rid}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert w.flag_id in [f["id"] for f in body["flags"]]
    assert body["dialogues"] == [] and body["indicators"] is None
    assert body["row"]["note"] == "本業支援の相談先として"
    # the receiver's page speaks Japanese only and shows the flags that were sent
    page = client.get(f"/referrals/{rid}").text
    assert f'id="shared-flag-{w.flag_id}"' in page and 'id="accept-form"' in page
    assert latin_words(visible_text(page), {"kizashi", "API"}) == []
    r = client.post(f"/api/v1/referrals/{rid}/accept", json={}, headers=_csrf(client))
    assert r.status_code == 200, r.text
    case_id = r.json()["row"]["to_case_id"]
    assert r.json()["row"]["status"] == "accepted" and case_id
    assert client.get(f"/api/v1/cases/{case_id}").json()["row"]["org_id"] != w.business_id

    _as(client, "a_officer")
    [row] = client.get("/api/v1/referrals?box=sent").json()
    assert row["status"] == "accepted" and row["to_org_name"] == "C銀行"
