"""Headless Chromium: the owner adds a plan from a CSV file on the plans page, sees plan against
actual per month with the deviations to the yen, and the business page loads the plan section."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kizashi.settings import Settings
from kizashi.store.db import Store
from kizashi.web.app import create_app

from .conftest import build_web_world
from .live_server import serve_app
from .test_browser import ARGS, CHROMIUM, _require_browser
from .test_browser_triage import _login

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def plans_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int, list]]:
    _require_browser()
    from sqlalchemy import select

    from kizashi.access import Actor
    from kizashi.access.reads import read_monthly_series
    from kizashi.store.models import User

    tmp = tmp_path_factory.mktemp("plans")
    store = Store(f"sqlite:///{tmp / 'kizashi.db'}")
    world = build_web_world(store)
    with store.session() as s:
        owner = s.execute(select(User).where(User.login == "owner")).scalar_one()
        series = read_monthly_series(s, Actor.from_user(owner), world.business_id, months=3)
    actual = [(p.month, p.values["sales"]) for p in series if p.values["sales"] is not None]
    settings = Settings(data_dir=tmp, database_url=store.url, secret_key="browser-test-secret")
    with serve_app(create_app(settings, store)) as base:
        yield base, world.business_id, actual
    store.dispose()


@pytest.fixture(scope="module")
def chromium(plans_server):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def test_the_owner_adds_a_plan_and_sees_plan_against_actual(  # type: ignore[no-untyped-def]
    plans_server, chromium, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    base, bid, actual = plans_server
    assert actual
    csv = tmp_path / "計画.csv"
    csv.write_text(
        "年月,売上高\n" + "".join(f"{m.isoformat()[:7]},{v + 5000}\n" for m, v in actual),
        encoding="utf-8",
    )
    ctx, page = _login(chromium, base, "owner")
    page.goto(f"{base}/businesses/{bid}")
    page.click("#plans-link")
    page.wait_for_load_state()
    expect(page.locator("#no-plans")).to_be_visible()
    form = page.locator("#add-plan")
    form.locator("select[name=kind]").select_option("earnings_action")
    form.locator("input[name=title]").fill("収益力改善計画")
    form.locator("input[name=file]").set_input_files(str(csv))
    form.get_by_role("button", name="計画を登録").click()
    page.wait_for_load_state()
    expect(page.locator("#plan-done")).to_contain_text("計画を保存しました")
    cells = page.locator('#plan-actual td[data-item="sales"][data-kind="deviation"]')
    expect(cells).to_have_count(len(actual))
    for i in range(len(actual)):
        expect(cells.nth(i)).to_have_attribute("data-value", "-5000")
    expect(page.locator("h1")).to_have_text("収益力改善計画")
    page.goto(f"{base}/businesses/{bid}")
    summary = page.locator("#plan-summary")
    expect(summary).to_contain_text("予実")
    expect(summary.locator('td[data-item="sales"]').first).to_have_attribute("data-value", "-5000")
    ctx.close()
