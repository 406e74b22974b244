"""Headless Chromium: the owner writes a quarterly progress report from the business page's
report section, chooses the bank the business consented to, sends it; the bank finds it on its
reports page, reads the figures (exact to the yen) and acknowledges it; another bank is refused."""

from __future__ import annotations

from collections.abc import Iterator

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
def reports_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int, list]]:
    _require_browser()
    from sqlalchemy import select

    from kizashi.access import Actor
    from kizashi.access.reads import read_monthly_series
    from kizashi.store.models import User

    tmp = tmp_path_factory.mktemp("reports")
    store = Store(f"sqlite:///{tmp / 'kizashi.db'}")
    world = build_web_world(store)
    with store.session() as s:
        owner = s.execute(select(User).where(User.login == "owner")).scalar_one()
        series = read_monthly_series(s, Actor.from_user(owner), world.business_id, months=12)
    months = [(p.month, p.values["sales"], p.values["cash_and_deposits"]) for p in series]
    settings = Settings(data_dir=tmp, database_url=store.url, secret_key="browser-test-secret")
    with serve_app(create_app(settings, store)) as base:
        yield base, world.business_id, months
    store.dispose()


@pytest.fixture(scope="module")
def chromium(reports_server):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def test_the_owner_writes_and_sends_a_report_the_bank_acknowledges(  # type: ignore[no-untyped-def]
    reports_server, chromium
) -> None:
    from playwright.sync_api import expect

    base, bid, months = reports_server
    last = months[-1][0]
    quarter = [
        m for m in months if (last.year * 12 + last.month) - (m[0].year * 12 + m[0].month) < 3
    ]
    assert len(quarter) == 3 and all(s is not None for _, s, _ in quarter)
    sales = sum(s for _, s, _ in quarter)  # by hand: the quarter's three months
    cash = quarter[-1][2]

    ctx, page = _login(chromium, base, "owner")
    page.goto(f"{base}/businesses/{bid}")
    section = page.locator("#report-section")
    expect(section).to_contain_text("報告書はまだありません")
    section.locator("#new-report").click()
    page.wait_for_load_state()
    form = page.locator("#report-form")
    form.locator("select[name=kind]").select_option("progress")
    form.locator("select[name=cadence]").select_option("quarterly")
    form.locator("input[name=period_to]").fill(f"{last.year:04d}-{last.month:02d}")
    form.get_by_label("A銀行").check()
    form.locator("textarea[name=comment]").fill("受注は回復基調です")
    form.get_by_role("button", name="下書きを作る").click()
    page.wait_for_load_state()
    expect(page.locator("#report-status")).to_have_text("作成中")
    row = page.locator('#report-figures tr[data-item="sales"] td').nth(1)
    expect(row).to_have_text(f"{sales:,}円")
    cash_cell = page.locator('#report-figures tr[data-item="cash"] td').nth(1)
    expect(cash_cell).to_have_text(f"{cash:,}円")
    page.locator("#report-send").get_by_role("button", name="報告書を送付する").click()
    page.wait_for_load_state()
    expect(page.locator("#report-status")).to_have_text("送付済")
    expect(page.locator("#report-recipients")).to_contain_text("A銀行")
    url = page.url.split("?")[0]
    ctx.close()

    ctx, page = _login(chromium, base, "a_officer")
    page.goto(f"{base}/reports")
    page.locator(f'a[href="{url.removeprefix(base)}"]').click()
    page.wait_for_load_state()
    expect(page.locator("#report-comment")).to_have_text("受注は回復基調です")
    expect(page.locator('#report-figures tr[data-item="sales"] td').nth(1)).to_have_text(
        f"{sales:,}円"
    )
    page.locator("#report-acknowledge").get_by_role("button", name="受領する").click()
    page.wait_for_load_state()
    expect(page.locator("#report-status")).to_have_text("受領済")
    ctx.close()

    ctx, page = _login(chromium, base, "c_officer")
    response = page.goto(url)
    assert response is not None and response.status == 404
    ctx.close()
