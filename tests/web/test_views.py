"""One set of view models: a page and its API route show the same figures for the same business.

The business page's table of monthly figures, its profile, its loans and its flags are read
back from the HTML and compared with what ``/api/v1`` returns for the same business and user,
formatted here as a reader would (the yen and month formatters of ``web.i18n``).
"""

from __future__ import annotations

import html
import re
from datetime import date

from fastapi.testclient import TestClient

from kizashi.web.i18n import Translator

from .conftest import WebWorld, login

FIGURES = (
    "sales",
    "gross_profit",
    "operating_profit",
    "ordinary_profit",
    "cash_and_deposits",
    "borrowings",
    "net_assets",
)


def _cells(row: str) -> list[str]:
    """A table row's cells as text (tags dropped, white space folded)."""
    cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", c)).split()) for c in cells]


def _section(page: str, heading_id: str) -> str:
    m = re.search(rf'<section[^>]*aria-labelledby="{heading_id}".*?</section>', page, re.S)
    assert m, f"no section {heading_id}"
    return m.group(0)


def _body_rows(table_html: str) -> list[list[str]]:
    body = re.search(r"<tbody>(.*?)</tbody>", table_html, re.S)
    assert body
    return [_cells(r) for r in re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1), re.S)]


def test_business_page_and_api_show_the_same_monthly_figures(
    client: TestClient, web_world: WebWorld
) -> None:
    login(client, "cgc_officer")
    bid = web_world.business_id
    api = client.get(f"/api/v1/businesses/{bid}/monthly").json()["items"]
    page = client.get(f"/businesses/{bid}").text
    rows = _body_rows(_section(page, "h-monthly"))
    t = Translator("ja")
    expected = [
        [t.month(date.fromisoformat(it["month"])), *(t.yen_compact(it[code]) for code in FIGURES)]
        for it in reversed(api[-13:])
    ]
    assert len(rows) == 13
    assert rows == expected
    # the figures are real numbers, not all blanks: the comparison can fail
    assert sum(1 for r in rows for c in r[1:] if any(ch.isdigit() for ch in c)) > 50


def test_business_page_and_api_show_the_same_profile_and_loans(
    client: TestClient, web_world: WebWorld
) -> None:
    login(client, "cgc_officer")
    bid = web_world.business_id
    profile = client.get(f"/api/v1/businesses/{bid}").json()
    loans = client.get(f"/api/v1/businesses/{bid}/loans").json()["loans"]
    ja = html.unescape(client.get(f"/businesses/{bid}").text)
    en = html.unescape(client.get(f"/businesses/{bid}?lang=en").text)
    for key in ("industry", "industry_major", "prefecture"):
        assert profile[key]["ja"] in ja and profile[key]["en"] in en, key
        assert profile[key]["ja"] != profile[key]["en"]
    rows = {r[0]: r for r in _body_rows(_section(ja, "h-loans"))}
    t = Translator("ja")
    assert loans and {ln["loan_number"] for ln in loans} <= set(rows)
    for ln in loans:
        row = rows[ln["loan_number"]]
        assert row[1] == ln["lender"]
        assert row[2] == (ln["guarantor"] or "—")
        assert row[3] == t.yen(ln["original_amount"])
        assert row[4].startswith(t.yen(ln["balance"]))


def test_business_page_shows_the_api_flags(client: TestClient, web_world: WebWorld) -> None:
    login(client, "cgc_officer")
    bid = web_world.business_id
    flags = client.get(f"/api/v1/businesses/{bid}/flags").json()["items"]
    assert [f["id"] for f in flags] == [web_world.flag_id]
    for lang in ("ja", "en"):
        page = html.unescape(client.get(f"/businesses/{bid}?lang={lang}").text)
        for f in flags:
            article = re.search(rf'<article[^>]*id="flag-{f["id"]}".*?</article>', page, re.S)
            assert article, f["id"]
            assert f["title"][lang] in article.group(0)
            assert f["explanation"][lang] in article.group(0)


def test_portfolio_page_and_api_list_the_same_businesses(
    client: TestClient, web_world: WebWorld
) -> None:
    login(client, "cgc_officer")
    api = client.get("/api/v1/businesses?sort=name").json()["items"]
    page = html.unescape(client.get("/portfolio?sort=name").text)
    rows = _body_rows(re.search(r'<section id="results".*?</section>', page, re.S).group(0))  # type: ignore[union-attr]
    assert [r[1] for r in rows] == [b["name"] for b in api]
    assert [r[3] for r in rows] == [b["industry"]["ja"] for b in api]
    assert [r[4] for r in rows] == [b["prefecture"]["ja"] for b in api]
