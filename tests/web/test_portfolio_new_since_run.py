"""The portfolio's "new since the last run" filter (page ``?new=1`` and API
``new_since_last_run=true``) keeps the businesses with a flag first found by its pack's latest
finished run and still open for my organisation — not those whose flags an earlier run found,
not after a later run found nothing new, not once my organisation handled the new flag
(SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient

from kizashi.access.reads import default_pack_ref
from kizashi.domain.vocabulary import FlagState, RunStatus
from kizashi.store.db import Store
from kizashi.store.models import Flag, MonitoringRun

from .conftest import LAST_MONTH, WebWorld, login


def _run(s, month: date) -> int:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    run = MonitoringRun(
        as_of_month=month,
        pack_ref=default_pack_ref(),
        org_id=None,
        businesses=2,
        open_flags=1,
        started_at=now - timedelta(minutes=1),
        finished_at=now,
        status=RunStatus.FINISHED,
    )
    s.add(run)
    s.flush()
    return run.id


def test_new_since_the_last_run(client: TestClient, store: Store, web_world: WebWorld) -> None:
    bid = web_world.business_id
    month = LAST_MONTH.replace(day=1)
    with store.session() as s:
        first = _run(s, month)
        old = s.get(Flag, web_world.flag_id)
        assert old is not None
        old.first_run_id = first  # found by the first run
        second = _run(s, month)  # the latest run found nothing new

    login(client, "cgc_officer")

    def listed(query: str) -> bool:
        api = client.get(f"/api/v1/businesses?{query}")
        assert api.status_code == 200, api.text
        in_api = bid in {x["id"] for x in api.json()["items"]}
        page_query = query.replace("new_since_last_run=true", "new=1")
        in_page = f'href="/businesses/{bid}' in client.get(f"/portfolio?{page_query}").text
        assert in_api == in_page, query
        return in_api

    assert listed("") and not listed("new_since_last_run=true")
    with store.session() as s:  # the latest run finds a new flag on the business
        third = _run(s, month)
        fresh = Flag(
            business_id=bid,
            org_id=None,
            pack_ref=default_pack_ref(),
            rule_id="finance.operating_loss_streak",
            severity="medium",
            category="収益",
            opened_month=month,
            last_seen_month=month,
            is_open=True,
            state=FlagState.NEW,
            evidence_opened='{"value": 3}',
            evidence_latest='{"value": 3}',
            updated_at=datetime.now(UTC),
            first_run_id=third,
        )
        s.add(fresh)
        s.flush()
        fresh_id = fresh.id
    assert listed("new_since_last_run=true")
    # my organisation handles the new flag: it leaves my "new" queue (and stays visible)
    token = client.get("/api/v1/me").json()["csrf_token"]
    r = client.patch(
        f"/api/v1/flags/{fresh_id}/response",
        json={"state": "not_needed", "reason": "季節要因"},
        headers={"X-CSRF-Token": token},
    )
    assert r.status_code == 200, r.text
    assert not listed("new_since_last_run=true") and listed("")
    with store.session() as s:  # another run without new flags: nothing is new any more
        _run(s, month)
    assert second < third and not listed("new_since_last_run=true")
