"""Headless Chromium: bank A refers the business to the 活性化協議会 from its support case; the
council sees nothing until the owner consents in the portal with a selection (the flags and one
of two records shared with them); then the council sees exactly that — the flags and the chosen
record, not the other — accepts, and both cases show the link.

Same set-up as ``test_browser.py`` (Debian's /usr/bin/chromium driven by Playwright; skipped
without it unless KIZASHI_REQUIRE_BROWSER=1).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from kizashi.access import Actor
from kizashi.actions.cases import DialogueInput, do_add_dialogue, do_open_case
from kizashi.actions.organisations import do_add_organisation, do_add_user
from kizashi.domain.support import Channel, SupportType
from kizashi.domain.vocabulary import OrgKind, Purpose, Role
from kizashi.settings import Settings
from kizashi.store.db import Store
from kizashi.store.models import User
from kizashi.web.app import create_app

from .conftest import PASSWORD, SYSTEM, build_web_world
from .live_server import serve_app
from .test_browser import ARGS, CHROMIUM, _require_browser
from .test_browser_admin_audit import _errors, _log_in

pytestmark = pytest.mark.browser


def _prepare(store: Store, business_id: int, tmp: Path) -> dict[str, Any]:
    with store.session() as s:
        council = do_add_organisation(
            s, SYSTEM, kind=OrgKind.REVITALIZATION, name="北海道活性化協議会", code="council"
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
        officer = Actor.from_user(
            s.execute(select(User).where(User.login == "a_officer")).scalar_one()
        )
        case = do_open_case(
            s,
            officer,
            business_id=business_id,
            purpose=Purpose.SUPPORT,
            support_type=SupportType.IMPROVEMENT,
            title="資金繰りの改善",
        )
        ids = [
            do_add_dialogue(
                s,
                officer,
                case_id=case.id,
                dialogue=DialogueInput(
                    held_on=date(2026, 11, day),
                    channel=Channel.VISIT,
                    topics=topics,
                    shared_with_owner=True,
                ),
                purpose=Purpose.SUPPORT,
                raw_dir=tmp / "raw",
            ).id
            for day, topics in ((2, "返済条件の見直し"), (9, "取引先の入替え"))
        ]
        return {"case_id": case.id, "send": ids[0], "keep": ids[1]}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any, dict[str, Any]]]:
    _require_browser()

    tmp = tmp_path_factory.mktemp("browser-referrals")
    store = Store(f"sqlite:///{tmp / 'kizashi.db'}")
    world = build_web_world(store)
    extra = _prepare(store, world.business_id, tmp)
    settings = Settings(data_dir=tmp, database_url=store.url, secret_key="browser-test-secret")
    with serve_app(create_app(settings, store)) as base:
        yield base, world, extra
    store.dispose()


@pytest.fixture(scope="module")
def browser(server):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def _page(browser, base: str, login: str):  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    errors = _errors(page)
    _log_in(page, base, login)
    return page, errors


def test_bank_refers_to_the_council_with_the_owners_consent(server, browser) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    base, world, extra = server
    case_id = extra["case_id"]

    bank, bank_errors = _page(browser, base, "a_officer")
    bank.goto(f"{base}/cases/{case_id}")
    bank.click("#refer-case")
    bank.select_option("select[name=to_org]", label="北海道活性化協議会")
    bank.select_option("select[name=kind]", value="revitalization")
    bank.fill("textarea[name=note]", "借入過多。再生計画の検討をお願いします。")
    bank.click("#referral-form button[type=submit]")
    expect(bank.locator("#referral-status")).to_have_text("事業者の同意待ち")
    referral_url = bank.url.split("?")[0]

    # the council sees nothing before the owner's consent
    council, council_errors = _page(browser, base, "council_officer")
    council.goto(f"{base}/referrals")
    expect(council.locator(".referral-rows")).to_have_count(0)
    response = council.goto(referral_url)
    assert response is not None and response.status == 404
    council_errors.clear()  # that 404 was the point

    owner, owner_errors = _page(browser, base, "owner")
    owner.goto(f"{base}/referrals")
    owner.click(".referral-rows a")
    expect(owner.locator("#approve-form")).to_contain_text("返済条件の見直し")
    owner.check("input[name=share_flags]")
    owner.check(f"input[name=dialogue][value='{extra['send']}']")
    owner.click("#approve-form button[type=submit]")
    expect(owner.locator("#referral-status")).to_have_text("紹介先の回答待ち")

    council.goto(f"{base}/referrals")
    council.click(".referral-rows a")
    expect(council.locator("#referral-note")).to_have_text(
        "借入過多。再生計画の検討をお願いします。"
    )
    expect(council.locator(f"#shared-flag-{world.flag_id}")).to_be_visible()
    expect(council.locator(f"#shared-dialogue-{extra['send']}")).to_contain_text("返済条件の見直し")
    expect(council.locator(f"#shared-dialogue-{extra['keep']}")).to_have_count(0)
    expect(council.locator("body")).not_to_contain_text("取引先の入替え")
    expect(council.locator("#shared-indicators")).to_have_count(0)
    council.click("#accept-form button[type=submit]")
    expect(council.locator("#referral-status")).to_have_text("受入済み")
    council.click("#referral-case a")
    expect(council.locator("#linked-case")).to_contain_text(f"#{case_id}")
    council_case = int(council.url.split("/cases/")[1].split("?")[0])

    bank.goto(f"{base}/cases/{case_id}")
    expect(bank.locator("#linked-case")).to_contain_text(f"#{council_case}")
    bank.goto(referral_url)
    expect(bank.locator("#referral-status")).to_have_text("受入済み")
    owner.goto(f"{base}/referrals")
    expect(owner.locator(".referral-status")).to_have_text("受入済み")
    assert not (bank_errors or council_errors or owner_errors)
