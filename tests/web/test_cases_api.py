"""The support-case API: open from a flag, change, record a dialogue shared with the owner (with
an attachment), the owner reads and comments, reminders, close; another organisation without a
定性 consent gets the same 404 as for a missing case, and its refused write changes nothing."""

from __future__ import annotations

import base64
from datetime import date, timedelta

from .conftest import last_audit, login, snapshot

M = {"purpose": "monitoring"}


def _csrf(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"X-CSRF-Token": client.get("/api/v1/me").json()["csrf_token"]}


def test_case_api_walk(client, store, web_world):  # type: ignore[no-untyped-def]
    w = web_world
    login(client, "cgc_officer")
    h = _csrf(client)
    r = client.post(
        f"/api/v1/businesses/{w.business_id}/cases",
        json={"support_type": "improvement", "flag_ids": [w.flag_id], "purpose": "monitoring"},
        headers=h,
    )
    assert r.status_code == 201, r.text
    case = r.json()
    case_id = case["row"]["id"]
    assert case["flag_ids"] == [w.flag_id] and case["mode"] == "own"
    r = client.patch(
        f"/api/v1/cases/{case_id}",
        json={"support_type": "turnaround", "note": "再生へ", "purpose": "monitoring"},
        headers=h,
    )
    assert r.status_code == 200, r.text
    assert [e["new"] for e in r.json()["history"] if e["field"] == "support_type"] == [
        "improvement",
        "turnaround",
    ]
    today = date.today()
    r = client.post(
        f"/api/v1/cases/{case_id}/dialogues",
        json={
            "held_on": today.isoformat(),
            "channel": "visit",
            "attendees": ["代表 山田", "税理士 佐藤"],
            "topics": "資金繰りの見通し",
            "owner_said": "受注が戻りつつある",
            "shared_with_owner": True,
            "actions": [
                {
                    "what": "資金繰り表の提出",
                    "party": "owner",
                    "due_on": str(today + timedelta(days=7)),
                },
                {
                    "what": "返済条件の検討",
                    "party": "officer",
                    "due_on": str(today + timedelta(days=3)),
                },
            ],
            "attachments": [
                {"filename": "memo.txt", "content_base64": base64.b64encode(b"memo").decode()}
            ],
            "purpose": "monitoring",
        },
        headers=h,
    )
    assert r.status_code == 201, r.text
    dialogue_id = r.json()["id"]
    detail = client.get(f"/api/v1/cases/{case_id}", params=M).json()
    att = detail["dialogues"][0]["attachments"][0]
    got = client.get(f"/api/v1/dialogue-attachments/{att['id']}", params=M)
    assert got.status_code == 200 and got.content == b"memo"
    reminders = client.get("/api/v1/me/reminders").json()
    assert [(x["kind"], x["what"]) for x in reminders] == [("action", "返済条件の検討")]
    r = client.get("/api/v1/me/reminders", params={"within_days": 40}).json()
    assert {x["kind"] for x in r} == {"action", "contact"}  # monthly cadence: next month
    mine = next(a for a in detail["dialogues"][0]["actions"] if a["party"] == "officer")
    r = client.post(
        f"/api/v1/dialogue-actions/{mine['id']}/done",
        json={"done_on": today.isoformat(), "purpose": "monitoring"},
        headers=h,
    )
    assert r.status_code == 200, r.text
    assert client.get("/api/v1/me/reminders").json() == []
    # another organisation without a 定性 consent: 404, the same as a missing case; nothing written
    client.cookies.clear()
    login(client, "b_officer")
    hb = _csrf(client)
    assert client.get(f"/api/v1/cases/{case_id}", params=M).status_code == 404
    assert client.get("/api/v1/cases/999999", params=M).status_code == 404
    assert client.get("/api/v1/cases", params=M).json() == []
    before = snapshot(store)
    r = client.patch(f"/api/v1/cases/{case_id}", json={"note": "x"}, headers=hb)
    assert r.status_code == 404 and "turnaround" not in r.text
    assert snapshot(store) == before
    assert last_audit(store).decision == "deny"
    # the owner reads the shared record and comments
    client.cookies.clear()
    login(client, "owner")
    ho = _csrf(client)
    shared = client.get(f"/api/v1/businesses/{w.business_id}/shared-dialogues").json()
    assert [d["id"] for d in shared] == [dialogue_id]
    r = client.post(
        f"/api/v1/dialogues/{dialogue_id}/comments", json={"body": "了解しました"}, headers=ho
    )
    assert r.status_code == 201, r.text
    assert (
        client.patch(f"/api/v1/cases/{case_id}", json={"note": "x"}, headers=ho).status_code == 403
    )
    client.cookies.clear()
    login(client, "cgc_officer")
    h = _csrf(client)
    detail = client.get(f"/api/v1/cases/{case_id}", params=M).json()
    assert detail["dialogues"][0]["comments"][0]["body"] == "了解しました"
    r = client.post(
        f"/api/v1/cases/{case_id}/close",
        json={"outcome": "plan_agreed", "purpose": "monitoring"},
        headers=h,
    )
    assert r.status_code == 200 and r.json()["row"]["status"] == "closed"
    r = client.post(
        f"/api/v1/cases/{case_id}/close",
        json={"outcome": "improved", "purpose": "monitoring"},
        headers=h,
    )
    assert r.status_code == 409
