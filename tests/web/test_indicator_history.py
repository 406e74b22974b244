"""Indicators of any month and their history (CLI and API), dated by the month's END."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from kizashi.cli import context
from kizashi.settings import Settings
from kizashi.store.db import Store
from kizashi.web.app import create_app

from ..demo_cache import monitored_demo
from .conftest import login
from .test_monitoring import DEMO_PASSWORD


@pytest.fixture
def two_runs(store: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    # 2026-07, then the latest month, 2026-09
    monitored_demo(store, settings, businesses=20, seed=11, months=(date(2026, 7, 1), None))
    monkeypatch.setenv("KIZASHI_DATABASE_URL", store.url)
    monkeypatch.setenv("KIZASHI_DATA_DIR", str(settings.data_dir))
    context.settings.cache_clear()
    context.store.cache_clear()
    with TestClient(create_app(settings, store), follow_redirects=False) as client:
        login(client, "hosho", DEMO_PASSWORD)
        bid = next(
            b["id"]
            for b in client.get("/api/v1/businesses?page_size=200").json()["items"]
            if client.get(f"/api/v1/businesses/{b['id']}/indicators").json()["values"]
        )
        yield client, bid
    context.settings.cache_clear()
    context.store.cache_clear()


def _cli(*args: str) -> tuple[int, str]:
    from kizashi.cli.main import app

    r = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return r.exit_code, r.output


def test_any_month_and_the_history_by_month_end(two_runs) -> None:  # type: ignore[no-untyped-def]
    client, bid = two_runs
    url = f"/api/v1/businesses/{bid}/indicators"
    latest = client.get(url).json()
    july = client.get(url, params={"month": "2026-07"}).json()
    assert latest["as_of"] == "2026-09-30"  # the month's end, not its first day
    assert july["as_of"] == "2026-07-31" and july["values"]
    assert [v["value"] for v in july["values"]] != [v["value"] for v in latest["values"]]
    none = client.get(url, params={"month": "2026-08"}).json()  # no run for August
    assert none["as_of"] is None and none["values"] == []
    for bad in ("2026-13", "26-07", "2026-7", "0000-01"):
        assert client.get(url, params={"month": bad}).status_code == 422, bad

    flags = client.get(f"/api/v1/businesses/{bid}/flags?include_closed=true").json()["items"]
    assert flags  # the demo's businesses with values have flags, open or closed
    for f in flags:  # flag months too are month ends
        for key in ("opened_month", "last_seen_month", "closed_month"):
            if f[key]:
                assert (date.fromisoformat(f[key]) + timedelta(days=1)).day == 1, f

    history = client.get(f"{url}/history").json()
    assert [h["as_of"] for h in history["items"]] == ["2026-07-31", "2026-09-30"]
    assert history["items"] == [july, latest]

    base = ("indicators", "--business", str(bid), "--as", "hosho")
    code, out = _cli(*base, "--month", "2026-07", "--json")
    assert code == 0 and json.loads(out) == {k: v for k, v in july.items() if k != "business_id"}
    code, out = _cli(*base, "--history", "--json")
    assert code == 0
    assert json.loads(out) == [
        {k: v for k, v in h.items() if k != "business_id"} for h in history["items"]
    ]
    code, out = _cli(*base)
    assert code == 0 and "2026-09-30" in out and "2026-09-01" not in out
    code, out = _cli(*base, "--history")
    assert code == 0 and "2026-07-31" in out and "2026-09-30" in out
    code, out = _cli(*base, "--month", "2026-13")
    assert code == 1 and "YYYY-MM" in out
