"""Plans on the web: the API adds a plan and a version, the page and the API show the same
deviations to the yen (from the business's own trial balances), a file import lists its
problems by line and column and stores nothing, a stranger gets the 404 page."""

from __future__ import annotations

from kizashi.access import Actor
from kizashi.access.reads import read_monthly_series
from kizashi.store.models import User
from kizashi.store.plan_models import PlanVersion

from .conftest import csrf_from, login
from .japanese_only import latin_words, visible_text


def _actual_sales(store, business_id):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    with store.session() as s:
        owner = s.execute(select(User).where(User.login == "owner")).scalar_one()
        series = read_monthly_series(s, Actor.from_user(owner), business_id, months=4)
    return [(p.month, p.values["sales"]) for p in series if p.values["sales"] is not None][-3:]


def test_plan_api_page_and_import(client, store, web_world):  # type: ignore[no-untyped-def]
    bid = web_world.business_id
    actual = _actual_sales(store, bid)
    assert len(actual) == 3
    # each month's plan: the actual sales plus 1,234 yen → deviation −1,234 each month
    targets = [{"period": m.isoformat(), "sales": v + 1_234} for m, v in actual]
    login(client, "owner")
    csrf = {"X-CSRF-Token": client.get("/api/v1/me").json()["csrf_token"]}
    r = client.post(
        f"/api/v1/businesses/{bid}/plans",
        headers=csrf,
        json={
            "kind": "business",
            "title": "中期事業計画",
            "first_version": {
                "targets": targets,
                "actions": [{"due_on": "2027-01-31", "title": "値上げ交渉"}],
            },
        },
    )
    assert r.status_code == 201, r.text
    plan_id = r.json()["id"]
    detail = client.get(f"/api/v1/plans/{plan_id}").json()
    sales = [next(i for i in p["items"] if i["item"] == "sales") for p in detail["periods"]]
    assert [x["deviation"] for x in sales] == [-1_234, -1_234, -1_234]
    assert [x["cumulative_deviation"] for x in sales] == [-1_234, -2_468, -3_702]
    assert detail["shortfall"]["firing"] is False
    page = client.get(f"/plans/{plan_id}").text
    assert "予実" in page and "値上げ交渉" in page
    assert page.count('data-kind="deviation" data-value="-1234"') == 3
    # the Japanese page speaks Japanese only (the file's own column names aside)
    assert latin_words(visible_text(page), {"CSV", "xlsx", "docs", "formats", "md"}) == []
    en = client.get(f"/plans/{plan_id}?lang=en").text
    assert "Plan against actual" in en and "Sales" in en
    client.get(f"/plans/{plan_id}?lang=ja")
    biz = client.get(f"/businesses/{bid}").text
    assert f'href="/businesses/{bid}/plans"' in biz
    assert f'hx-get="/businesses/{bid}/plans/summary' in biz
    summary = client.get(f"/businesses/{bid}/plans/summary").text
    assert "予実" in summary and "中期事業計画" in summary
    assert summary.count('data-item="sales" data-value="-1234"') == 3
    listing = client.get(f"/businesses/{bid}/plans").text
    assert "中期事業計画" in listing and f'href="/plans/{plan_id}"' in listing
    # a bad file: nothing stored, the problem named by line and column
    with store.session() as s:
        before = s.query(PlanVersion).count()
    r = client.post(
        f"/plans/{plan_id}/import",
        data={"csrf_token": csrf_from(page)},
        files={"file": ("bad.csv", "年月,売上高\n2025-04,abc\n".encode(), "text/csv")},
    )
    assert r.status_code == 422 and "金額として読めません" in r.text and "売上高" in r.text
    with store.session() as s:
        assert s.query(PlanVersion).count() == before
    # a good file: version 2, version 1 still readable
    good = "年月,売上高\n" + "".join(f"{m.isoformat()[:7]},{v}\n" for m, v in actual)
    r = client.post(
        f"/plans/{plan_id}/import",
        data={"csrf_token": csrf_from(page)},
        files={"file": ("good.csv", good.encode(), "text/csv")},
        follow_redirects=False,
    )
    assert r.status_code == 303
    v2 = client.get(f"/api/v1/plans/{plan_id}").json()
    assert v2["shown_version"] == 2
    assert all(
        next(i for i in p["items"] if i["item"] == "sales")["deviation"] == 0 for p in v2["periods"]
    )
    r = client.post(
        f"/api/v1/plans/{plan_id}/versions",
        headers=csrf,
        json={"targets": [{"period": actual[0][0].isoformat(), "sales": 1}], "note": "改訂"},
    )
    assert r.status_code == 201 and r.json()["version"] == 3 and r.json()["note"] == "改訂"
    v1 = client.get(f"/api/v1/plans/{plan_id}?version=1").json()
    assert v1["shown_version"] == 1 and len(v1["actions"]) == 1
    client.cookies.clear()
    login(client, "b_officer")
    assert client.get(f"/plans/{plan_id}").status_code == 404
    assert client.get(f"/api/v1/plans/{plan_id}").status_code == 404
