"""The demo's teams: デモ第一銀行 has two teams with their managers; the manager's queue shows
both teams' capacities summed from their members', the member has an assignment of their own,
and the manager's login is listed with what it is for."""

from __future__ import annotations

from sqlalchemy import select

from kizashi.access import Actor
from kizashi.access.triage import read_triage_queue
from kizashi.jobs.demo import demo_logins
from kizashi.jobs.demo_teams import assign_first
from kizashi.jobs.monitoring import run_monitoring_job
from kizashi.store.models import User
from tests.jobs.test_demo import demo  # noqa: F401  (fixture)


def test_the_demo_bank_has_two_teams_and_a_manager(store, settings, demo):  # noqa: F811
    run_monitoring_job(store, settings)  # as ``kizashi demo`` does, then the manager assigns
    assert assign_first(store) == 1
    with store.session() as s:
        mgr = s.execute(select(User).where(User.login == "bank1-mgr")).scalar_one()
        member = s.execute(select(User.id).where(User.login == "bank1")).scalar_one()
        q = read_triage_queue(s, Actor.from_user(mgr))
    teams = {t.name: t for t in q.teams}
    assert set(teams) == {"融資部", "営業推進部"}
    assert teams["融資部"].capacity == 2 + 4 and teams["営業推進部"].capacity == 3
    assert teams["融資部"].managers == ("第一 課長 (融資部 管理職)",)
    assert q.manages and set(q.assignable) == {mgr.id, member}
    assert [p.officer_id for p in q.rows if p.assigned] == [member]
    notes = {d.login: d.note for d in demo_logins(store)}
    assert "管理職" in notes["bank1-mgr"] and "管理職" not in notes["bank1"]
