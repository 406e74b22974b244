"""The auditor's audit log: scope (own organisation), filters, details, CSV, verification,
and that nobody else reads it."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from kizashi.access import Actor
from kizashi.access.audit_reads import AuditFilter, export_audit_log
from kizashi.store.db import Store
from kizashi.store.models import AuditEvent, Organisation, User

from .conftest import WebWorld, csrf_from, last_audit, login

JST = ZoneInfo("Asia/Tokyo")


def _api(client: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": client.get("/api/v1/me").json()["csrf_token"]}


def _org_id(store: Store, code: str) -> int:
    with store.session() as s:
        return s.execute(select(Organisation.id).where(Organisation.code == code)).scalar_one()


@pytest.fixture
def activity(app, web_world: WebWorld) -> WebWorld:  # type: ignore[no-untyped-def]
    """bank-a's officer and the 保証協会's officer each read the business page."""
    for who in ("a_officer", "cgc_officer"):
        with TestClient(app, follow_redirects=False) as c:
            login(c, who)
            assert c.get(f"/businesses/{web_world.business_id}").status_code == 200
    return web_world


def _events(client: TestClient, **params: object) -> list[dict]:
    r = client.get("/api/v1/audit/events", params={"page_size": 500, **params})
    assert r.status_code == 200, r.text
    return r.json()["items"]


def test_auditor_login_lands_on_the_audit_log(client: TestClient, activity: WebWorld) -> None:
    login(client, "a_auditor")
    home = client.get("/")
    assert home.status_code == 303 and home.headers["location"] == "/audit"
    page = client.get("/audit")
    assert page.status_code == 200 and "<h1>監査ログ</h1>" in page.text
    assert "事業者ページの閲覧" in page.text  # the officer's read, in words
    en = client.get("/audit?lang=en").text
    assert "<h1>Audit log</h1>" in en and "Business page read" in en


def test_the_auditor_sees_only_their_organisation(
    client: TestClient, store: Store, activity: WebWorld
) -> None:
    bank_a, cgc = _org_id(store, "bank-a"), _org_id(store, "cgc")
    login(client, "a_auditor")
    events = _events(client)
    assert events, "the bank's own events are visible"
    logins = {e["login"] for e in events}
    assert "a_officer" in logins and "cgc_officer" not in logins
    with store.session() as s:
        a_users = {str(i) for (i,) in s.execute(select(User.id).where(User.org_id == bank_a)).all()}
        ids = {e["id"] for e in events}
        for e in s.execute(select(AuditEvent).where(AuditEvent.id.in_(ids))).scalars():
            assert e.actor_org_id == bank_a or (
                e.object_type == "user" and e.object_id in a_users
            ), e.id
        # the guarantor's read of the same business exists, and is not shown
        cgc_read = s.execute(
            select(AuditEvent.id).where(
                AuditEvent.actor_org_id == cgc,
                AuditEvent.action == "read_business_page",
            )
        ).scalar_one()
    assert cgc_read not in ids
    r = client.get(f"/api/v1/audit/events/{cgc_read}")
    assert r.status_code == 404
    assert client.get(f"/audit/events/{cgc_read}").status_code == 404


def test_filters_narrow_the_list(client: TestClient, store: Store, activity: WebWorld) -> None:
    login(client, "a_auditor")
    reads = _events(client, action="read_business_page")
    assert reads and {e["action"] for e in reads} == {"read_business_page"}
    assert {e["business_id"] for e in reads} == {activity.business_id}
    mine = _events(client, person="a_officer")
    assert mine and {e["login"] for e in mine} == {"a_officer"}
    assert _events(client, person="cgc_officer") == []  # another organisation's person
    biz = _events(client, business_id=activity.business_id)
    assert biz and all(e["business_id"] == activity.business_id for e in biz)
    today = datetime.now(JST).date()  # a period's days are Japan's
    assert _events(client, since=(today + timedelta(days=2)).isoformat()) == []
    assert _events(client, since=(today - timedelta(days=1)).isoformat(), until=today.isoformat())
    assert _events(client, until=(today - timedelta(days=3)).isoformat()) == []
    assert _events(client, organisation="cgc") == []
    assert _events(client, organisation="bank-a")
    page = client.get("/audit", params={"action": "read_business_page"}).text
    assert page.count('data-action="read_business_page"') == len(reads)
    assert 'data-action="login"' not in page


def test_an_event_s_details(client: TestClient, activity: WebWorld) -> None:
    login(client, "a_auditor")
    [read] = _events(client, action="read_business_page")
    one = client.get(f"/api/v1/audit/events/{read['id']}").json()
    assert one["detail"]["sections"] and one["business_name"] == activity.business_name
    page = client.get(f"/audit/events/{read['id']}").text
    assert f"監査イベント {read['id']}" in page and activity.business_name in page
    assert "sections" in page  # the stored record, as stored


def test_csv_export(client: TestClient, activity: WebWorld) -> None:
    login(client, "a_auditor")
    listed = _events(client, person="a_officer")
    for url in ("/api/v1/audit/events.csv", "/audit/export.csv"):
        r = client.get(url, params={"person": "a_officer"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert [int(x["id"]) for x in rows] == sorted(e["id"] for e in listed)
        assert {x["login"] for x in rows} == {"a_officer"}
    page = client.get("/audit?person=a_officer").text
    assert 'href="/audit/export.csv?person=a_officer"' in page


def test_every_look_at_the_log_is_audited(client: TestClient, store: Store) -> None:
    login(client, "a_auditor")
    client.get("/api/v1/audit/events", params={"action": "login"})
    last = last_audit(store)
    assert (last.action, last.decision) == ("read_audit_log", "allow")
    assert '"action": "login"' in last.detail or '"action":"login"' in last.detail
    client.get("/api/v1/audit/events.csv")
    assert last_audit(store).action == "export_audit_log"


def test_verify_button_says_intact_then_finds_tampering(
    client: TestClient, store: Store, activity: WebWorld
) -> None:
    login(client, "a_auditor")
    token = csrf_from(client.get("/audit").text)
    ok = client.post("/audit/verify", data={"csrf_token": token})
    assert ok.status_code == 200 and "監査ログは無傷です" in ok.text
    api = client.post("/api/v1/audit/verify", headers=_api(client)).json()
    assert api["intact"] is True and api["checked"] > 5 and api["problems"] == []
    assert last_audit(store).action == "verify_audit_log"
    with store.session() as s:  # someone flips a refusal into an allowance, in the database
        s.execute(update(AuditEvent).where(AuditEvent.id == 3).values(decision="allow"))
    bad = client.post("/audit/verify", data={"csrf_token": token})
    assert "監査ログの改ざんまたは欠落を検出しました" in bad.text
    assert "イベント 3: 内容が鍵付きハッシュと一致しません" in bad.text
    api = client.post("/api/v1/audit/verify", headers=_api(client)).json()
    assert (
        api["intact"] is False and {"event_id": 3, "code": "changed", "count": 1} in api["problems"]
    )


@pytest.mark.parametrize("who", ["a_officer", "a_admin", "owner", "cgc_officer"])
def test_nobody_else_reads_the_audit_log(client: TestClient, store: Store, who: str) -> None:
    login(client, who)
    with store.session() as s:
        any_id = s.execute(select(AuditEvent.id).limit(1)).scalar_one()
    for url in (
        "/api/v1/audit/events",
        "/api/v1/audit/events.csv",
        f"/api/v1/audit/events/{any_id}",
        "/audit",
        "/audit/export.csv",
        f"/audit/events/{any_id}",
    ):
        r = client.get(url)
        assert r.status_code == 404, (url, r.status_code)
        assert last_audit(store).decision == "deny"
    assert client.post("/api/v1/audit/verify", headers=_api(client)).status_code == 404
    assert last_audit(store).action == "verify_audit_log"
    assert last_audit(store).decision == "deny"


def test_anonymous_gets_nothing(client: TestClient, web_world: WebWorld) -> None:
    assert client.get("/api/v1/audit/events").status_code == 401
    assert client.get("/audit").status_code in (303, 307)


def test_csv_cells_are_not_formulas(client: TestClient, store: Store, web_world: WebWorld) -> None:
    """A failed login under a typed ID like ``=HYPERLINK(…)`` must not become a formula."""
    page = client.get("/login")
    client.post(
        "/login",
        data={"login": "=1+1", "password": "wrong-password", "csrf_token": csrf_from(page.text)},
    )
    with store.session() as s:  # unknown IDs name no organisation: the operator sees them
        text = export_audit_log(s, Actor.system(), AuditFilter(action="login_failed"))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["login"] for r in rows] == ["'=1+1"]
