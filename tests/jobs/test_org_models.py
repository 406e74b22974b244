"""Risk models per organisation (issue 15, ADR 0010), on the demo store: two organisations
with different consent sets each train on exactly the businesses they may read for monitoring
(the ids checked against the grants, read here plainly), activate their own version without
touching the other's, get their own model's scores on the business page's API, cannot read or
activate the other's versions, and a training job requested by an administrator trains its
organisation's model."""

from __future__ import annotations

import json
import re
from datetime import date

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from kizashi.access import Actor
from kizashi.access.org_models import fingerprint, training_scope
from kizashi.actions.consent import do_revoke_consent
from kizashi.actions.organisations import do_add_user
from kizashi.actions.risk_admin import do_request_training
from kizashi.domain.vocabulary import Category, Purpose, Role
from kizashi.jobs import risk_model
from kizashi.jobs.demo_world import DEMO_PASSWORD
from kizashi.jobs.monitoring import run_monitoring_job
from kizashi.jobs.risk_org import events_table
from kizashi.model import registry
from kizashi.store.models import (
    AuditEvent,
    Business,
    ConsentGrant,
    CreditEvent,
    Loan,
    Organisation,
    User,
)
from kizashi.store.risk_admin_models import RiskModelActive
from kizashi.store.risk_scores import business_scores, month_scores, score_months
from kizashi.web.app import create_app

from ..demo_cache import built_demo
from ..web.conftest import login

GUARANTOR, BANK = "cgc-demo", "bank-demo-1"
ADMINS = {GUARANTOR: "hosho-admin", BANK: "bank1-admin"}


@pytest.fixture
def demo(store, settings):
    built_demo(store, settings, businesses=150, seed=11)
    with store.session() as s:
        bank = s.execute(select(Organisation).where(Organisation.code == BANK)).scalar_one()
        do_add_user(
            s,
            Actor.system(),
            org=bank,
            login=ADMINS[BANK],
            password=DEMO_PASSWORD,
            display_name="第一 管理者",
            role=Role.ADMIN,
        )
    run_monitoring_job(store, settings)
    return settings


def org_id(store, code: str) -> int:
    with store.session() as s:
        return int(s.execute(select(Organisation.id).where(Organisation.code == code)).scalar_one())


def granted(store, org: int, today: date) -> set[int]:
    """What the consent rule should give, read plainly: businesses of other organisations with
    a live financials grant for monitoring to ``org``."""
    with store.session() as s:
        rows = s.execute(
            select(ConsentGrant.business_id)
            .join(Business, Business.id == ConsentGrant.business_id)
            .where(
                ConsentGrant.grantee_org_id == org,
                ConsentGrant.category == Category.FINANCIALS,
                ConsentGrant.purpose == Purpose.MONITORING,
                ConsentGrant.valid_from <= today,
                (ConsentGrant.valid_to.is_(None)) | (ConsentGrant.valid_to >= today),
                ConsentGrant.revoked_at.is_(None),
                Business.org_id != org,
            )
        ).scalars()
        return set(rows)


def version_of(output: str) -> str:
    m = re.search(r"版 (v\d{8}-\d{6}(?:-\d+)?) を保存しました", output)
    assert m, output
    return m.group(1)


def test_each_organisation_trains_on_what_it_may_read(cli, store, demo):
    data_dir = demo.data_dir
    today = date.today()
    ids = {code: org_id(store, code) for code in ADMINS}
    expected = {code: granted(store, ids[code], today) for code in ADMINS}
    assert expected[GUARANTOR] and expected[BANK] and expected[GUARANTOR] != expected[BANK]

    versions = {}
    for code, admin in ADMINS.items():
        out = cli("model", "train", "--as", admin, "--test-months", "3")
        assert out.exit_code == 0, out.output
        versions[code] = version_of(out.output)
        meta = registry.read_doc(data_dir, versions[code])["meta"]
        assert meta["owner_org_id"] == ids[code]
        # exactly the visible businesses: the count and the fingerprint of the sorted ids
        assert meta["scope"]["businesses"] == len(expected[code])
        assert meta["scope"]["businesses_sha256"] == fingerprint(sorted(expected[code]))
        assert meta["train"]["businesses"] <= len(expected[code])
        card = cli("model", "card", versions[code], "--as", admin).output
        assert f"事業者 {len(expected[code]):,} 社" in card and "他の組織は見ることも" in card

    with store.session() as s:
        scopes = {code: training_scope(s, Actor.system(), ids[code]) for code in ADMINS}
        # credit events: of visible businesses only; another lender's only under a loans grant
        loans_granted = {
            code: set(
                s.execute(
                    select(ConsentGrant.business_id).where(
                        ConsentGrant.grantee_org_id == ids[code],
                        ConsentGrant.category == Category.LOANS,
                        ConsentGrant.purpose == Purpose.MONITORING,
                        ConsentGrant.revoked_at.is_(None),
                    )
                ).scalars()
            )
            for code in ADMINS
        }
        own_loans = {
            code: set(
                s.execute(
                    select(Loan.id).where(
                        (Loan.lender_org_id == ids[code]) | (Loan.guarantor_org_id == ids[code])
                    )
                ).scalars()
            )
            for code in ADMINS
        }
        all_events = s.execute(select(CreditEvent.business_id)).scalars().all()
    for code in ADMINS:
        sc = scopes[code]
        assert set(sc.business_ids) == expected[code]
        for business_id, loan_id, *_ in sc.events:
            assert business_id in expected[code]
            assert loan_id in own_loans[code] or business_id in loans_granted[code]
    assert all_events and sum(len(sc.events) for sc in scopes.values()) > 0

    # the feature rows the guarantor's model learns from: its businesses' only
    sc = scopes[GUARANTOR]
    h = risk_model.history(
        store, data_dir, business_ids=sc.business_ids, events=events_table(sc.events)
    )
    seen = set(np.unique(h.frame.business_id).tolist())
    assert seen and seen <= expected[GUARANTOR]
    assert not seen & (expected[BANK] - expected[GUARANTOR])

    # the listing each training read is audited under its administrator
    with store.session() as s:
        admins = dict(
            s.execute(select(User.login, User.id).where(User.login.in_(ADMINS.values()))).all()
        )
        listed = s.execute(
            select(AuditEvent.actor_user_id, AuditEvent.detail).where(AuditEvent.action == "list")
        ).all()
    trained = {
        u
        for u, d in listed
        if (json.loads(d) if isinstance(d, str) else d or {}).get("for") == "train_risk_model"
    }
    assert {admins[a] for a in ADMINS.values()} <= trained

    # --- activation per organisation: the bank's does not move the guarantor's
    assert cli("model", "activate", versions[BANK], "--as", ADMINS[GUARANTOR]).exit_code == 1
    assert cli("model", "activate", versions[GUARANTOR], "--as", ADMINS[GUARANTOR]).exit_code == 0
    with store.session() as s:
        active = dict(s.execute(select(RiskModelActive.org_id, RiskModelActive.version)).all())
    assert active == {ids[GUARANTOR]: versions[GUARANTOR]}
    assert registry.active_version(data_dir) is None  # the deployment's pointer untouched
    assert cli("model", "activate", versions[BANK], "--as", ADMINS[BANK]).exit_code == 0
    with store.session() as s:
        active = dict(s.execute(select(RiskModelActive.org_id, RiskModelActive.version)).all())
    assert active == {ids[GUARANTOR]: versions[GUARANTOR], ids[BANK]: versions[BANK]}

    # listing: its own and nothing of the other's
    listed_g = cli("model", "list", "--as", ADMINS[GUARANTOR]).output
    assert versions[GUARANTOR] in listed_g and versions[BANK] not in listed_g
    assert listed_g.startswith("*")
    refused = cli("model", "card", versions[BANK], "--as", ADMINS[GUARANTOR])
    assert refused.exit_code == 1 and "データ期間" not in refused.output
    assert cli("model", "evaluate", versions[BANK], "--as", ADMINS[GUARANTOR]).exit_code == 1

    # --- the run scores each organisation's businesses with its own model
    run_monitoring_job(store, demo)
    scored = {}
    for code in ADMINS:
        months = score_months(data_dir, versions[code])
        assert months, code
        t = month_scores(data_dir, versions[code], months[-1]["as_of"])
        scored[code] = set(t.column("business_id").to_pylist())
        assert set(t.column("model_org_id").to_pylist()) == {ids[code]}
        assert scored[code] and scored[code] <= expected[code]  # its businesses only
    both = sorted(scored[GUARANTOR] & scored[BANK])
    only_bank = sorted(scored[BANK] - expected[GUARANTOR])
    assert both
    for b in both[:3]:
        for code in ADMINS:
            rows = business_scores(data_dir, b, versions[code])
            assert rows and rows[0]["model_org_id"] == ids[code]
    for b in only_bank[:3]:
        assert not business_scores(data_dir, b, versions[GUARANTOR])

    # --- the business API shows the reader's organisation's score
    target = both[0]
    for code, officer in ((GUARANTOR, "hosho"), (BANK, "bank1")):
        with TestClient(create_app(demo, store), follow_redirects=False) as client:
            login(client, officer, DEMO_PASSWORD)
            risk = client.get(f"/api/v1/businesses/{target}/risk").json()
        assert risk["scored"] and risk["model_version"] == versions[code], risk
        assert risk["model_org_id"] == ids[code]
        assert 0 <= risk["triage"] <= 100
    with TestClient(create_app(demo, store), follow_redirects=False) as client:
        # the admin API: the other organisation's version is missing (404), its own is there
        login(client, ADMINS[GUARANTOR], DEMO_PASSWORD)
        tok = client.get("/api/v1/me").json()["csrf_token"]
        listed_api = {m["version"] for m in client.get("/api/v1/admin/models").json()}
        assert versions[GUARANTOR] in listed_api and versions[BANK] not in listed_api
        assert client.get(f"/api/v1/admin/models/{versions[BANK]}").status_code == 404
        assert client.get(f"/api/v1/admin/models/{versions[BANK]}/evaluation").status_code == 404
        r = client.post(
            f"/api/v1/admin/models/{versions[BANK]}/activate", headers={"X-CSRF-Token": tok}
        )
        assert r.status_code == 404
        page = client.get(f"/admin/models?version={versions[BANK]}")
        assert page.status_code == 200  # its own page, nothing of the other's version on it
        assert f'data-version="{versions[BANK]}"' not in page.text
        assert f">{versions[BANK]}<" not in page.text
        assert f'data-version="{versions[GUARANTOR]}" data-owner="own"' in page.text
        # ending its own: the guarantor falls back to the deployment's model (none here)
        r = client.delete("/api/v1/admin/models/active", headers={"X-CSRF-Token": tok})
        assert r.status_code == 200 and r.json()["previous"] == versions[GUARANTOR]
    with store.session() as s:
        active = dict(s.execute(select(RiskModelActive.org_id, RiskModelActive.version)).all())
        acts = s.execute(
            select(AuditEvent.action, AuditEvent.decision).where(
                AuditEvent.action.in_(
                    ("risk_model_activated", "risk_model_deactivated", "read_risk_model")
                )
            )
        ).all()
    assert active == {ids[BANK]: versions[BANK]}
    assert ("risk_model_deactivated", "write") in acts and ("read_risk_model", "deny") in acts


def test_a_training_job_trains_its_organisations_model(cli, store, demo):
    gid = org_id(store, GUARANTOR)
    before = granted(store, gid, date.today())
    with store.session() as s:  # a business revokes the guarantor's financials consent
        grant = s.execute(
            select(ConsentGrant)
            .where(
                ConsentGrant.grantee_org_id == gid,
                ConsentGrant.category == Category.FINANCIALS,
                ConsentGrant.purpose == Purpose.MONITORING,
                ConsentGrant.revoked_at.is_(None),
            )
            .order_by(ConsentGrant.id)
            .limit(1)
        ).scalar_one()
        revoked = grant.business_id
        do_revoke_consent(s, Actor.system(), grant=grant)
    after = granted(store, gid, date.today())
    assert revoked in before and revoked not in after
    with store.session() as s:
        admin = s.execute(select(User).where(User.login == ADMINS[GUARANTOR])).scalar_one()
        job = do_request_training(s, Actor.from_user(admin), test_months=3)
        job_id = job.id
    out = cli("model", "run-job", str(job_id))
    assert out.exit_code == 0, out.output
    version = re.search(r"版 (v\d{8}-\d{6}(?:-\d+)?)", out.output).group(1)
    meta = registry.read_doc(demo.data_dir, version)["meta"]
    assert meta["owner_org_id"] == gid
    # the job trained on the businesses visible now: the revoked one is out
    assert meta["scope"]["businesses_sha256"] == fingerprint(sorted(after))
    assert meta["scope"]["businesses"] == len(after) == len(before) - (revoked not in after)
    # the bank's administrator does not see the guarantor's job
    jobs_bank = cli("model", "jobs", "--as", ADMINS[BANK]).output
    jobs_g = cli("model", "jobs", "--as", ADMINS[GUARANTOR]).output
    assert version in jobs_g and version not in jobs_bank
