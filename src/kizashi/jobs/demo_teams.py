"""The demo's teams (issue 13, triage under staff limits): デモ第一銀行 has two teams — 融資部,
managed by ``bank1-mgr`` with ``bank1`` as its member, and 営業推進部, managed by ``bank1-eigyo`` —
each officer with a monthly capacity (``add_teams``, while the demo is built); once the first
monitoring run has raised flags, the manager assigns the month's first proposal to the member
(``assign_first``), so a manager finds a team queue to reassign and the member an assignment of
their own. Everything goes through the actions (audited).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from kizashi.access import Actor
from kizashi.access.triage import read_triage_queue
from kizashi.actions.teams import do_add_team, do_set_team_member
from kizashi.actions.triage import CapacityFull, do_assign_triage, do_set_capacity
from kizashi.domain.vocabulary import TeamRole
from kizashi.store.db import Store
from kizashi.store.errors import NotFound
from kizashi.store.models import Organisation, User

from .demo_world import BANKS

# (team, [(login, role in the team, capacity per month)])
TEAMS = (
    ("融資部", (("bank1-mgr", TeamRole.MANAGER, 2), ("bank1", TeamRole.MEMBER, 4))),
    ("営業推進部", (("bank1-eigyo", TeamRole.MANAGER, 3),)),
)
MANAGER_LOGINS = frozenset(
    login for _, members in TEAMS for login, role, _ in members if role == TeamRole.MANAGER
)


def add_teams(store: Store) -> None:
    """Form the demo bank's teams, as the operator."""
    system = Actor.system()
    with store.session() as s:
        bank = s.execute(
            select(Organisation).where(Organisation.code == BANKS[0].code)
        ).scalar_one()
        users = {
            u.login: u for u in s.execute(select(User).where(User.org_id == bank.id)).scalars()
        }
        for name, members in TEAMS:
            team = do_add_team(s, system, name=name, org_id=bank.id)
            for login, role, capacity in members:
                do_set_team_member(s, system, team_id=team.id, user_id=users[login].id, role=role)
                do_set_capacity(s, system, user_id=users[login].id, per_month=capacity)


def assign_first(store: Store, *, today: date | None = None) -> int:
    """The manager gives the month's first proposal to the member; returns how many (0 or 1)."""
    with store.session() as s:
        users = {
            u.login: u
            for u in s.execute(select(User).where(User.login.in_(["bank1-mgr", "bank1"]))).scalars()
        }
        manager, member = Actor.from_user(users["bank1-mgr"]), users["bank1"].id
    day = today or date.today()
    with store.session() as s:
        queue = read_triage_queue(s, manager, period=day)
    first = next((p for p in queue.rows if not p.assigned), None)
    if first is None:
        return 0
    try:
        with store.session() as s:
            do_assign_triage(
                s, manager, business_id=first.business_id, officer_user_id=member, period=day
            )
    except (CapacityFull, NotFound):
        return 0
    return 1
