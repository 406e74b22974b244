"""Headless Chromium, issue 13's walk in one go: the 保証協会's triage queue proposes the
business → its officer opens a support case from the business's flags → records two meetings,
one with agreed actions → refers the business to the 活性化協議会 from the case → the owner
consents with the flags and one of the two records → the council sees exactly that (the flag and
the chosen record; not the other record, not the indicators), accepts, and its new case and the
officer's show each other → the owner sees the records shared with them and the referral
accepted, with the action agreed for the business among their reminders. The queue no longer
proposes a business in an open case.

Same set-up as ``test_browser.py`` (Debian's /usr/bin/chromium driven by Playwright; skipped
without it unless KIZASHI_REQUIRE_BROWSER=1).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from kizashi.actions.organisations import do_add_organisation, do_add_user
from kizashi.actions.triage import do_set_capacity
from kizashi.domain.vocabulary import OrgKind, Role
from kizashi.settings import Settings
from kizashi.store.db import Store
from kizashi.store.models import User
from kizashi.web.app import create_app

from .conftest import FLAG_TITLE, PASSWORD, SYSTEM, WebWorld, build_web_world
from .live_server import serve_app
from .test_browser import ARGS, CHROMIUM, _require_browser
from .test_browser_admin_audit import _errors, _log_in

pytestmark = pytest.mark.browser

COUNCIL = "北海道活性化協議会"
NOTE = "売上の減少が続いています。再生計画の検討をお願いします。"
SENT, KEPT = "売上の落ち込みと資金繰り", "取引先の入替えの相談"
SOON = (date.today() + timedelta(days=7)).isoformat()  # the owner's action: a reminder


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, WebWorld]]:
    _require_browser()

    tmp = tmp_path_factory.mktemp("browser-support-walk")
    store = Store(f"sqlite:///{tmp / 'kizashi.db'}")
    world = build_web_world(store)
    with store.session() as s:
        council = do_add_organisation(
            s, SYSTEM, kind=OrgKind.REVITALIZATION, name=COUNCIL, code="council"
        )
        do_add_user(
            s,
            SYSTEM,
            org=council,
            login="council_officer",
            password=PASSWORD,
            display_name="協議会 担当",
            role=Role.OFFICER,
        )
        # the 保証協会's administrator gave its officer room for a few dialogues a month
        cgc_officer = s.execute(select(User).where(User.login == "cgc_officer")).scalar_one()
        do_set_capacity(s, SYSTEM, user_id=cgc_officer.id, per_month=3)
    settings = Settings(data_dir=tmp, database_url=store.url, secret_key="browser-test-secret")
    with serve_app(create_app(settings, store)) as base:
        yield base, world
    store.dispose()


@pytest.fixture(scope="module")
def browser(server):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def _page(browser, base: str, login: str) -> tuple[Any, list[str]]:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    errors = _errors(page)
    _log_in(page, base, login)
    page.wait_for_load_state()
    return page, errors


def _record(page, topics: str, actions: list[tuple[str, str, str]]) -> None:  # type: ignore[no-untyped-def]
    """One meeting on the case page, shared with the owner; actions: (what, party, due)."""
    from playwright.sync_api import expect

    form = page.locator("#dialogue-form")
    form.locator("textarea[name=attendees]").fill("代表取締役 山田\n顧問税理士 佐藤")
    form.locator("textarea[name=topics]").fill(topics)
    form.locator("textarea[name=owner_said]").fill("主要取引先の発注が減った")
    for k, (what, party, due) in enumerate(actions):
        form.locator("input[name=action_what]").nth(k).fill(what)
        form.locator("select[name=action_party]").nth(k).select_option(party)
        form.locator("input[name=action_due]").nth(k).fill(due)
    form.locator("input[name=shared]").check()
    form.locator("button[type=submit]").click()
    expect(page.locator("[role=status]")).to_have_text("保存しました。")


def test_queue_case_dialogue_referral_council_and_owner(server, browser) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    base, world = server
    bid = world.business_id

    # the queue proposes the business, with the flag in words
    officer, officer_errors = _page(browser, base, "cgc_officer")
    officer.goto(f"{base}/triage")
    row = officer.locator(f"#b{bid}")
    expect(row).to_have_attribute("data-status", "proposed")
    expect(row).to_contain_text(FLAG_TITLE)

    # … the officer opens a case from its flags
    row.locator(f"a[href='/businesses/{bid}']").click()
    officer.wait_for_url(re.compile(rf".*/businesses/{bid}(\?.*)?$"))
    officer.click("#case-links a")
    expect(officer.locator("h1")).to_have_text("支援案件")
    officer.check(f"input[name=flag][value='{world.flag_id}']")
    officer.select_option("select[name=support_type]", "improvement")
    officer.fill("input[name=title]", "売上減少への対応")
    officer.click("#open-case-form button[type=submit]")
    expect(officer.locator("h1")).to_have_text("売上減少への対応")
    expect(officer.locator(".page-head")).to_contain_text(f"#{world.flag_id}")
    case_url = officer.url.split("?")[0]
    case_id = int(case_url.rsplit("/", 1)[1])

    # … records the meetings, the first with agreed actions
    _record(
        officer,
        SENT,
        [
            ("資金繰り表を作る", "owner", SOON),
            ("返済条件の見直し案を用意する", "officer", "2099-01-15"),
        ],
    )
    _record(officer, KEPT, [])
    records = officer.locator("article.dialogue")
    expect(records).to_have_count(2)
    expect(officer.locator("article.dialogue", has_text=SENT)).to_contain_text("資金繰り表を作る")

    # a business in an open case is no longer proposed
    officer.goto(f"{base}/triage")
    expect(officer.locator(f"#b{bid}")).to_have_count(0)

    # … refers it to the council from the case
    officer.goto(case_url)
    officer.click("#refer-case")
    officer.select_option("select[name=to_org]", label=COUNCIL)
    officer.select_option("select[name=kind]", value="revitalization")
    officer.fill("textarea[name=note]", NOTE)
    officer.click("#referral-form button[type=submit]")
    expect(officer.locator("#referral-status")).to_have_text("事業者の同意待ち")
    referral_url = officer.url.split("?")[0]

    # the council sees nothing before the owner's consent
    council, council_errors = _page(browser, base, "council_officer")
    council.goto(f"{base}/referrals")
    expect(council.locator(".referral-rows")).to_have_count(0)

    # … the owner consents with the flags and the first record only
    owner, owner_errors = _page(browser, base, "owner")
    owner.goto(f"{base}/referrals")
    owner.click(".referral-rows a")
    approve = owner.locator("#approve-form")
    expect(approve).to_contain_text(SENT)
    expect(approve).to_contain_text(KEPT)
    owner.check("input[name=share_flags]")
    approve.locator("label", has_text=SENT).locator("input[name=dialogue]").check()
    owner.click("#approve-form button[type=submit]")
    expect(owner.locator("#referral-status")).to_have_text("紹介先の回答待ち")

    # … the council sees exactly what was shared, and accepts
    council.goto(f"{base}/referrals")
    council.click(".referral-rows a")
    expect(council.locator("#referral-note")).to_have_text(NOTE)
    expect(council.locator(f"#shared-flag-{world.flag_id}")).to_be_visible()
    expect(council.locator("[id^=shared-dialogue-]")).to_have_count(1)
    expect(council.locator("[id^=shared-dialogue-]")).to_contain_text(SENT)
    expect(council.locator("body")).not_to_contain_text(KEPT)
    expect(council.locator("#shared-indicators")).to_have_count(0)
    council.click("#accept-form button[type=submit]")
    expect(council.locator("#referral-status")).to_have_text("受入済み")

    # … both cases show the link
    council.click("#referral-case a")
    expect(council.locator("#linked-case")).to_contain_text(f"#{case_id}")
    council_case = int(council.url.split("/cases/")[1].split("?")[0])
    assert council_case != case_id
    officer.goto(case_url)
    expect(officer.locator("#linked-case")).to_contain_text(f"#{council_case}")
    officer.goto(referral_url)
    expect(officer.locator("#referral-status")).to_have_text("受入済み")

    # … the owner sees the records shared with them and the referral
    owner.goto(f"{base}/businesses/{bid}")
    owner.click("#case-links a")
    expect(owner.locator("h1")).to_have_text("共有された面談記録")
    shared = owner.locator("article.dialogue")
    expect(shared).to_have_count(2)
    expect(owner.locator("article.dialogue", has_text=SENT)).to_contain_text("資金繰り表を作る")
    expect(owner.locator("#reminders")).to_contain_text("資金繰り表を作る")
    expect(owner.locator("#reminders")).not_to_contain_text("返済条件の見直し案を用意する")
    owner.goto(f"{base}/referrals")
    expect(owner.locator(".referral-status")).to_have_text("受入済み")
    expect(owner.locator(".referral-rows")).to_contain_text(COUNCIL)
    assert not (officer_errors or council_errors or owner_errors)
