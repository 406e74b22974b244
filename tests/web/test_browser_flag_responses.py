"""Headless Chromium: the guarantor, a bank and the owner answer the same flag on the business
page; each sees only its own state and reason, and the response page lists its own history
with person and time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from kizashi.settings import Settings
from kizashi.store.db import Store
from kizashi.web.app import create_app

from .conftest import PASSWORD, build_web_world
from .live_server import serve_app
from .test_browser import ARGS, CHROMIUM, _require_browser

pytestmark = pytest.mark.browser
CGC_REASON = "保証協会: 季節要因のため対応不要"


@pytest.fixture(scope="module")
def flag_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int, int]]:
    _require_browser()
    from sqlalchemy import select

    from kizashi.access import Actor
    from kizashi.actions.consent import do_grant_consent
    from kizashi.domain.vocabulary import Category, Purpose
    from kizashi.store.models import Business, Organisation, User

    tmp = tmp_path_factory.mktemp("flag-responses")
    store = Store(f"sqlite:///{tmp / 'kizashi.db'}")
    world = build_web_world(store)
    with store.session() as s:  # bank A may see the flags too
        owner = s.execute(select(User).where(User.login == "owner")).scalar_one()
        do_grant_consent(
            s,
            Actor.from_user(owner),
            business=s.get(Business, world.business_id),
            grantee=s.execute(
                select(Organisation).where(Organisation.code == "bank-a")
            ).scalar_one(),
            categories=[Category.FLAGS],
            purpose=Purpose.MONITORING,
            valid_from=date(2026, 1, 1),
        )
    settings = Settings(data_dir=tmp, database_url=store.url, secret_key="browser-test-secret")
    with serve_app(create_app(settings, store)) as base:
        yield base, world.business_id, world.flag_id
    store.dispose()


@pytest.fixture(scope="module")
def chromium(flag_server):  # type: ignore[no-untyped-def]
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


def test_three_organisations_answer_one_flag(flag_server, chromium) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    base, bid, fid = flag_server
    card = f"#flag-{fid}"

    cgc_ctx, cgc = _login(chromium, base, "cgc_officer")
    cgc.goto(f"{base}/businesses/{bid}")
    expect(cgc.locator(f"{card} .state")).to_have_text("新規")
    cgc.locator(f"{card} details.not-needed summary").click()
    cgc.locator(f"{card} textarea[name=reason]").fill(CGC_REASON)
    cgc.locator(f"{card} button[value=not_needed]").click()  # HTMX swaps the flag in place
    expect(cgc.locator(f"{card} .state")).to_have_text("対応不要")
    expect(cgc.locator(card)).to_contain_text(CGC_REASON)

    bank_ctx, bank = _login(chromium, base, "a_officer")
    bank.goto(f"{base}/businesses/{bid}")
    expect(bank.locator(f"{card} .state")).to_have_text("新規")
    assert CGC_REASON not in bank.content()
    bank.locator(card).get_by_role("button", name="対応中にする").click()
    expect(bank.locator(f"{card} .state")).to_have_text("対応中")
    bank.locator(f"{card} a.response-link").click()
    bank.wait_for_url(f"**/flags/{fid}/response*")
    expect(bank.locator("#response-state")).to_have_text("対応中")
    bank.select_option("#assign-form select[name=assignee]", label="a_officer")
    bank.fill("#assign-form input[name=due_on]", "2026-12-15")
    bank.click("#assign-form button[type=submit]")
    rows = bank.locator("#response-history tbody tr")
    expect(rows).to_have_count(3)  # state, assignee, due date
    expect(rows.first).to_contain_text("対応中")
    assert CGC_REASON not in bank.content()

    owner_ctx, owner = _login(chromium, base, "owner")
    owner.goto(f"{base}/businesses/{bid}")
    expect(owner.locator(f"{card} .state")).to_have_text("新規")
    owner.locator(card).get_by_role("button", name="確認しました").click()
    expect(owner.locator(f"{card} .state")).to_have_text("確認済")
    assert CGC_REASON not in owner.content()

    cgc.reload()  # the guarantor's answer is still its own
    expect(cgc.locator(f"{card} .state")).to_have_text("対応不要")
    expect(cgc.locator(card)).to_contain_text(CGC_REASON)
    bank.goto(f"{base}/businesses/{bid}")
    expect(bank.locator(f"{card} .state")).to_have_text("対応中")
    expect(bank.locator(f"{card} .assignee")).to_have_text("a_officer")
    for ctx in (cgc_ctx, bank_ctx, owner_ctx):
        ctx.close()
