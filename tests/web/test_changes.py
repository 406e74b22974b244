"""What changed since last month: new and cleared flags, a missed trial-balance deadline — the
API, the page and the CLI agree; another organisation sees none of it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from kizashi.domain.timeliness import window
from kizashi.domain.vocabulary import FlagState, StatementKind
from kizashi.store.models import Flag, Statement

from .conftest import LAST_MONTH, login


def _flag(s, business_id: int, rule: str, opened: date, closed: date | None) -> Flag:  # type: ignore[no-untyped-def]
    from kizashi.access.reads import default_pack_ref

    f = Flag(
        business_id=business_id,
        org_id=None,
        pack_ref=default_pack_ref(),
        rule_id=rule,
        severity="medium",
        category="収益性",
        opened_month=opened,
        closed_month=closed,
        last_seen_month=closed or opened,
        is_open=closed is None,
        state=FlagState.NEW if closed is None else FlagState.RESOLVED,
        evidence_opened="{}",
        evidence_latest="{}",
        updated_at=datetime.now(UTC),
    )
    s.add(f)
    s.flush()
    return f


def _plant(store, business_id: int) -> tuple[int, int, date | None]:  # type: ignore[no-untyped-def]
    """A flag cleared last month (opened long ago), one opened a year ago and still open
    (neither new nor cleared), and the trial balance whose deadline fell in the window removed."""
    since = (date.today().replace(day=1) - timedelta(days=1)).replace(day=1)
    with store.session() as s:
        old = _flag(s, business_id, "sales.decline", date(2024, 1, 1), None)
        cleared = _flag(s, business_id, "profit.loss", date(2024, 2, 1), LAST_MONTH.replace(day=1))
        missed = next(
            (m for m in window(date.today(), 3) if since <= m + timedelta(days=30) < date.today()),
            None,
        )
        if missed is not None:
            for st in s.execute(
                select(Statement).where(
                    Statement.business_id == business_id,
                    Statement.kind == StatementKind.MONTHLY_TB,
                    Statement.period_end == missed,
                )
            ).scalars():
                s.delete(st)
        return old.id, cleared.id, missed


def test_changes_api_page_cli(client, cli, store, web_world):  # type: ignore[no-untyped-def]
    old_id, cleared_id, missed = _plant(store, web_world.business_id)
    login(client, "cgc_officer")
    body = client.get("/api/v1/changes").json()
    assert [f["flag_id"] for f in body["new_flags"]] == [web_world.flag_id]
    assert [f["flag_id"] for f in body["cleared_flags"]] == [cleared_id]
    assert old_id not in {f["flag_id"] for f in body["new_flags"] + body["cleared_flags"]}
    got = [(m["business_id"], m["month"]) for m in body["missed_submissions"]]
    assert got == ([] if missed is None else [(web_world.business_id, missed.isoformat())])
    assert body["crossed_threshold"] == []  # no active model
    page = client.get("/changes").text
    assert (
        "先月からの変化" in page
        and "新しい予兆フラグ (1)" in page
        and "解消した予兆フラグ (1)" in page
    )
    r = cli("changes", "--as", "cgc_officer")
    assert (
        r.exit_code == 0
        and "新しい予兆フラグ: 1件" in r.output
        and "解消した予兆フラグ: 1件" in r.output
    )
    client.cookies.clear()
    login(client, "c_officer")
    other = client.get("/api/v1/changes").json()
    assert other["new_flags"] == other["cleared_flags"] == other["missed_submissions"] == []
    with store.session() as s:
        assert s.execute(select(Flag.id).where(Flag.id == cleared_id)).scalar_one()
