"""Submission timeliness on the web: the API and the page give the same months and counts, the
owner and a consented institution see it, another organisation gets the 404; the CLI agrees."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from kizashi.domain.timeliness import window
from kizashi.domain.vocabulary import StatementKind
from kizashi.store.models import Statement

from .conftest import login


def _plant(store, business_id: int) -> dict[date, str]:  # type: ignore[no-untyped-def]
    """Delivery days per month: on time, except the oldest month of the window late (+45 days)
    and the one after it missing."""
    months = window(date.today(), 12)
    late, gone = months[0], months[1]
    with store.session() as s:
        for st in s.execute(
            select(Statement).where(
                Statement.business_id == business_id, Statement.kind == StatementKind.MONTHLY_TB
            )
        ).scalars():
            st.submission_id = None
            days = 45 if st.period_end == late else 3
            st.created_at = datetime.combine(
                st.period_end + timedelta(days=days), datetime.min.time(), UTC
            )
            if st.period_end == gone:
                s.delete(st)
    expected = {}
    with store.session() as s:
        have = set(
            s.execute(
                select(Statement.period_end).where(
                    Statement.business_id == business_id,
                    Statement.kind == StatementKind.MONTHLY_TB,
                )
            ).scalars()
        )
    for m in months:
        if m == late:
            expected[m] = "late"
        elif m in have:
            expected[m] = "on_time"
        elif date.today() > m + timedelta(days=30):
            expected[m] = "missing"
        else:
            expected[m] = "due"
    return expected


def test_api_page_and_access(client, store, web_world):  # type: ignore[no-untyped-def]
    expected = _plant(store, web_world.business_id)
    login(client, "owner")
    body = client.get(f"/api/v1/businesses/{web_world.business_id}/timeliness").json()
    got = {date.fromisoformat(m["month"]): m["status"] for m in body["months"]}
    assert got == expected
    assert body["late"] == 1 and body["missing"] == sum(
        1 for v in expected.values() if v == "missing"
    )
    assert body["months_delivered"] == body["on_time"] + body["late"]
    page = client.get(f"/businesses/{web_world.business_id}/timeliness").text
    assert "試算表の提出の適時性" in page
    assert f'<dd id="tl-late">{body["late"]}</dd>' in page
    assert f'<dd id="tl-missing">{body["missing"]}</dd>' in page
    assert page.count('data-status="late"') == 1
    assert (
        f'href="/businesses/{web_world.business_id}/timeliness"'
        in client.get(f"/businesses/{web_world.business_id}").text
    )
    client.cookies.clear()
    login(client, "cgc_officer")  # consent for every category
    assert client.get(f"/api/v1/businesses/{web_world.business_id}/timeliness").json() == body
    client.cookies.clear()
    login(client, "c_officer")  # nothing at all
    assert client.get(f"/api/v1/businesses/{web_world.business_id}/timeliness").status_code == 404


def test_cli_agrees(cli, store, web_world):  # type: ignore[no-untyped-def]
    expected = _plant(store, web_world.business_id)
    r = cli("timeliness", "--business", str(web_world.business_id), "--as", "owner", "--json")
    assert r.exit_code == 0, r.output
    body = json.loads(r.output)
    assert {date.fromisoformat(m["month"]): m["status"] for m in body["months"]} == expected
    r = cli("timeliness", "--business", str(web_world.business_id), "--as", "owner")
    assert "遅延" in r.output and "期限は月末から 30日" in r.output
    r = cli("timeliness", "--business", str(web_world.business_id), "--as", "c_officer")
    assert r.exit_code == 1 and "閲覧できません" in r.output
