"""Reports on a business through the API and the pages: the accountant writes the quarterly
monitoring report (figures exact to the yen), sends it to the bank the owner consented to; the
bank reads it (API, page, PDF) and acknowledges it; the guarantor, holding a financials consent
but not chosen, and an organisation without one, are refused; the owner sees it. Japanese pages
speak Japanese."""

from __future__ import annotations

import re
from datetime import date
from io import BytesIO

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select

from kizashi.access import Actor
from kizashi.actions.consent import do_grant_consent
from kizashi.actions.organisations import do_add_organisation, do_add_user
from kizashi.actions.plans import do_add_plan, do_import_plan
from kizashi.actions.submissions import do_import_submission
from kizashi.domain.plans import PlanKind
from kizashi.domain.vocabulary import Category, OrgKind, Purpose, Role
from kizashi.store.models import Business, Organisation
from tests.actions.test_reports import CUMULATIVE, PLAN_CSV, tb

from .conftest import PASSWORD, SYSTEM, csrf_from, login
from .japanese_only import latin_words, visible_text


@pytest.fixture
def setup(store, web_world, tmp_path):
    bid = web_world.business_id
    with store.session() as s:
        business = s.get(Business, bid)
        owner = Actor.from_user(
            next(u for u in business.organisation.users if u.role == Role.OWNER)
        )
        firm = do_add_organisation(
            s, SYSTEM, kind=OrgKind.SUPPORTER, name="みなと会計事務所", code="acct"
        )
        do_add_user(
            s,
            SYSTEM,
            org=firm,
            login="acct_officer",
            password=PASSWORD,
            display_name="税理士",
            role=Role.OFFICER,
        )
        do_grant_consent(
            s,
            owner,
            business=business,
            grantee=firm,
            categories=[Category.FINANCIALS],
            purpose=Purpose.MONITORING,
            valid_from=date(2026, 4, 1),
        )
        do_import_submission(
            s, owner, business_id=bid, files=[(tb(CUMULATIVE), "tb.csv")], raw_dir=tmp_path / "raw"
        )
        plan = do_add_plan(s, owner, bid, kind=PlanKind.BUSINESS, title="事業計画")
        do_import_plan(s, owner, plan.id, PLAN_CSV, "計画.csv")
        orgs = dict(s.execute(select(Organisation.code, Organisation.id)).all())
        return {"bid": bid, "plan_id": plan.id, "orgs": orgs}


def _as(client: TestClient, name: str) -> dict[str, str]:
    client.cookies.clear()
    login(client, name)
    return {"X-CSRF-Token": client.get("/api/v1/me").json()["csrf_token"]}


def test_api_walk_exact_figures_consent_and_pdf(client, setup):
    bid, orgs = setup["bid"], setup["orgs"]
    h = _as(client, "acct_officer")
    choices = client.get(f"/api/v1/businesses/{bid}/report-recipients").json()
    names = {c["name"] for c in choices}
    assert "A銀行" in names and "B信用金庫" not in names and "C銀行" not in names
    r = client.post(
        f"/api/v1/businesses/{bid}/reports",
        headers=h,
        json={
            "kind": "monitoring",
            "period_to": "2025-06",
            "plan_id": setup["plan_id"],
            "recipient_org_ids": [orgs["bank-a"]],
            "comment": "売上は計画比 −35万円。粗利率は改善。",
        },
    )
    assert r.status_code == 201, r.text
    rep = r.json()
    f = {x["item"]: x for x in rep["figures"]}
    assert (f["sales"]["plan"], f["sales"]["actual"], f["sales"]["deviation"]) == (
        3_000_000,
        2_650_000,
        -350_000,
    )
    assert (f["cash"]["last_year"], f["cash"]["change"]) == (6_400_000, -450_000)
    assert rep["timeliness"] == {"on_time": 0, "late": 3, "missing": 0}
    assert rep["status"] == "draft" and rep["mode"] == "own"
    rid = rep["id"]
    bad = client.post(
        f"/api/v1/businesses/{bid}/reports",
        headers=h,
        json={"kind": "monitoring", "period_to": "2025-06", "recipient_org_ids": [orgs["bank-b"]]},
    )
    assert bad.status_code == 409
    sent = client.post(f"/api/v1/reports/{rid}/send", headers=h, json={})
    assert sent.status_code == 200 and sent.json()["report"]["status"] == "sent"
    assert sent.json()["next_report_id"]
    # the bank it was sent to reads it, and its PDF
    h = _as(client, "a_officer")
    got = client.get(f"/api/v1/reports/{rid}")
    assert got.status_code == 200 and got.json()["mode"] == "recipient"
    assert [r["id"] for r in client.get("/api/v1/reports").json()] == [rid]
    pdf = client.get(f"/api/v1/reports/{rid}/report.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(pdf.content)).pages)
    text = text.replace("\n", "")
    assert "税理士によるモニタリング報告書" in text and "2,650,000円" in text
    assert "6,400,000円" in text and "売上は計画比 −35万円。" in text
    ack = client.post(f"/api/v1/reports/{rid}/acknowledge", headers=h, json={})
    assert ack.status_code == 200 and ack.json()["status"] == "acknowledged"
    # the bank did not write it: it cannot change or withdraw it
    assert client.post(f"/api/v1/reports/{rid}/withdraw", headers=h, json={}).status_code == 404
    # the guarantor holds a financials consent but was not chosen; bank C holds none
    for who in ("cgc_officer", "c_officer"):
        _as(client, who)
        refused = client.get(f"/api/v1/reports/{rid}")
        assert refused.status_code == 404 and "2650000" not in refused.text
        assert client.get("/api/v1/reports").json() == []
    _as(client, "owner")
    assert client.get(f"/api/v1/reports/{rid}").json()["mode"] == "owner"


def test_pages_create_send_and_read_in_japanese(client, setup):
    bid, orgs = setup["bid"], setup["orgs"]
    _as(client, "acct_officer")
    form = client.get(f"/businesses/{bid}/reports/new?purpose=monitoring")
    assert form.status_code == 200 and "A銀行" in form.text
    assert latin_words(visible_text(form.text)) == []
    r = client.post(
        f"/businesses/{bid}/reports",
        data={
            "csrf_token": csrf_from(form.text),
            "kind": "monitoring",
            "cadence": "quarterly",
            "period_to": "2025-06",
            "plan_id": str(setup["plan_id"]),
            "recipients": [str(orgs["bank-a"])],
            "comment": "在庫の回転が改善",
        },
    )
    assert r.status_code == 303, r.text
    url = r.headers["location"].split("?")[0]
    page = client.get(url)
    assert page.status_code == 200
    assert latin_words(visible_text(page.text)) == []
    row = re.search(r'<tr data-item="sales">(.*?)</tr>', page.text, re.S).group(1)
    assert "3,000,000" in row and "2,650,000" in row and 'data-value="-350000"' in row
    assert "期限内 0か月・遅れ 3か月・未提出 0か月" in page.text
    sent = client.post(url + "/send", data={"csrf_token": csrf_from(page.text)})
    assert sent.status_code == 303
    assert "送付済" in client.get(url).text
    # the bank: the business page's section lists it; acknowledges it on its page
    _as(client, "a_officer")
    section = client.get(f"/businesses/{bid}/reports")
    assert section.status_code == 200 and url in section.text
    assert latin_words(visible_text(section.text)) == []  # a fragment: no header
    page = client.get(url)
    assert 'id="report-acknowledge"' in page.text and 'id="report-send"' not in page.text
    done = client.post(url + "/acknowledge", data={"csrf_token": csrf_from(page.text)})
    assert done.status_code == 303
    assert "受領済" in client.get(url).text
    english = client.get(url + "?lang=en")
    assert "Figures of the period" in english.text and "Receipt acknowledged" in english.text
    assert "期間の数値" not in english.text
    client.get(url + "?lang=ja")  # the choice is remembered: back to Japanese
    reports = client.get("/reports")
    assert reports.status_code == 200
    assert latin_words(visible_text(reports.text)) == ["a_officer"]  # the user's own name
    # an organisation not chosen: the page is the 404 page
    _as(client, "cgc_officer")
    assert client.get(url).status_code == 404
    assert url not in client.get(f"/businesses/{bid}/reports").text
