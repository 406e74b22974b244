"""A grant ending within 30 days shows on both sides — the owner's consent page and the
institution's consent page and business page — and one ending later does not; an expired grant
is no longer listed as live and its next read is refused (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from kizashi.access import Actor
from kizashi.actions.consent import do_grant_consent
from kizashi.domain.consent import EXPIRY_WARNING_DAYS, GrantStanding, grant_standing
from kizashi.domain.vocabulary import Category, Purpose
from kizashi.store.db import Store
from kizashi.store.models import Business, Organisation, User

from .conftest import WebWorld, last_audit, login

# "today" is read when a test runs, as the pages read it per request: a constant taken when the
# module is collected is yesterday for a test run after midnight
SOON = "まもなく終了"


def test_the_warning_starts_thirty_days_before_the_end() -> None:
    today = date.today()

    def standing(days: int) -> GrantStanding:
        return grant_standing(today - timedelta(days=5), today + timedelta(days=days), False, today)

    assert EXPIRY_WARNING_DAYS == 30
    assert standing(0) == standing(30) == GrantStanding.ENDING_SOON  # the last day included
    assert standing(31) == GrantStanding.ACTIVE
    assert standing(-1) == GrantStanding.EXPIRED
    assert grant_standing(today, None, False, today) == GrantStanding.ACTIVE  # no end date


def _row(html: str, grant_id: int) -> str:
    m = re.search(rf'<tr id="grant-{grant_id}".*?</tr>', html, re.S)
    assert m, grant_id
    return m.group(0)


def test_ending_soon_on_both_sides(client: TestClient, store: Store, web_world: WebWorld) -> None:
    today = date.today()
    with store.session() as s:
        owner = Actor.from_user(s.execute(select(User).where(User.login == "owner")).scalar_one())
        business = s.get(Business, web_world.business_id)
        bank = s.execute(select(Organisation).where(Organisation.code == "bank-b")).scalar_one()
        ids = {}
        for category, days in (
            (Category.QUALITATIVE, 30),
            (Category.INVOICES, 31),
            (Category.FINANCIALS, -1),
            (Category.PROFILE, None),  # the bank may open the business page
        ):
            (g,) = do_grant_consent(
                s,
                owner,
                business=business,  # type: ignore[arg-type]
                grantee=bank,
                categories=[category],
                purpose=Purpose.SUPPORT,
                valid_from=today - timedelta(days=60),
                valid_to=None if days is None else today + timedelta(days=days),
            )
            ids[category] = g.id

    login(client, "owner")
    html = client.get("/consent").text
    assert SOON in _row(html, ids[Category.QUALITATIVE])
    assert SOON not in _row(html, ids[Category.INVOICES])
    assert f'id="grant-{ids[Category.FINANCIALS]}"' not in html  # expired: not live any more
    assert "30日以内に終わる同意が" in html
    page = client.get(f"/businesses/{web_world.business_id}").text
    assert "30日以内に終わる同意が" in page  # the owner's business page says it too
    client.cookies.clear()

    login(client, "b_officer")
    html = client.get("/consent").text
    assert SOON in _row(html, ids[Category.QUALITATIVE])
    assert SOON not in _row(html, ids[Category.INVOICES])
    assert f'id="grant-{ids[Category.FINANCIALS]}"' not in html
    assert "30日以内に終わる同意が" in html
    r = client.get(f"/businesses/{web_world.business_id}?purpose=support")
    assert r.status_code == 200, r.text[:300]
    page = r.text
    section = page.split('id="consent"')[1].split("</section>")[0]
    held = [li for li in re.findall(r"<li>.*?</li>", section, re.S)]
    assert any("定性" in li and SOON in li for li in held), held
    assert any("請求書" in li and SOON not in li for li in held), held
    # the expired grant stops reads at once: the financial figures are refused and audited
    r = client.get(f"/api/v1/businesses/{web_world.business_id}/monthly?purpose=support")
    assert r.status_code == 404
    assert last_audit(store).decision == "deny"
