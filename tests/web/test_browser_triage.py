"""Headless Chromium: the administrator sets two officers' capacities on the users page; an
officer opens the triage queue, sees the business proposed with its reason, and assigns it to the
other officer in one click; the queue then shows it assigned and that officer's capacity used."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kizashi.settings import Settings
from kizashi.store.db import Store
from kizashi.web.app import create_app

from .conftest import PASSWORD, SYSTEM, build_web_world
from .live_server import serve_app
from .test_browser import ARGS, CHROMIUM, _require_browser

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def triage_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    _require_browser()
    from sqlalchemy import select

    from kizashi.actions.organisations import do_add_user
    from kizashi.domain.vocabulary import Role
    from kizashi.store.models import Organisation

    tmp = tmp_path_factory.mktemp("triage")
    store = Store(f"sqlite:///{tmp / 'kizashi.db'}")
    world = build_web_world(store)
    with store.session() as s:
        cgc = s.execute(select(Organisation).where(Organisation.code == "cgc")).scalar_one()
        for login, role, name in (
            ("cgc_admin", Role.ADMIN, "管理者"),
            ("cgc_sato", Role.OFFICER, "佐藤"),
        ):
            do_add_user(
                s, SYSTEM, org=cgc, login=login, password=PASSWORD, display_name=name, role=role
            )
    settings = Settings(data_dir=tmp, database_url=store.url, secret_key="browser-test-secret")
    with serve_app(create_app(settings, store)) as base:
        yield base, world.business_id
    store.dispose()


@pytest.fixture(scope="module")
def chromium(triage_server):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def _login(browser, base: str, login: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return context, page


def test_the_queue_assigns_a_business(triage_server, chromium) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    base, bid = triage_server
    admin_ctx, admin = _login(chromium, base, "cgc_admin")
    admin.goto(f"{base}/admin/users")
    section = admin.locator("#capacity")
    expect(section).to_contain_text("担当者の対話件数の上限")
    for name, n in (("cgc_officer", "3"), ("佐藤", "1")):
        row = section.locator("tr", has_text=name)
        row.locator("input[name=per_month]").fill(n)
        row.get_by_role("button", name="保存").click()
        admin.wait_for_load_state()
    expect(admin.locator("#capacity tr", has_text="佐藤")).to_contain_text("1")
    admin_ctx.close()

    ctx, page = _login(chromium, base, "cgc_officer")
    page.goto(f"{base}/triage")
    row = page.locator(f"#b{bid}")
    expect(row).to_have_attribute("data-status", "proposed")
    expect(row).to_contain_text("手元資金が月商1か月分未満")
    expect(row).to_contain_text("保証割合 80%")
    row.locator("select[name=officer_user_id]").select_option(label="佐藤")
    row.get_by_role("button", name="割り当てる").click()
    page.wait_for_load_state()
    row = page.locator(f"#b{bid}")
    expect(row).to_have_attribute("data-status", "assigned")
    expect(row.locator("strong")).to_have_text("佐藤")
    expect(page.locator("#officers tr", has_text="佐藤")).to_contain_text("0")
    assert "Triage" not in page.content().split("<main", 1)[1]
    ctx.close()
