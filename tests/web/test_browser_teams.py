"""Headless Chromium: the administrator forms a team on the teams page (a manager and a member);
the member's queue offers them only themselves; the manager reassigns the business held by the
member to themselves in one click, and the queue then shows it assigned to the manager, with the
team's load on the page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from kizashi.settings import Settings
from kizashi.store.db import Store
from kizashi.web.app import create_app

from .conftest import PASSWORD, SYSTEM, build_web_world
from .live_server import serve_app
from .test_browser import ARGS, CHROMIUM, _require_browser

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def teams_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    _require_browser()
    from sqlalchemy import select

    from kizashi.access import Actor
    from kizashi.actions.organisations import do_add_user
    from kizashi.actions.triage import do_assign_triage, do_set_capacity
    from kizashi.domain.vocabulary import Role
    from kizashi.store.models import Organisation

    tmp = tmp_path_factory.mktemp("teams")
    store = Store(f"sqlite:///{tmp / 'kizashi.db'}")
    world = build_web_world(store)
    with store.session() as s:
        cgc = s.execute(select(Organisation).where(Organisation.code == "cgc")).scalar_one()
        users = {}
        for login, role, name in (
            ("cgc_admin", Role.ADMIN, "管理者"),
            ("cgc_sato", Role.OFFICER, "佐藤"),
        ):
            users[login] = do_add_user(
                s, SYSTEM, org=cgc, login=login, password=PASSWORD, display_name=name, role=role
            )
        for u in cgc.users:
            if u.role == Role.OFFICER:
                do_set_capacity(s, SYSTEM, user_id=u.id, per_month=2)
        # before there are teams, 佐藤 takes the business for themselves
        do_assign_triage(
            s,
            Actor.from_user(users["cgc_sato"]),
            business_id=world.business_id,
            officer_user_id=users["cgc_sato"].id,
            period=date.today(),
        )
    settings = Settings(data_dir=tmp, database_url=store.url, secret_key="browser-test-secret")
    with serve_app(create_app(settings, store)) as base:
        yield base, world.business_id
    store.dispose()


@pytest.fixture(scope="module")
def chromium(teams_server):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def _login(browser, base: str, login: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{base}/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return context, page, errors


def test_a_manager_reassigns_in_one_click(teams_server, chromium) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    base, bid = teams_server
    ctx, admin, errors = _login(chromium, base, "cgc_admin")
    admin.goto(f"{base}/admin/teams")
    expect(admin.locator("#no-teams")).to_be_visible()
    admin.fill("#new-team input[name=name]", "期中管理課")
    admin.locator("#new-team").get_by_role("button", name="追加").click()
    admin.wait_for_load_state()
    team = admin.locator("section.team", has_text="期中管理課")
    for officer, role in (("cgc_officer", "管理職"), ("佐藤", "メンバー")):
        team.locator(".add-member select[name=user_id]").select_option(label=officer)
        team.locator(".add-member select[name=role]").select_option(label=role)
        team.get_by_role("button", name="チームに加える").click()
        admin.wait_for_load_state()
        team = admin.locator("section.team", has_text="期中管理課")
    expect(team.locator("tr", has_text="cgc_officer").locator(".team-role")).to_have_text("管理職")
    expect(team.locator("tr", has_text="佐藤").locator(".team-role")).to_have_text("メンバー")
    assert errors == [], errors
    ctx.close()

    # the member: the business is theirs ("自分の担当"); no way to give it to someone else
    ctx, page, errors = _login(chromium, base, "cgc_sato")
    page.goto(f"{base}/triage")
    expect(page.locator("#mine")).to_contain_text("テスト工業")
    expect(page.locator(f"#b{bid} form.assign")).to_have_count(0)
    ctx.close()

    # the manager reassigns it to themselves in one click
    ctx, page, errors = _login(chromium, base, "cgc_officer")
    page.goto(f"{base}/triage")
    expect(page.locator("#teams tr", has_text="期中管理課")).to_contain_text("4")
    row = page.locator(f"#b{bid}")
    expect(row).to_have_attribute("data-status", "assigned")
    expect(row.locator("strong")).to_have_text("佐藤")
    row.locator("select[name=officer_user_id]").select_option(label="cgc_officer")
    row.get_by_role("button", name="割り当てる").click()
    page.wait_for_load_state()
    row = page.locator(f"#b{bid}")
    expect(row.locator("strong")).to_have_text("cgc_officer")
    expect(page.locator("#mine")).to_contain_text("テスト工業")
    assert errors == [], errors
    assert "Team" not in page.content().split("<main", 1)[1]
    ctx.close()
