"""Headless Chromium: the administrator's users page and the auditor's audit log, as used.

Same set-up as ``test_browser.py`` (Debian's /usr/bin/chromium driven by Playwright; skipped
without it unless KIZASHI_REQUIRE_BROWSER=1).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from kizashi.settings import Settings
from kizashi.store.db import Store
from kizashi.web.app import create_app

from .conftest import PASSWORD, build_web_world
from .live_server import serve_app
from .test_browser import ARGS, CHROMIUM, _require_browser

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _require_browser()

    tmp = tmp_path_factory.mktemp("browser-admin")
    store = Store(f"sqlite:///{tmp / 'kizashi.db'}")
    build_web_world(store)
    settings = Settings(data_dir=tmp, database_url=store.url, secret_key="browser-test-secret")
    with serve_app(create_app(settings, store)) as base:
        yield base
    store.dispose()


@pytest.fixture(scope="module")
def browser(server):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def _log_in(page, base: str, login: str, password: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def _errors(page) -> list[str]:  # type: ignore[no-untyped-def]
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def test_the_administrator_manages_users(server, browser) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    base = server
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    errors = _errors(page)
    _log_in(page, base, "a_admin")
    page.wait_for_url(f"{base}/admin/users")  # the login lands on the users page
    assert page.locator("h1").inner_text() == "利用者"
    expect(page.locator("header nav")).to_contain_text("利用者")
    expect(page.locator("header nav")).not_to_contain_text("ポートフォリオ")
    rows = page.locator("#users tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator('tr[data-login="a_admin"] .last-login')).not_to_have_text("未ログイン")
    expect(page.locator('tr[data-login="a_auditor"] .last-login')).to_have_text("未ログイン")

    form = page.locator("#add-user")
    form.locator("input[name=login]").fill("a_browser")
    form.locator("input[name=display_name]").fill("画面 花子")
    form.locator("select[name=role]").select_option("officer")
    form.locator("input[name=password]").fill("browser-pass-1")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/admin/users\?done=added"))
    expect(page.locator("#done")).to_have_text("利用者 a_browser を追加しました。")
    expect(rows).to_have_count(4)

    row = page.locator('tr[data-login="a_browser"]')
    row.get_by_role("button", name="無効にする").click()
    page.wait_for_url(re.compile(r"done=deactivated"))
    expect(page.locator('tr[data-login="a_browser"] .status')).to_have_text("無効")
    page.locator('tr[data-login="a_browser"]').get_by_role("button", name="有効にする").click()
    page.wait_for_url(re.compile(r"done=activated"))
    expect(page.locator('tr[data-login="a_browser"] .status')).to_have_text("有効")

    row = page.locator('tr[data-login="a_browser"]')
    row.locator("select[name=role]").select_option("auditor")
    row.get_by_role("button", name="役割を変更").click()
    page.wait_for_url(re.compile(r"done=role"))
    expect(page.locator('tr[data-login="a_browser"] .role')).to_have_text("監査担当者")

    row = page.locator('tr[data-login="a_browser"]')
    row.locator("input[name=password]").fill("browser-pass-2")
    row.get_by_role("button", name="パスワードを設定").click()
    page.wait_for_url(re.compile(r"done=password"))
    # the administrator's own row offers no deactivation or role change
    own = page.locator('tr[data-login="a_admin"]')
    expect(own.get_by_role("button", name="無効にする")).to_have_count(0)
    page.goto(f"{base}/admin/users?lang=en")
    assert page.locator("h1").inner_text() == "Users"
    page.click("button:has-text('Log out')")
    page.wait_for_url(f"{base}/login")

    # the new user logs in with the new password and, as an auditor, lands on the audit log
    _log_in(page, base, "a_browser", "browser-pass-2")
    page.wait_for_url(f"{base}/audit")
    assert not errors, errors
    page.close()


def test_the_auditor_reads_filters_verifies_and_exports(  # type: ignore[no-untyped-def]
    server, browser, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    base = server
    officer = browser.new_page(locale="ja-JP")
    _log_in(officer, base, "a_officer")
    officer.wait_for_url(f"{base}/portfolio")
    officer.close()

    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    errors = _errors(page)
    _log_in(page, base, "a_auditor")
    page.wait_for_url(f"{base}/audit")  # the login lands on the audit log
    assert page.locator("h1").inner_text() == "監査ログ"
    expect(page.locator("#events tbody tr").first).to_be_visible()

    page.locator("#audit-filters input[name=person]").fill("a_officer")
    page.locator("#audit-filters select[name=action]").select_option("login")
    page.locator("#audit-filters button[type=submit]").click()
    page.wait_for_url(re.compile(r"/audit\?.*person=a_officer"))
    rows = page.locator("#events tbody tr")
    expect(rows.first).to_be_visible()
    for i in range(rows.count()):
        expect(rows.nth(i)).to_contain_text("ログイン")
        expect(rows.nth(i)).to_contain_text("a_officer")

    with page.expect_download() as got:
        page.click("#csv")
    path = got.value.path()
    text = Path(path).read_text("utf-8-sig")
    assert text.splitlines()[0].startswith("id,at,login,organisation,action")
    assert (
        all(",a_officer," in line for line in text.splitlines()[1:])
        and len(text.splitlines()) == rows.count() + 1
    )

    rows.first.locator("a").click()
    page.wait_for_url(re.compile(r"/audit/events/\d+$"))
    expect(page.locator("h1")).to_contain_text("監査イベント")
    expect(page.locator("#event")).to_contain_text("ログイン")
    expect(page.locator("#detail")).to_contain_text("session_id")
    page.get_by_role("link", name="監査ログ").first.click()
    page.wait_for_url(f"{base}/audit")

    page.click("#verify")
    expect(page.locator("#verification")).to_contain_text("監査ログは無傷です")
    page.goto(f"{base}/audit?lang=en")
    assert page.locator("h1").inner_text() == "Audit log"
    page.click("#verify")
    expect(page.locator("#verification")).to_contain_text("The audit log is intact.")
    assert not errors, errors
    page.close()


def test_others_do_not_see_these_pages(server, browser) -> None:  # type: ignore[no-untyped-def]
    base = server
    page = browser.new_page(locale="ja-JP")
    _log_in(page, base, "a_officer")
    page.wait_for_url(f"{base}/portfolio")
    for url in ("/admin/users", "/audit"):
        response = page.goto(f"{base}{url}")
        assert response is not None and response.status == 404
    page.close()
