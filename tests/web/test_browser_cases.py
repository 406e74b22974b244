"""Headless Chromium: an officer opens a support case from a business's flags, records a meeting
with agreed actions shared with the owner (and an attachment); the owner sees the record in
their portal and comments; the officer sees the comment and closes the case.

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

from .conftest import WebWorld, build_web_world
from .live_server import serve_app
from .test_browser import ARGS, CHROMIUM, _require_browser
from .test_browser_admin_audit import _errors, _log_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, WebWorld, Path]]:
    _require_browser()

    tmp = tmp_path_factory.mktemp("browser-cases")
    store = Store(f"sqlite:///{tmp / 'kizashi.db'}")
    world = build_web_world(store)
    settings = Settings(data_dir=tmp, database_url=store.url, secret_key="browser-test-secret")
    with serve_app(create_app(settings, store)) as base:
        yield base, world, tmp
    store.dispose()


@pytest.fixture(scope="module")
def browser(server):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def test_case_from_flags_dialogue_shared_and_the_owner_comments(server, browser) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    base, world, tmp = server
    memo = tmp / "議事メモ.txt"
    memo.write_text("面談のメモ", encoding="utf-8")
    officer = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    errors = _errors(officer)
    _log_in(officer, base, "cgc_officer")
    officer.wait_for_url(re.compile(r".*/(portfolio)?(\?.*)?$"))
    officer.goto(f"{base}/businesses/{world.business_id}?purpose=monitoring")
    officer.click("#case-links a")
    expect(officer.locator("h1")).to_have_text("支援案件")
    officer.check(f"input[name=flag][value='{world.flag_id}']")
    officer.select_option("select[name=support_type]", "improvement")
    officer.fill("input[name=title]", "資金繰りの改善")
    officer.click("#open-case-form button[type=submit]")
    expect(officer.locator("h1")).to_have_text("資金繰りの改善")
    expect(officer.locator("#case-type")).to_have_text("経営改善")
    expect(officer.locator(".page-head")).to_contain_text(f"#{world.flag_id}")
    form = officer.locator("#dialogue-form")
    form.locator("textarea[name=attendees]").fill("代表取締役 山田\n顧問税理士 佐藤")
    form.locator("textarea[name=topics]").fill("売上の落ち込みと資金繰り")
    form.locator("textarea[name=owner_said]").fill("主要取引先の発注が減った")
    form.locator("input[name=action_what]").first.fill("資金繰り表を作る")
    form.locator("input[name=action_due]").first.fill("2099-01-31")
    form.locator("input[name=action_what]").nth(1).fill("返済条件の見直し案を用意する")
    form.locator("select[name=action_party]").nth(1).select_option("officer")
    form.locator("input[name=files]").set_input_files(str(memo))
    form.locator("input[name=shared]").check()
    form.locator("button[type=submit]").click()
    expect(officer.locator("[role=status]")).to_have_text("保存しました。")
    record = officer.locator("article.dialogue").first
    expect(record).to_contain_text("売上の落ち込みと資金繰り")
    expect(record).to_contain_text("資金繰り表を作る")
    expect(record).to_contain_text("事業者と共有")
    expect(record.locator("a", has_text="議事メモ.txt")).to_be_visible()
    case_url = officer.url.split("?")[0]

    owner = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    owner_errors = _errors(owner)
    _log_in(owner, base, "owner")
    owner.wait_for_load_state()
    owner.goto(f"{base}/businesses/{world.business_id}")
    owner.click("#case-links a")
    expect(owner.locator("h1")).to_have_text("共有された面談記録")
    shared = owner.locator("article.dialogue")
    expect(shared).to_have_count(1)
    expect(shared).to_contain_text("資金繰り表を作る")
    expect(shared).to_contain_text("主要取引先の発注が減った")
    shared.locator("input[name=body]").fill("資金繰り表は来週お持ちします")
    shared.locator(".comment-form button").click()
    expect(owner.locator("article.dialogue .comments")).to_contain_text(
        "資金繰り表は来週お持ちします"
    )

    officer.goto(case_url)
    expect(officer.locator("article.dialogue .comments")).to_contain_text(
        "資金繰り表は来週お持ちします"
    )
    done = officer.locator("form.action-done button")
    expect(done).to_have_count(2)
    done.nth(1).click()
    expect(officer.locator("form.action-done button")).to_have_count(1)
    expect(officer.locator("article.dialogue .actions")).to_contain_text("✓")
    officer.select_option("#case-close-form select[name=outcome]", "plan_agreed")
    officer.click("#case-close-form button[type=submit]")
    expect(officer.locator("#case-status")).to_contain_text("計画合意")
    expect(officer.locator("#dialogue-form")).to_have_count(0)
    assert errors == [] and owner_errors == []
