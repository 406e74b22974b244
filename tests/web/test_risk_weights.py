"""Each organisation's weighting of the risk score in its triage priority: its administrator
sees and changes it (API and page, audited); the change reorders that organisation's queue and
the triage figure of its risk section, and no other organisation's."""

from __future__ import annotations

import json
from datetime import date, timedelta

import httpx
import pyarrow as pa
from fastapi.testclient import TestClient
from sqlalchemy import select

from kizashi.access import Actor
from kizashi.actions.consent import do_grant_consent
from kizashi.domain.vocabulary import Category, Purpose
from kizashi.model import registry
from kizashi.settings import Settings
from kizashi.store.analytics import analytics_path
from kizashi.store.db import Store
from kizashi.store.models import AuditEvent, Business, Organisation, User
from kizashi.store.risk_scores import write_scores

from .conftest import WebWorld, add_flag, csrf_from, login
from .test_risk_model import _version

ALL = [Category.PROFILE, Category.FINANCIALS, Category.LOANS, Category.FLAGS]


def _setup(store: Store, settings: Settings, w: WebWorld) -> None:
    """Business X (the world's, a high flag) has a low probability; business Y (a low flag) a
    high one. The guarantor and bank A both see both."""
    today = date.today()
    with store.session() as s:
        other = s.get(Business, w.other_business_id)
        owner = s.execute(select(User).where(User.login == "other_owner")).scalar_one()
        x_owner = s.execute(select(User).where(User.login == "owner")).scalar_one()
        x = s.get(Business, w.business_id)
        assert other is not None and x is not None
        for code in ("cgc", "bank-a"):
            org = s.execute(select(Organisation).where(Organisation.code == code)).scalar_one()
            do_grant_consent(
                s,
                Actor.from_user(owner),
                business=other,
                grantee=org,
                categories=ALL,
                purpose=Purpose.MONITORING,
                valid_from=today - timedelta(days=30),
            )
        bank_a = s.execute(select(Organisation).where(Organisation.code == "bank-a")).scalar_one()
        do_grant_consent(
            s,
            Actor.from_user(x_owner),
            business=x,
            grantee=bank_a,
            categories=ALL,
            purpose=Purpose.MONITORING,
            valid_from=today - timedelta(days=30),
        )
        flag = add_flag(s, w.other_business_id, today.replace(day=1) - timedelta(days=400))
        flag.severity = "low"
    version = _version(settings.data_dir)
    registry.set_active(settings.data_dir, version, "test")
    analytics_path(settings.data_dir).parent.mkdir(parents=True, exist_ok=True)
    ids = [w.business_id, w.other_business_id, 9001, 9002]
    rows = {
        "business_id": ids,
        "peer_group": ["g"] * 4,
        "probability": [0.02, 0.50, 0.10, 0.30],
        "rule_priority": [8.0, 1.0, 2.0, 0.0],
        "triage": [50.0] * 4,
        **{
            c: [0.0] * 4
            for c in (
                "flags_critical",
                "flags_high",
                "flags_medium",
                "flags_low",
                "flags_credit",
                "max_dpd_3m",
            )
        },
    }
    write_scores(analytics_path(settings.data_dir), version, date(2026, 9, 1), pa.table(rows))


def _order(client: TestClient, who: str, w: WebWorld) -> list[int]:
    client.cookies.clear()
    login(client, who)
    items = client.get("/api/v1/triage").json()["items"]
    mine = {w.business_id, w.other_business_id}
    return [i["business_id"] for i in items if i["business_id"] in mine]


def _put(client: TestClient, pct: int) -> httpx.Response:
    tok = client.get("/api/v1/me").json()["csrf_token"]
    return client.put(
        "/api/v1/admin/risk-weight", json={"score_pct": pct}, headers={"X-CSRF-Token": tok}
    )


def test_a_weight_change_reorders_that_organisations_queue_only(
    client: TestClient, store: Store, settings: Settings, web_world: WebWorld
) -> None:
    _setup(store, settings, web_world)
    x, y = web_world.business_id, web_world.other_business_id
    before_a, before_cgc = (
        _order(client, "a_officer", web_world),
        _order(client, "cgc_officer", web_world),
    )
    assert before_a == [x, y] and before_cgc == [x, y]  # 50 %: a tie, the rules' points decide

    client.cookies.clear()
    login(client, "a_admin")
    assert client.get("/api/v1/admin/risk-weight").json() == {
        "score_pct": 50,
        "rules_pct": 50,
        "default": True,
    }
    r = _put(client, 100)
    assert r.status_code == 200, r.text
    assert r.json() == {"score_pct": 100, "rules_pct": 0, "default": False}
    assert _order(client, "a_officer", web_world) == [y, x]  # the score alone
    assert _order(client, "cgc_officer", web_world) == [x, y]  # not the guarantor's

    client.cookies.clear()
    login(client, "a_admin")
    assert _put(client, 0).status_code == 200
    assert _order(client, "a_officer", web_world) == [x, y]
    with store.session() as s:
        changes = (
            s.execute(select(AuditEvent).where(AuditEvent.action == "set_risk_weight"))
            .scalars()
            .all()
        )
    assert [json.loads(c.detail)["new"] for c in changes] == [100, 0]


def test_the_risk_sections_triage_follows_the_readers_weight(
    client: TestClient, store: Store, settings: Settings, web_world: WebWorld
) -> None:
    _setup(store, settings, web_world)
    y = web_world.other_business_id
    login(client, "a_admin")
    assert _put(client, 100).status_code == 200
    client.cookies.clear()
    login(client, "a_officer")
    # y: the highest of 4 probabilities (87.5), the lowest-but-one rules' priority (37.5)
    assert client.get(f"/api/v1/businesses/{y}/risk").json()["triage"] == 87.5
    client.cookies.clear()
    login(client, "cgc_officer")
    assert client.get(f"/api/v1/businesses/{y}/risk").json()["triage"] == 62.5  # 50 %


def test_others_may_not_change_it_and_the_page_changes_it(
    client: TestClient, store: Store, web_world: WebWorld
) -> None:
    login(client, "a_officer")
    assert _put(client, 80).status_code == 404
    assert client.get("/api/v1/admin/risk-weight").status_code == 404
    with store.session() as s:
        denied = (
            s.execute(
                select(AuditEvent).where(
                    AuditEvent.action == "set_risk_weight", AuditEvent.decision == "deny"
                )
            )
            .scalars()
            .all()
        )
    assert denied
    client.cookies.clear()
    login(client, "a_admin")
    assert _put(client, 101).status_code == 422
    page = client.get("/admin/risk-weight")
    assert page.status_code == 200 and 'name="score_pct"' in page.text
    r = client.post(
        "/admin/risk-weight", data={"score_pct": "70", "csrf_token": csrf_from(page.text)}
    )
    assert r.status_code == 303
    assert client.get("/api/v1/admin/risk-weight").json()["score_pct"] == 70
    page = client.get("/admin/risk-weight")
    r = client.post("/admin/risk-weight", data={"reset": "1", "csrf_token": csrf_from(page.text)})
    assert r.status_code == 303
    assert client.get("/api/v1/admin/risk-weight").json()["default"] is True


def test_a_json_integer_is_any_integer_the_schema_allows(
    client: TestClient, web_world: WebWorld
) -> None:
    """Schemathesis found 81.0 refused: the schema's integer includes it; booleans and strings
    stay refused (as every JSON body's integer in the API)."""
    login(client, "a_admin")
    tok = client.get("/api/v1/me").json()["csrf_token"]
    ok = client.put(
        "/api/v1/admin/risk-weight", json={"score_pct": 81.0}, headers={"X-CSRF-Token": tok}
    )
    assert ok.status_code == 200 and ok.json()["score_pct"] == 81
    for bad in (True, "81", 81.5):
        r = client.put(
            "/api/v1/admin/risk-weight", json={"score_pct": bad}, headers={"X-CSRF-Token": tok}
        )
        assert r.status_code == 422, bad
    for bad in (True, "3", 0, 37):
        r = client.post(
            "/api/v1/admin/model-jobs", json={"test_months": bad}, headers={"X-CSRF-Token": tok}
        )
        assert r.status_code == 422, bad
