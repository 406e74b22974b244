"""Consent in a real Chromium against a real server: a bank asks → the owner approves part of
it → the bank reads exactly that part → the owner revokes → the bank's next read is refused
and audited; the owner's "who looked" list shows the bank's reads."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from kizashi.settings import Settings
from kizashi.store.db import Store
from kizashi.store.models import AuditEvent
from kizashi.web.app import create_app

from .conftest import PASSWORD, build_web_world
from .live_server import serve_app
from .test_browser import ARGS, CHROMIUM, _require_browser

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Store, int]]:
    _require_browser()

    tmp = tmp_path_factory.mktemp("browser-consent")
    store = Store(f"sqlite:///{tmp / 'kizashi.db'}")
    world = build_web_world(store)
    settings = Settings(data_dir=tmp, database_url=store.url, secret_key="browser-consent-secret")
    with serve_app(create_app(settings, store)) as base:
        yield base, store, world.business_id
    store.dispose()


@pytest.fixture(scope="module")
def browser(live):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def _login(browser, base: str, login: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base}/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page, errors


def test_ask_approve_part_read_revoke_refused_who_looked(live, browser) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    base, store, bid = live
    business_page = f"{base}/businesses/{bid}?purpose=credit_review"

    # 1. The bank opens the business for 与信・保証審査: no figures, a "no consent" section.
    bank, bank_errors = _login(browser, base, "a_officer")
    bank.goto(business_page)
    expect(bank.locator("#consent .no-consent")).to_contain_text(
        "与信・保証審査 の同意がないデータ"
    )
    assert bank.locator("svg.chart").count() == 0
    bank.locator("#consent summary", has_text="事業者に同意を依頼する").click()
    form = bank.locator("#consent-request-form")
    for label in ("試算表・決算書", "借入・保証", "定性・面談記録"):
        form.get_by_label(label).check()
    form.locator("textarea[name=reason]").fill("設備資金の融資審査のため、直近の試算表を拝見したい")
    form.get_by_role("button", name="依頼を送る").click()
    expect(bank.locator("#consent-done")).to_have_text("依頼を事業者に送りました。")
    expect(bank.locator("#consent .consent-requests")).to_contain_text("回答待ち")

    # 2. The owner approves only the trial balances.
    owner, owner_errors = _login(browser, base, "owner")
    owner.get_by_role("link", name="同意", exact=True).click()
    owner.wait_for_url(f"{base}/consent")
    card = owner.locator("article.consent-request")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("設備資金の融資審査のため")
    expect(card).to_contain_text("A銀行")
    card.get_by_label("借入・保証").uncheck()
    card.get_by_label("定性・面談記録").uncheck()
    card.locator("textarea[name=note]").fill("借入の明細は面談でお話しします")
    card.get_by_role("button", name="チェックしたデータを承認する").click()
    expect(owner.locator("#consent-done")).to_have_text("回答を相手の機関に送りました。")
    granted = owner.locator("table.consent-grants tbody tr", has_text="A銀行").filter(
        has_text="与信・保証審査"
    )
    expect(granted).to_have_count(1)
    expect(granted).to_contain_text("試算表・決算書")
    expect(granted).to_contain_text("依頼に承認")

    # 3. The bank reads exactly that part: the figures, but still no other bank's loan.
    bank.goto(business_page)
    expect(bank.locator("svg.chart")).to_have_count(4)
    expect(bank.locator("#consent .consent-requests")).to_contain_text("一部承認")
    expect(bank.locator("#consent .consent-requests")).to_contain_text(
        "借入の明細は面談でお話しします"
    )
    expect(bank.locator("#consent .no-consent")).to_contain_text("借入・保証")
    expect(bank.locator("#consent .no-consent")).not_to_contain_text("試算表・決算書")
    loans = bank.locator("#h-loans").locator("xpath=..")
    expect(loans).to_contain_text("A-1")
    expect(loans).not_to_contain_text("B-1")  # loans were not approved: its own loan only

    # 4. The owner revokes; the bank's next read is refused and audited.
    owner.goto(f"{base}/consent")
    granted.get_by_role("button", name="取り消す").click()
    expect(owner.locator("#consent-done")).to_contain_text("同意を取り消しました")
    expect(granted).to_have_count(0)
    with store.session() as s:
        last_id = s.execute(select(AuditEvent.id).order_by(AuditEvent.id.desc())).scalars().first()
    bank.goto(business_page)
    assert bank.locator("svg.chart").count() == 0
    expect(bank.locator("#h-monthly").locator("xpath=..")).to_contain_text(
        "この利用目的での財務情報の共有について、事業者の同意がありません。"
    )
    with store.session() as s:
        refused = (
            s.execute(
                select(AuditEvent).where(
                    AuditEvent.id > last_id,
                    AuditEvent.decision == "deny",
                    AuditEvent.business_id == bid,
                    AuditEvent.purpose == "credit_review",
                    AuditEvent.category == "financials",
                )
            )
            .scalars()
            .all()
        )
    assert refused, "the refused read is in the audit log"

    # 5. "Who looked": the bank's reads (and the refusal) in plain Japanese.
    owner.goto(f"{base}/consent")
    rows = owner.locator("table.who-looked tbody tr", has_text="A銀行")
    expect(rows.filter(has_text="閲覧").filter(has_text="与信・保証審査").first).to_contain_text(
        "a_officer"
    )
    expect(rows.filter(has_text="拒否 (同意なし)").first).to_be_visible()
    assert re.search(r"令和\d+年", rows.first.inner_text())  # when, as a Japanese date
    assert not bank_errors and not owner_errors, bank_errors + owner_errors
