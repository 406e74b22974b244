"""Consent pages (SQLite and PostgreSQL): the business's portal, the institution's view and the
business page's consent section, driven through their forms; Japanese pages speak Japanese."""

from __future__ import annotations

import re
from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from kizashi.store.db import Store
from kizashi.store.models import ConsentGrant, ConsentRequest

from .conftest import WebWorld, csrf_from, last_audit, login, snapshot
from .japanese_only import latin_words, visible_text


def _japanese(html: str) -> None:
    words = latin_words(visible_text(html), {"b_officer", "a_officer", "cgc_officer"})
    assert words == [], words


def test_ask_answer_read_revoke_through_the_pages(
    client: TestClient, store: Store, web_world: WebWorld
) -> None:
    bid = web_world.business_id
    page = f"/businesses/{bid}?purpose=credit_review"
    login(client, "a_officer")
    html = client.get(page).text
    section = html[html.index('id="consent"') :]
    assert "与信・保証審査 の同意がないデータ" in section and "consent-request-form" in section
    _japanese(html)
    r = client.post(
        f"/businesses/{bid}/consent-requests",
        data={
            "csrf_token": csrf_from(html),
            "categories": ["financials", "loans"],
            "purpose": "credit_review",
            "reason": "設備資金の審査のため",
        },
    )
    assert r.status_code == 303 and "consent_done=requested" in r.headers["location"]
    html = client.get(r.headers["location"]).text
    assert "依頼を事業者に送りました" in html and "回答待ち" in html
    client.cookies.clear()

    login(client, "owner")
    html = client.get("/consent").text
    _japanese(html)
    assert "回答を待っている依頼" in html and "設備資金の審査のため" in html and "A銀行" in html
    with store.session() as s:
        rid = s.execute(select(ConsentRequest.id)).scalar_one()
    r = client.post(
        f"/consent/requests/{rid}/respond",
        data={
            "csrf_token": csrf_from(html),
            "decision": "approve",
            "categories": ["financials"],
            "note": "借入の明細は面談で",
        },
    )
    assert r.status_code == 303 and r.headers["location"] == "/consent?done=answered"
    html = client.get(r.headers["location"]).text
    grants = html[html.index('id="grants"') : html.index('id="h-grant"')]
    assert "A銀行" in grants and "依頼に承認" in grants
    client.cookies.clear()

    login(client, "a_officer")
    html = client.get(page).text
    assert "一部承認" in html and "事業者から: 借入の明細は面談で" in html
    assert 'id="chart-sales"' in html  # the monthly figures now show for credit review
    html = client.get("/consent").text
    _japanese(html)
    assert "一部承認" in html and "承認: 試算表・決算書" in html
    client.cookies.clear()

    login(client, "owner")
    html = client.get("/consent").text
    looked = html[html.index('id="looked"') :]
    assert "A銀行" in looked and "a_officer" in looked and "与信・保証審査" in looked
    with store.session() as s:
        gid = s.execute(select(ConsentGrant.id).where(ConsentGrant.request_id == rid)).scalar_one()
    r = client.post(f"/consent/grants/{gid}/revoke", data={"csrf_token": csrf_from(html)})
    assert r.headers["location"] == "/consent?done=revoked"
    client.cookies.clear()

    login(client, "a_officer")
    html = client.get(page).text
    assert 'id="chart-sales"' not in html
    last = last_audit(store)
    assert last.decision == "allow"  # the page itself; the refused section has its own event
    with store.session() as s:
        from kizashi.store.models import AuditEvent

        refused = s.execute(
            select(AuditEvent)
            .where(AuditEvent.decision == "deny", AuditEvent.category == "financials")
            .order_by(AuditEvent.id.desc())
            .limit(1)
        ).scalar_one()
        assert refused.purpose == "credit_review" and refused.business_id == bid


def test_owner_grants_and_others_cannot(
    client: TestClient, store: Store, web_world: WebWorld
) -> None:
    login(client, "owner")
    html = client.get("/consent").text
    org = re.search(r'<option value="(\d+)">B信用金庫', html)
    assert org
    until = (date.today() + timedelta(days=10)).isoformat()
    r = client.post(
        "/consent/grants",
        data={
            "csrf_token": csrf_from(html),
            "organisation_id": org[1],
            "categories": ["qualitative", "invoices"],
            "purpose": "support",
            "valid_to": until,
        },
    )
    assert r.headers["location"] == "/consent?done=granted"
    html = client.get(r.headers["location"]).text
    assert "同意しました" in html and "まもなく終了" in html and "請求書" in html
    r = client.post(
        "/consent/grants",
        data={
            "csrf_token": csrf_from(html),
            "organisation_id": org[1],
            "purpose": "support",
        },
    )
    assert r.headers["location"] == "/consent?error=no_categories"
    assert "データの種類を1つ以上選んでください" in client.get(r.headers["location"]).text
    with store.session() as s:
        gid = s.execute(select(ConsentGrant.id).order_by(ConsentGrant.id.desc())).scalars().first()
    client.cookies.clear()

    for name in ("b_officer", "other_owner", "a_admin"):
        login(client, name)
        before = snapshot(store)
        token = csrf_from(client.get("/consent").text)  # a_admin: the 404 page's logout form
        r = client.post(f"/consent/grants/{gid}/revoke", data={"csrf_token": token})
        assert r.status_code == 404, name
        assert snapshot(store) == before
        assert last_audit(store).decision == "deny"
        client.cookies.clear()


def test_institution_banner_for_ending_grants_and_admin_sees_no_consent_page(
    client: TestClient, web_world: WebWorld
) -> None:
    login(client, "cgc_officer")
    html = client.get("/consent").text
    assert "事業者から同意を受けているデータ" in html and web_world.business_name in html
    client.cookies.clear()
    login(client, "a_admin")
    assert client.get("/consent").status_code == 404


def test_purpose_follows_the_organisation_and_survives_navigation(
    client: TestClient, store: Store, web_world: WebWorld
) -> None:
    from kizashi.access import Actor
    from kizashi.actions.consent import do_grant_consent
    from kizashi.actions.organisations import do_add_organisation, do_add_user
    from kizashi.domain.vocabulary import Category, OrgKind, Purpose, Role
    from kizashi.store.models import Business, User

    with store.session() as s:
        office = do_add_organisation(
            s, Actor.system(), kind=OrgKind.SUPPORTER, name="山田税理士事務所", code="tax-yamada"
        )
        do_add_user(
            s,
            Actor.system(),
            org=office,
            login="yamada",
            password="password123",
            display_name="山田",
            role=Role.OFFICER,
        )
        owner = s.execute(select(User).where(User.login == "owner")).scalar_one()
        do_grant_consent(
            s,
            Actor.from_user(owner),
            business=s.get(Business, web_world.business_id),
            grantee=office,
            categories=[Category.PROFILE, Category.FINANCIALS],
            purpose=Purpose.SUPPORT,
            valid_from=date.today(),
        )
    selected = re.compile(r'<option value="(\w+)"\s+selected>')
    login(client, "yamada")
    html = client.get("/portfolio").text  # first login: 経営支援, and the business is there
    assert selected.findall(html)[:1] == ["support"]
    assert web_world.business_name in html
    html = client.get("/portfolio?purpose=monitoring").text
    assert web_world.business_name not in html
    page = client.get(f"/businesses/{web_world.business_id}")  # remembered: monitoring
    assert page.status_code == 404
    html = client.get("/portfolio?purpose=support").text
    assert web_world.business_name in html
    html = client.get(f"/businesses/{web_world.business_id}").text  # remembered: support
    assert 'id="chart-sales"' in html
    client.cookies.clear()
    login(client, "a_officer")  # a bank opens on 期中モニタリング
    assert selected.findall(client.get("/portfolio").text)[:1] == ["monitoring"]


def test_english_pages_speak_english(client: TestClient, web_world: WebWorld) -> None:
    login(client, "owner")
    html = client.get("/consent?lang=en").text
    assert "Who can see what, for which purpose, until when" in html
    assert "Trial balances and financial statements" in html and "Monitoring" in html
    assert "試算表・決算書" not in html and "誰が" not in html
    client.cookies.clear()
    login(client, "a_officer")
    html = client.get(f"/businesses/{web_world.business_id}?purpose=support&lang=en").text
    assert "No consent for Business support:" in html and "Ask the business for consent" in html
