"""Headless Chromium against a real uvicorn server: log in, portfolio, business page, log out.

Uses Debian's /usr/bin/chromium (Playwright drives it; no browser download). Without it the
tests skip — unless KIZASHI_REQUIRE_BROWSER=1 (CI), where a missing browser is a failure.
With KIZASHI_SCREENSHOTS=1 the screenshots go to docs/img/ for the README; otherwise to a
temporary directory.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from kizashi.settings import Settings
from kizashi.store.db import Store
from kizashi.web.app import create_app

from .conftest import PASSWORD, build_web_world
from .data import make_portfolio
from .live_server import serve_app

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"

pytestmark = pytest.mark.browser


def _require_browser() -> None:
    problem = None
    if not CHROMIUM.exists():
        problem = f"{CHROMIUM} is missing (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "the playwright Python package is not installed"
    if problem:
        if os.environ.get("KIZASHI_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests required but {problem}")
        pytest.skip(problem)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, int]]]:
    _require_browser()
    from sqlalchemy import select

    from kizashi.store.models import Business, Organisation

    tmp = tmp_path_factory.mktemp("browser")
    store = Store(f"sqlite:///{tmp / 'kizashi.db'}")
    world = build_web_world(store)
    with store.session() as s:
        cgc = s.execute(select(Organisation).where(Organisation.code == "cgc")).scalar_one()
        bank = s.execute(select(Organisation).where(Organisation.code == "bank-a")).scalar_one()
        make_portfolio(s, cgc, bank, n=30, last_month=date.today().replace(day=1))
        featured = s.execute(
            select(Business.id).where(Business.name == "有限会社鈴木電機")
        ).scalar_one()
    settings = Settings(data_dir=tmp, database_url=store.url, secret_key="browser-test-secret")
    with serve_app(create_app(settings, store)) as base:
        yield base, {"business": world.business_id, "featured": featured}
    store.dispose()


@pytest.fixture(scope="module")
def browser(server):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def _shots_dir(tmp_path: Path) -> Path:
    if os.environ.get("KIZASHI_SCREENSHOTS") == "1":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        return DOCS_IMG
    return tmp_path


def test_login_portfolio_business_logout(server, browser) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    base, ids = server
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    offsite: list[str] = []
    page.on("request", lambda req: None if req.url.startswith(base) else offsite.append(req.url))

    page.goto(f"{base}/portfolio")
    assert page.url.startswith(f"{base}/login")
    assert page.locator("h1").inner_text() == "ログイン"
    page.fill("input[name=login]", "cgc_officer")
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    # a wrong password keeps the login ID in the form (the password is typed again)
    assert page.input_value("input[name=login]") == "cgc_officer"
    assert page.input_value("input[name=password]") == ""
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/portfolio")
    assert page.locator("h1").inner_text() == "ポートフォリオ"
    assert "全31件中" in page.locator(".count").inner_text()
    assert page.locator("table.data tbody tr").count() == 31

    # HTMX: typing in the search box filters without a full reload
    page.fill("#f-q", "電機")
    expect(page.locator("#results tbody tr")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"q=%E9%9B%BB%E6%A9%9F"))  # the filter is in the address
    page.get_by_role("link", name="有限会社鈴木電機").click()
    page.wait_for_url(re.compile(rf"{re.escape(base)}/businesses/{ids['featured']}(\?.*)?$"))
    assert page.locator("h1").inner_text() == "有限会社鈴木電機"
    assert page.locator("svg.chart").count() == 4
    assert page.locator("svg.chart rect.bar").count() > 60
    assert page.locator("text=条件変更").count() >= 1

    page.goto(f"{base}/businesses/{ids['business']}?lang=en")
    assert page.locator("figcaption").first.inner_text() == "Net sales (monthly)"
    page.goto(f"{base}/portfolio?lang=ja")

    page.click("button:has-text('ログアウト')")
    page.wait_for_url(f"{base}/login")
    page.goto(f"{base}/businesses/{ids['featured']}")
    assert page.url.startswith(f"{base}/login")
    assert not offsite, f"the pages fetched something off-site: {offsite}"
    page.close()


def test_no_console_errors_or_csp_violations(server, browser) -> None:  # type: ignore[no-untyped-def]
    base, ids = server
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base}/login")
    page.fill("input[name=login]", "owner")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/businesses/{ids['business']}")  # the owner portal
    assert page.locator("svg.chart").count() == 4
    page.goto(f"{base}/portfolio")
    assert not errors, errors
    page.close()


def test_owner_uploads_confirms_and_sees_it_stored(server, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    from .test_uploads import TB_TO_CONFIRM

    base, ids = server
    shots = _shots_dir(tmp_path)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{base}/login")
    page.fill("input[name=login]", "owner")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/businesses/{ids['business']}")
    page.get_by_role("link", name="データを取り込む").click()
    page.wait_for_url(f"{base}/businesses/{ids['business']}/upload")
    assert page.locator("h1").inner_text() == "データを取り込む"
    page.set_input_files(
        "#f-files",
        files=[{"name": "試算表-6月.csv", "mimeType": "text/csv", "buffer": TB_TO_CONFIRM}],
    )
    page.click("button:has-text('ファイルを読み取る')")
    expect(page.locator("#outcome h2")).to_have_text("確認をお待ちしています")
    select = page.locator("select[name='map:販促費']")
    assert select.input_value() == "advertising"  # prefilled with the best guess
    assert page.locator("#mapping tr.to-confirm").count() == 1
    page.screenshot(path=str(shots / "upload-confirm.png"), full_page=True)
    select.select_option("advertising")
    page.click("button:has-text('確定して取り込む')")
    expect(page.locator("#outcome h2")).to_have_text("取り込みました")
    assert "以前に確認済み" in page.locator("#mapping").inner_text()
    page.screenshot(path=str(shots / "upload-stored.png"), full_page=True)
    page.get_by_role("link", name="別のファイルを取り込む").click()
    expect(page.locator("#submissions")).to_contain_text("試算表-6月.csv")
    assert not errors, errors
    page.close()


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """The synthetic demo after a monitoring run: flags, indicators with peer bands, radar."""
    _require_browser()
    from sqlalchemy import select

    from kizashi.jobs.demo import build_demo
    from kizashi.jobs.monitoring import run_monitoring_job
    from kizashi.store.models import MonitoringSummary

    tmp = tmp_path_factory.mktemp("demo")
    store = Store(f"sqlite:///{tmp / 'kizashi.db'}")
    settings = Settings(data_dir=tmp, database_url=store.url, secret_key="browser-test-secret")
    build_demo(store, settings, businesses=150, seed=11)
    run_monitoring_job(store, settings)
    with store.session() as s:  # a rated business with open flags: the page shows everything
        featured = (
            s.execute(
                select(MonitoringSummary.business_id)
                .where(
                    MonitoringSummary.open_flags > 1, MonitoringSummary.locaben_rating.is_not(None)
                )
                .order_by(MonitoringSummary.priority.desc())
            )
            .scalars()
            .first()
        )
    with serve_app(create_app(settings, store)) as base:
        yield base, featured
    store.dispose()


def test_officer_sees_flags_and_radar_and_marks_one_in_progress(
    demo_server, browser, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    base, featured = demo_server
    shots = _shots_dir(tmp_path)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{base}/login")
    page.fill("input[name=login]", "hosho")
    page.fill("input[name=password]", "kizashi-demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/portfolio")
    # staff see who to talk to first: sorted by priority, with open flags by severity
    expect(page.locator("th[aria-sort=descending]")).to_contain_text("優先度")
    assert page.locator("td.sev-counts .sev").count() > 5
    page.screenshot(path=str(shots / "portfolio.png"), full_page=False)

    page.goto(f"{base}/businesses/{featured}")
    expect(page.locator("#h-flags")).to_have_text("対話のきっかけ（予兆フラグ）")
    flags = page.locator("#flags .flags > article.flag")
    assert flags.count() >= 2
    assert page.locator("svg.radar text.axis").count() == 6
    assert page.locator("svg.band").count() > 5
    page.screenshot(path=str(shots / "business.png"), full_page=True)

    first = flags.first
    flag_id = first.get_attribute("id")
    first.get_by_role("button", name="対応中にする").click()  # HTMX swaps the flag in place
    expect(page.locator(f"#{flag_id} .state")).to_have_text("対応中")
    page.reload()
    expect(page.locator(f"#{flag_id} .state")).to_have_text("対応中")
    assert not errors, errors
    page.close()
