"""Headless Chromium on the demo: the 保証協会's officer goes from the portfolio to the rate stress,
changes the basis to 「1年以内に金利が見直される借入金」 with no floating share (no more businesses
turn to a loss than with every borrowing), follows a named business to its own stress page, and
opens the grace-period list; a phone-width page has no sideways scroll; no English on the page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kizashi.jobs.demo import build_demo
from kizashi.jobs.monitoring import run_monitoring_job
from kizashi.settings import Settings
from kizashi.store.db import Store
from kizashi.web.app import create_app
from tests.conftest import TEST_AUDIT_KEY

from .live_server import serve_app
from .test_browser import ARGS, CHROMIUM, _require_browser
from .test_monitoring import DEMO_PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _require_browser()

    tmp = tmp_path_factory.mktemp("stress")
    store = Store(f"sqlite:///{tmp / 'kizashi.db'}", audit_key=TEST_AUDIT_KEY)
    settings = Settings(
        data_dir=tmp,
        database_url=store.url,
        secret_key="browser-test-secret",
        audit_key=TEST_AUDIT_KEY,
    )
    build_demo(store, settings, businesses=20, seed=11)
    run_monitoring_job(store, settings)
    with serve_app(create_app(settings, store)) as base:
        yield base
    store.dispose()


@pytest.fixture(scope="module")
def chromium(demo_server):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def _count(page, bp: int) -> int:  # type: ignore[no-untyped-def]
    return int(page.locator(f"#stress tr[data-bp='{bp}'] td.num").first.inner_text())


def test_rate_stress_from_the_portfolio(demo_server, chromium) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    base = demo_server
    context = chromium.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{base}/login")
    page.fill("input[name=login]", "hosho")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{base}/portfolio")
    page.click("#stress-link")
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("金利上昇ストレス")
    expect(page.locator("#stress tbody tr")).to_have_count(4)
    all_debt = [_count(page, bp) for bp in (25, 50, 100, 200)]
    assert all_debt == sorted(all_debt)  # a larger rise never turns fewer to a loss
    assert int(page.locator("#st-businesses").inner_text()) > 0

    page.select_option("select[name=basis]", "repricing")
    page.fill("input[name=floating_share_pct]", "0")
    page.get_by_role("button", name="計算する").click()
    page.wait_for_load_state()
    assert "basis=repricing" in page.url
    repricing = [_count(page, bp) for bp in (25, 50, 100, 200)]
    assert all(r <= a for r, a in zip(repricing, all_debt, strict=True))

    # back to every borrowing; follow the business named at +2 pt
    page.select_option("select[name=basis]", "all")
    page.get_by_role("button", name="計算する").click()
    page.wait_for_load_state()
    named = page.locator("#stress-list-200 a")
    expect(named).to_have_count(all_debt[-1])
    assert all_debt[-1] > 0  # the demo has a business whose profit +2 pt turns to a loss
    named.first.click()
    page.wait_for_load_state()
    expect(page.locator("#stress tr[data-bp='200']")).to_have_attribute("data-loss", "yes")
    expect(page.locator("#st-debt")).to_contain_text("円")

    # the browser does not send 150 from the form (max=100); a hand-written address is refused
    page.goto(f"{base}/portfolio/stress?floating_share_pct=150")
    expect(page.locator("#stress-error")).to_contain_text("0から100")
    expect(page.locator("#stress")).to_have_count(0)

    page.goto(f"{base}/portfolio")
    page.click("#grace-link")
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("据置期間の終了")
    page.fill("input[name=months]", "60")
    page.get_by_role("button", name="表示").click()
    page.wait_for_load_state()
    expect(page.locator("#grace tbody tr").first).to_be_visible()
    main = page.locator("main").inner_text()
    assert not any(w in main for w in ("Grace", "stress", "Months", "None")), main
    assert [e for e in errors if "422" not in e] == [], errors  # the 422 asked for above

    phone = chromium.new_context(
        locale="ja-JP",
        viewport={"width": 390, "height": 844},
        storage_state=context.storage_state(),
    )
    p2 = phone.new_page()
    p2.goto(f"{base}/portfolio/stress")
    assert p2.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    phone.close()
    context.close()
