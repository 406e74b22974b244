"""Pages and API routes for an allowed user: what they show."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from kizashi.store.db import Store

from .conftest import LAST_MONTH, WebWorld, login
from .data import make_portfolio


def test_home_sends_staff_to_the_portfolio(client: TestClient) -> None:
    login(client, "cgc_officer")
    r = client.get("/")
    assert r.status_code == 303 and r.headers["location"] == "/portfolio"


def test_business_page_shows_charts_loans_and_events(
    client: TestClient, web_world: WebWorld
) -> None:
    login(client, "cgc_officer")
    r = client.get(f"/businesses/{web_world.business_id}")
    assert r.status_code == 200
    html = r.text
    assert web_world.business_name in html
    assert html.count("<svg") == 4
    for caption in (
        "売上高（月次）",
        "営業利益（月次）",
        "現預金（月末残高）",
        "借入金（月末残高）",
    ):
        assert caption in html
    assert "令和" in html  # 和暦 dates
    assert "延滞" in html and "A銀行の延滞メモ" in html and "B信金の条件変更メモ" in html
    assert "24,000,000円" in html
    assert "対話のきっかけ" in html  # the place for flags, worded as dialogue
    assert "<script" not in html.split("</head>", 1)[1]  # charts need no script


def test_business_page_in_english(client: TestClient, web_world: WebWorld) -> None:
    login(client, "cgc_officer")
    r = client.get(f"/businesses/{web_world.business_id}?lang=en")
    assert '<html lang="en">' in r.text
    assert "Net sales (monthly)" in r.text and "売上高（月次）" not in r.text
    # the choice sticks for the session
    assert "Portfolio" in client.get("/portfolio").text


def test_api_monthly_series(client: TestClient, web_world: WebWorld) -> None:
    login(client, "cgc_officer")
    body = client.get(f"/api/v1/businesses/{web_world.business_id}/monthly").json()
    items = body["items"]
    assert len(items) == 36
    assert items[-1]["month"] == LAST_MONTH.replace(day=1).isoformat()
    first = items[
        0
    ]  # no earlier trial balance: its monthly flow is unknown unless the FY starts then
    assert (first["sales"] is None) == (first["month"] != first["fiscal_year_start"])
    for it in items[1:]:
        assert it["sales"] > 0 and it["cash_and_deposits"] is not None
        assert 0 < it["gross_profit"] < it["sales"]
        assert it["borrowings"] > 0
    short = client.get(f"/api/v1/businesses/{web_world.business_id}/monthly?months=12").json()
    assert [i["month"] for i in short["items"]] == [i["month"] for i in items[-12:]]
    assert short["items"][0]["sales"] == items[-12]["sales"]  # flow derivable at the window's start


def test_api_business_and_me(client: TestClient, web_world: WebWorld) -> None:
    login(client, "cgc_officer")
    b = client.get(f"/api/v1/businesses/{web_world.business_id}").json()
    assert b["name"] == web_world.business_name
    assert b["industry"]["ja"] == "金属製品製造業" and b["industry_major"]["code"] == "E"
    assert b["prefecture"] == {"code": "01", "ja": "北海道", "en": "Hokkaido"}
    me = client.get("/api/v1/me").json()
    assert me["login"] == "cgc_officer" and me["role"] == "officer"
    assert me["organisation_kind"] == "guarantor"


def test_openapi_and_reference(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    paths = set(spec["paths"])
    assert {
        "/api/v1/businesses",
        "/api/v1/businesses/{business_id}",
        "/api/v1/businesses/{business_id}/monthly",
        "/api/v1/businesses/{business_id}/loans",
        "/api/v1/me",
    } <= paths
    assert not any(p.startswith(("/portfolio", "/login")) for p in paths)
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/api/v1/businesses/{business_id}/monthly" in docs.text
    assert "cdn" not in docs.text.lower()


def test_unknown_page_is_the_same_404(client: TestClient) -> None:
    login(client, "cgc_officer")
    r = client.get("/no/such/page")
    assert r.status_code == 404 and "ページが見つかりません" in r.text
    assert client.get("/api/v1/nothing").json() == {"detail": "Not Found"}


def test_bad_query_is_a_400_page(client: TestClient) -> None:
    login(client, "cgc_officer")
    assert client.get("/portfolio?page=zero").status_code == 400
    assert client.get("/api/v1/businesses?page=0").status_code == 422


def test_static_files_are_vendored(client: TestClient) -> None:
    assert client.get("/static/htmx.min.js").status_code == 200
    css = client.get("/static/kizashi.css")
    assert css.status_code == 200 and "Hiragino Sans" in css.text
    assert "http" not in css.text  # no external fonts or images


def test_portfolio_filter_sort_and_pages(client: TestClient, store: Store, settings) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from kizashi.store.models import Organisation

    with store.session() as s:
        cgc = s.execute(select(Organisation).where(Organisation.code == "cgc")).scalar_one()
        bank = s.execute(select(Organisation).where(Organisation.code == "bank-a")).scalar_one()
        make_portfolio(s, cgc, bank, n=30, last_month=date(2026, 10, 1))
    login(client, "cgc_officer")
    api = client.get("/api/v1/businesses?page_size=10").json()
    assert api["total"] == 31 and api["pages"] == 4 and len(api["items"]) == 10
    names = [b["name"] for b in client.get("/api/v1/businesses?page_size=100").json()["items"]]
    assert names == sorted(names)
    desc = [
        b["name"] for b in client.get("/api/v1/businesses?page_size=100&sort=-name").json()["items"]
    ]
    assert desc == sorted(names, reverse=True)
    manuf = client.get("/api/v1/businesses?industry_major=E&page_size=100").json()["items"]
    assert manuf and all(b["industry_major"]["code"] == "E" for b in manuf)
    tokyo = client.get("/api/v1/businesses?prefecture=13&page_size=100").json()["items"]
    assert {b["name"] for b in tokyo} == {
        "有限会社みどり青果",
        "合同会社ことのは",
        "株式会社サンライズ不動産",
    }
    found = client.get("/api/v1/businesses?q=製作所").json()["items"]
    assert [b["name"] for b in found] == ["株式会社田中製作所"]
    assert client.get("/api/v1/businesses?q=%25").json()["total"] == 0  # LIKE wildcards are literal

    page = client.get("/portfolio?industry=E&sort=-employees")
    assert page.status_code == 200 and 'aria-sort="descending"' in page.text
    first = client.get("/portfolio")
    assert "全31件中 1〜31件を表示" in first.text
    settings_small = settings.model_copy(update={"page_size": 10})
    from kizashi.web.app import create_app

    with TestClient(create_app(settings_small, store), follow_redirects=False) as c2:
        login(c2, "cgc_officer")
        p2 = c2.get("/portfolio?page=2")
        assert "全31件中 11〜20件を表示" in p2.text and "2 / 4 ページ" in p2.text
        partial = c2.get("/portfolio?page=2", headers={"HX-Request": "true"})
        assert (
            partial.text.lstrip().startswith('<section id="results"')
            and "<html" not in partial.text
        )
