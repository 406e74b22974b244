"""Consent under /api/v1 on SQLite and PostgreSQL: ask → approve part → read exactly that part
→ revoke → refused and audited; who looked; 包括同意; who may do what (404), what the state
allows (409)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from kizashi.store.db import Store

from .conftest import WebWorld, last_audit, login, snapshot


@contextmanager
def as_user(app, name: str) -> Iterator[tuple[TestClient, dict[str, str]]]:  # type: ignore[no-untyped-def]
    with TestClient(app, follow_redirects=False) as c:
        login(c, name)
        yield c, {"X-CSRF-Token": c.get("/api/v1/me").json()["csrf_token"]}


def test_request_approve_part_read_revoke(app, store: Store, web_world: WebWorld) -> None:
    bid = web_world.business_id
    monthly = f"/api/v1/businesses/{bid}/monthly?purpose=credit_review"
    with as_user(app, "a_officer") as (bank, h):
        assert bank.get(monthly).status_code == 404  # no credit-review consent yet
        r = bank.post(
            f"/api/v1/businesses/{bid}/consent-requests",
            json={
                "categories": ["financials", "loans", "qualitative"],
                "purpose": "credit_review",
                "reason": "運転資金の追加融資の審査のため",
                "valid_to": (date.today() + timedelta(days=20)).isoformat(),
            },
            headers=h,
        )
        assert r.status_code == 201, r.text
        req = r.json()
        assert req["status"] == "pending" and req["organisation_name"] == "A銀行"
        assert req["expires_on"] == (date.today() + timedelta(days=30)).isoformat()
    with as_user(app, "other_owner") as (other, h):
        before = snapshot(store)
        r = other.post(
            f"/api/v1/consent-requests/{req['id']}/respond",
            json={"approve": ["financials"]},
            headers=h,
        )
        assert r.status_code == 404 and web_world.business_name not in r.text
        assert snapshot(store) == before
        assert last_audit(store).decision == "deny"
        assert other.get(f"/api/v1/businesses/{bid}/consents").status_code == 404
    with as_user(app, "owner") as (owner, h):
        view = owner.get(f"/api/v1/businesses/{bid}/consents").json()
        assert [r["id"] for r in view["requests"] if r["status"] == "pending"] == [req["id"]]
        r = owner.post(
            f"/api/v1/consent-requests/{req['id']}/respond",
            json={"approve": ["financials"], "note": "借入の明細はお断りします"},
            headers=h,
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "partly_approved" and r.json()["approved"] == ["financials"]
        again = owner.post(
            f"/api/v1/consent-requests/{req['id']}/respond", json={"approve": []}, headers=h
        )
        assert again.status_code == 409
        grants = owner.get(f"/api/v1/businesses/{bid}/consents").json()["grants"]
        (grant,) = [g for g in grants if g["from_request"] == req["id"]]
        assert grant["standing"] == "ending_soon" and grant["source"] == "request"
    with as_user(app, "a_officer") as (bank, h):
        assert bank.get(monthly).status_code == 200  # exactly the approved part
        loans = bank.get(f"/api/v1/businesses/{bid}/loans?purpose=credit_review").json()
        assert {ln["loan_number"] for ln in loans["loans"]} == {"A-1"}  # own loan only
        mine = bank.get("/api/v1/consents").json()
        (out,) = [r for r in mine["requests"] if r["id"] == req["id"]]
        assert out["note"] == "借入の明細はお断りします"
    with as_user(app, "owner") as (owner, h):
        r = owner.post(f"/api/v1/consents/{grant['id']}/revoke", headers=h)
        assert r.status_code == 200 and r.json()["standing"] == "revoked"
        looks = owner.get(f"/api/v1/businesses/{bid}/access-log").json()
        bank_reads = [x for x in looks if x["organisation_name"] == "A銀行"]
        assert any(
            not x["refused"] and x["purpose"] == "credit_review" and "financials" in x["categories"]
            for x in bank_reads
        )
        assert any(x["refused"] for x in bank_reads)  # the read before the consent
    with as_user(app, "a_officer") as (bank, h):
        assert bank.get(monthly).status_code == 404
        last = last_audit(store)
        assert (last.decision, last.business_id, last.purpose) == ("deny", bid, "credit_review")
        assert bank.get(f"/api/v1/businesses/{bid}/access-log").status_code == 404


def test_grant_and_its_refusals(app, store: Store, web_world: WebWorld) -> None:
    bid = web_world.business_id
    with as_user(app, "owner") as (owner, h):
        orgs = {o["code"]: o for o in owner.get("/api/v1/consent-grantees").json()}
        assert "bank-b" in orgs and all(o["kind"] != "business" for o in orgs.values())
        body = {
            "organisation_id": orgs["bank-b"]["id"],
            "categories": ["profile", "financials"],
            "purpose": "support",
        }
        r = owner.post(f"/api/v1/businesses/{bid}/consents", json=body, headers=h)
        assert r.status_code == 201, r.text
        assert {g["category"] for g in r.json()} == {"financials", "profile"}
        assert {g["granted_by"] for g in r.json()} == {"社長"}
        bad = {**body, "valid_from": "2026-05-01", "valid_to": "2026-04-01"}
        assert (
            owner.post(f"/api/v1/businesses/{bid}/consents", json=bad, headers=h).status_code == 409
        )
        unknown = {**body, "categories": ["gossip"]}
        assert (
            owner.post(f"/api/v1/businesses/{bid}/consents", json=unknown, headers=h).status_code
            == 422
        )
        nobody = {**body, "organisation_id": 999999}
        assert (
            owner.post(f"/api/v1/businesses/{bid}/consents", json=nobody, headers=h).status_code
            == 404
        )
        other = owner.post(
            f"/api/v1/businesses/{web_world.other_business_id}/consents", json=body, headers=h
        )
        assert other.status_code == 404
    with as_user(app, "b_officer") as (bank, h):
        assert bank.get(f"/api/v1/businesses/{bid}/monthly?purpose=support").status_code == 200
        before = snapshot(store)
        r = bank.post(f"/api/v1/businesses/{bid}/consents", json=body, headers=h)
        assert r.status_code == 404 and snapshot(store) == before
        # bank B holds a live grant now, so it may ask for more
        r = bank.post(
            f"/api/v1/businesses/{bid}/consent-requests",
            json={"categories": ["loans"], "purpose": "support", "reason": "返済計画の相談"},
            headers=h,
        )
        assert r.status_code == 201
        rid = r.json()["id"]
        assert (
            bank.post(f"/api/v1/consent-requests/{rid}/withdraw", headers=h).json()["status"]
            == "withdrawn"
        )
    with as_user(app, "c_officer") as (stranger, h):
        r = stranger.post(
            f"/api/v1/businesses/{bid}/consent-requests",
            json={"categories": ["loans"], "purpose": "support", "reason": "営業"},
            headers=h,
        )
        assert r.status_code == 404 and web_world.business_name not in r.text
        assert stranger.get("/api/v1/consents").json() == {"grants": [], "requests": []}


def test_application_consent(app, store: Store, web_world: WebWorld) -> None:
    bid = web_world.business_id
    body = {
        "categories": ["qualitative"],
        "purpose": "credit_review",
        "document_ref": "保証委託契約書 第2026-77号",
    }
    with as_user(app, "b_officer") as (bank, h):  # lends but is not linked
        r = bank.post(f"/api/v1/businesses/{bid}/application-consents", json=body, headers=h)
        assert r.status_code == 404
    with as_user(app, "a_officer") as (bank, h):
        r = bank.post(f"/api/v1/businesses/{bid}/application-consents", json=body, headers=h)
        assert r.status_code == 201, r.text
        (g,) = r.json()
        assert (g["source"], g["document_ref"]) == ("application", "保証委託契約書 第2026-77号")
        blank = {**body, "document_ref": "   "}
        r = bank.post(f"/api/v1/businesses/{bid}/application-consents", json=blank, headers=h)
        assert r.status_code == 422
    with as_user(app, "owner") as (owner, h):
        grants = owner.get(f"/api/v1/businesses/{bid}/consents").json()["grants"]
        assert any(x["id"] == g["id"] and x["source"] == "application" for x in grants)
        assert owner.post(f"/api/v1/consents/{g['id']}/revoke", headers=h).status_code == 200
    with as_user(app, "a_officer") as (bank, h):
        # the bank cannot revoke the business's grants, nor answer requests
        assert bank.post(f"/api/v1/consents/{g['id']}/revoke", headers=h).status_code == 404


WRITES = {
    # route → who may (everyone else: 404, nothing changed, the refusal audited)
    "/api/v1/businesses/{bid}/consents": {"owner"},
    "/api/v1/consents/{gid}/revoke": {"owner"},
    "/api/v1/consent-requests/{rid}/respond": {"owner"},
    "/api/v1/consent-requests/{rid}/withdraw": {"a_officer"},
    # an organisation that knows the business: linked, lending to it (bank B: its own loan,
    # no link) or holding a live grant
    "/api/v1/businesses/{bid}/consent-requests": {"a_officer", "cgc_officer", "b_officer"},
    # 包括同意: a lender or guarantor linked to the business
    "/api/v1/businesses/{bid}/application-consents": {"a_officer"},
}
ACTORS = [
    "c_officer",
    "b_officer",
    "rev_officer",
    "exp_officer",
    "a_admin",
    "a_auditor",
    "other_owner",
    "a_officer",
    "cgc_officer",
    "owner",
]


def _body(route: str, orgs: dict[str, int]) -> dict:
    if route.endswith("/consents"):
        return {"organisation_id": orgs["bank-b"], "categories": ["profile"], "purpose": "support"}
    if route.endswith("/respond"):
        return {"approve": ["financials"]}
    if route.endswith("/consent-requests"):
        return {"categories": ["loans"], "purpose": "support", "reason": "相談のため"}
    if route.endswith("/application-consents"):
        return {"categories": ["loans"], "purpose": "support", "document_ref": "申込書 第1号"}
    return {}


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("route", list(WRITES))
def test_write_matrix(app, store: Store, web_world: WebWorld, route: str, actor: str) -> None:
    bid = web_world.business_id
    with as_user(app, "a_officer") as (bank, h):
        rid = bank.post(
            f"/api/v1/businesses/{bid}/consent-requests",
            json={"categories": ["financials"], "purpose": "credit_review", "reason": "審査"},
            headers=h,
        ).json()["id"]
    with store.session() as s:
        from sqlalchemy import select

        from kizashi.store.models import ConsentGrant, Organisation

        gid = s.execute(select(ConsentGrant.id).order_by(ConsentGrant.id)).scalars().first()
        orgs = dict(s.execute(select(Organisation.code, Organisation.id)).all())
    url = route.format(bid=bid, gid=gid, rid=rid)
    with as_user(app, actor) as (c, h):
        before = snapshot(store)
        r = c.post(url, json=_body(route, orgs), headers=h)
        if actor in WRITES[route]:
            assert r.status_code in (200, 201), (actor, route, r.text)
            return
        assert r.status_code == 404, (actor, route, r.status_code, r.text)
        assert web_world.business_name not in r.text
        assert snapshot(store) == before
        last = last_audit(store)
        assert last.decision == "deny" and last.actor_user_id is not None, (actor, route)


def test_dates_are_iso_days_only(app, web_world: WebWorld) -> None:
    """A number is not a date (pydantic would read it as a Unix time): 422, as the schema says."""
    bid = web_world.business_id
    with as_user(app, "owner") as (owner, h):
        assert owner.get(f"/api/v1/businesses/{bid}/access-log?since=0").status_code == 422
        assert owner.get(f"/api/v1/businesses/{bid}/access-log?since=2026-01-01").status_code == 200
        body = {
            "organisation_id": 1,
            "categories": ["flags"],
            "purpose": "support",
            "valid_from": 0,
        }
        r = owner.post(f"/api/v1/businesses/{bid}/consents", json=body, headers=h)
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "valid_from"]
