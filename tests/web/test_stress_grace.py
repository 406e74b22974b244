"""Interest-rate stress and grace-period ends on the store's portfolio: API, pages and CLI, under
the consent rule (a business the reader may not see is neither counted nor shown), audited.

The figures are checked against the analytics panel read directly (the 12 months' 経常利益 summed
in SQL, the debt of the as-of month), not against the code under test."""

from __future__ import annotations

import json
from datetime import date

import duckdb
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from kizashi.cli import context
from kizashi.settings import Settings
from kizashi.store.db import Store
from kizashi.store.models import AuditEvent
from kizashi.web.app import create_app

from ..demo_cache import monitored_demo
from .conftest import login
from .test_monitoring import DEMO_PASSWORD

POINTS = (25, 50, 100, 200)


@pytest.fixture
def demo(store: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch):
    monitored_demo(store, settings, businesses=20, seed=11)
    monkeypatch.setenv("KIZASHI_DATABASE_URL", store.url)
    monkeypatch.setenv("KIZASHI_DATA_DIR", str(settings.data_dir))
    context.settings.cache_clear()
    context.store.cache_clear()
    with TestClient(create_app(settings, store), follow_redirects=False) as client:
        yield client, settings
    context.settings.cache_clear()
    context.store.cache_clear()


def _expected(settings: Settings, ids: list[int]) -> dict[int, tuple[int, int]]:
    """business → (12-month 経常利益, debt at the last month), from the panel in plain SQL."""
    con = duckdb.connect(str(settings.data_dir / "analytics.duckdb"), read_only=True)
    try:
        last = con.execute("SELECT MAX(month) FROM panel").fetchall()[0][0]
        rows = con.execute(
            """
            SELECT business_id, SUM(ordinary_profit), COUNT(*),
                   MAX(COALESCE(short_term_borrowings, 0)
                       + COALESCE(current_portion_long_term_borrowings, 0)
                       + COALESCE(long_term_borrowings, 0)) FILTER (WHERE month = ?)
            FROM panel
            WHERE month > ? - INTERVAL 12 MONTH AND month <= ?
            GROUP BY business_id
            """,
            [last, last, last],
        ).fetchall()
    finally:
        con.close()
    return {b: (int(p), int(d)) for b, p, n, d in rows if b in ids and n == 12 and d is not None}


def _visible(client: TestClient) -> list[int]:
    """The businesses whose financials the user may read: listed, and their indicators readable
    (a business listed for a loan alone is not)."""
    items = client.get("/api/v1/businesses?page_size=200").json()["items"]
    return [
        b["id"]
        for b in items
        if client.get(f"/api/v1/businesses/{b['id']}/indicators").status_code == 200
    ]


def test_portfolio_and_business_stress_agree_with_the_panel(demo) -> None:
    client, settings = demo
    login(client, "hosho", DEMO_PASSWORD)
    ids = _visible(client)
    expected = _expected(settings, ids)
    assert len(expected) >= 5  # the demo's businesses have 12 months of figures

    port = client.get("/api/v1/stress").json()
    assert port["businesses"] == len(expected)
    assert port["visible"] >= len(expected)
    assert port["ordinary_loss_now"] == sum(1 for p, _d in expected.values() if p < 0)
    for step in port["stress"]:
        bp = step["points_bp"]
        turned = sorted(
            b for b, (p, d) in expected.items() if p >= 0 and p - (-(-d * bp // 10_000)) < 0
        )
        assert step["new_ordinary_loss"] == len(turned), bp
        assert [x["business_id"] for x in step["businesses"]] == turned

    for bid, (profit, debt) in expected.items():
        one = client.get(f"/api/v1/businesses/{bid}/stress").json()
        assert one["ttm_ordinary_profit_yen"] == profit and one["debt_yen"] == debt
        assert [s["points_bp"] for s in one["stress"]] == list(POINTS)
        for s in one["stress"]:
            extra = -(-debt * s["points_bp"] // 10_000)
            assert s["extra_interest_yen"] == extra
            assert s["ordinary_profit_after_yen"] == profit - extra
            assert s["turns_to_loss"] == (profit >= 0 and profit - extra < 0)

    # repricing: only short-term, the current portion and a share of long-term debt
    rep = client.get("/api/v1/stress", params={"basis": "repricing", "floating_share": 0}).json()
    assert rep["basis"] == "repricing" and rep["floating_share"] == 0
    for a, b in zip(rep["stress"], port["stress"], strict=True):
        assert a["new_ordinary_loss"] <= b["new_ordinary_loss"]
    for bad in ({"basis": "some"}, {"floating_share": "1.5"}, {"month": "2026-13"}):
        assert client.get("/api/v1/stress", params=bad).status_code == 422, bad


def test_only_what_the_reader_may_see_is_counted(demo, store: Store) -> None:
    client, settings = demo
    login(client, "hosho", DEMO_PASSWORD)
    all_ids = set(_visible(client))
    client.post("/logout")
    client.cookies.clear()
    login(client, "bank1", DEMO_PASSWORD)
    mine = set(_visible(client))
    hidden = sorted(all_ids - mine)
    assert hidden, "the demo's bank sees fewer businesses than the 保証協会"
    port = client.get("/api/v1/stress").json()
    assert port["businesses"] == len(_expected(settings, sorted(mine)))
    listed = {x["business_id"] for s in port["stress"] for x in s["businesses"]}
    assert not listed & set(hidden)
    r = client.get(f"/api/v1/businesses/{hidden[0]}/stress")  # listed for a loan, or not at all
    assert r.status_code == 404 and "ttm" not in r.text
    with store.session() as s:
        events = s.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars()
        details = [(e, json.loads(e.detail) if e.detail else {}) for e in events]
        actions = [
            (e.action, e.decision, d.get("list")) for e, d in details if d.get("login") == "bank1"
        ]
    assert ("list", "allow", "rate_stress") in actions
    assert ("read_rate_stress", "deny", None) in actions


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_pages_in_the_page_language(demo, lang: str) -> None:
    client, settings = demo
    login(client, "hosho", DEMO_PASSWORD)
    page = client.get("/portfolio/stress", params={"lang": lang})
    assert page.status_code == 200
    word = "金利上昇ストレス" if lang == "ja" else "Interest-rate stress"
    assert word in page.text and 'id="stress"' in page.text
    port = client.get("/api/v1/stress").json()
    for s in port["stress"]:
        assert f'data-bp="{s["points_bp"]}"><td>' in page.text
    bad = client.get("/portfolio/stress", params={"lang": lang, "floating_share_pct": "150"})
    assert bad.status_code == 422
    msg = "0から100" if lang == "ja" else "0 to 100"
    assert msg in bad.text
    bid = next(iter(_expected(settings, _visible(client))))
    one = client.get(f"/businesses/{bid}/stress", params={"lang": lang})
    assert one.status_code == 200 and 'data-bp="200"' in one.text
    grace = client.get("/portfolio/grace", params={"lang": lang, "months": "60"})
    assert grace.status_code == 200
    assert ("据置期間" if lang == "ja" else "Grace periods") in grace.text
    assert client.get("/portfolio/grace", params={"months": "0"}).status_code == 422


def test_grace_api_matches_the_cli(demo) -> None:
    client, _settings = demo
    login(client, "hosho", DEMO_PASSWORD)
    today = date.today().isoformat()
    api = client.get("/api/v1/grace", params={"months": 60, "today": today}).json()
    from kizashi.cli.main import app

    r = CliRunner().invoke(
        app, ["grace", "--as", "hosho", "--months", "60", "--today", today, "--json"]
    )
    assert r.exit_code == 0, r.output
    cli = json.loads(r.output)
    assert api, "the demo has loans whose grace period ends within 60 months"
    assert [x["business_id"] for x in api] == [x["business_id"] for x in cli]
    for a, c in zip(api, cli, strict=True):
        assert a["monthly_principal_yen"] == c["monthly_principal_yen"]
        assert a["bank_balance_yen"] == c["bank_balance_yen"]
        assert [g["loan"] for g in a["loans"]] == [g["loan"] for g in c["loans"]]


def test_stress_cli_on_the_store_matches_the_api(demo) -> None:
    client, _settings = demo
    login(client, "bank1", DEMO_PASSWORD)
    api = client.get("/api/v1/stress", params={"basis": "repricing"}).json()
    from kizashi.cli.main import app

    r = CliRunner().invoke(app, ["stress", "--as", "bank1", "--basis", "repricing", "--json"])
    assert r.exit_code == 0, r.output
    cli = json.loads(r.output)
    assert cli["businesses"] == api["businesses"] and cli["visible"] == api["visible"]
    assert [(s["points_bp"], s["new_ordinary_loss"]) for s in cli["stress"]] == [
        (s["points_bp"], s["new_ordinary_loss"]) for s in api["stress"]
    ]
    r = CliRunner().invoke(app, ["stress", "--as", "bank1"])
    assert r.exit_code == 0 and "金利上昇ストレス" in r.output
    assert not any(c.isascii() and c.isalpha() for c in r.output.replace("YYYY", "")), r.output
    r = CliRunner().invoke(app, ["stress", "--as", "bank1", "--business", "999999"])
    assert r.exit_code == 1 and "同意" in r.output
    r = CliRunner().invoke(app, ["stress"])
    assert r.exit_code != 0
