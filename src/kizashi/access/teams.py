"""An organisation's teams (domain/teams.py): names, members and managers. No business data.

``memberships`` and ``org_teams`` are the organisation's own structure, read by the triage queue
and the assignment gate for the actor's organisation; ``read_teams`` is the administrator's
listing (``GET /admin/teams``, ``GET /api/v1/admin/teams``): an administrator sees their own
organisation's teams, the operator any; anyone else is refused (audited).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizashi.domain.teams import Membership
from kizashi.domain.vocabulary import Role, TeamRole
from kizashi.store.models import User
from kizashi.store.teams_models import Team, TeamMember

from .actor import Actor
from .policy import audited_refusal


@dataclass(frozen=True)
class MemberRow:
    user_id: int
    login: str
    name: str
    role: TeamRole


@dataclass(frozen=True)
class TeamRow:
    id: int
    name: str
    members: tuple[MemberRow, ...]

    @property
    def managers(self) -> tuple[MemberRow, ...]:
        return tuple(m for m in self.members if m.role == TeamRole.MANAGER)


def memberships(session: Session, org_id: int) -> dict[int, Membership]:
    """Officer → their team and role, for the organisation's teams (active officers only: a
    deactivated member, or one whose role changed, neither manages nor is proposed work)."""
    rows = session.execute(
        select(TeamMember.user_id, TeamMember.team_id, TeamMember.role)
        .join(Team, Team.id == TeamMember.team_id)
        .join(User, User.id == TeamMember.user_id)
        .where(Team.org_id == org_id, User.active.is_(True), User.role == Role.OFFICER)
    ).all()
    return {int(u): Membership(int(t), TeamRole(r)) for u, t, r in rows}


def has_teams(session: Session, org_id: int) -> bool:
    return (
        session.execute(select(Team.id).where(Team.org_id == org_id).limit(1)).first() is not None
    )


def org_teams(session: Session, org_id: int) -> list[TeamRow]:
    """The organisation's teams by name, each with its members (managers first, then by name)."""
    teams = session.execute(
        select(Team.id, Team.name).where(Team.org_id == org_id).order_by(Team.name, Team.id)
    ).all()
    members: dict[int, list[MemberRow]] = {}
    for team_id, user_id, login, name, role in session.execute(
        select(TeamMember.team_id, User.id, User.login, User.display_name, TeamMember.role)
        .join(User, User.id == TeamMember.user_id)
        .join(Team, Team.id == TeamMember.team_id)
        .where(Team.org_id == org_id)
        .order_by(TeamMember.role, User.display_name, User.id)  # "manager" < "member"
    ).all():
        members.setdefault(int(team_id), []).append(
            MemberRow(int(user_id), str(login), str(name), TeamRole(role))
        )
    return [TeamRow(int(i), str(n), tuple(members.get(int(i), ()))) for i, n in teams]


def read_teams(session: Session, actor: Actor, org_id: int | None = None) -> list[TeamRow]:
    """The administrator's view of the organisation's teams."""
    org_id = actor.org_id if org_id is None else org_id
    allowed = actor.is_system or (actor.role == Role.ADMIN and org_id == actor.org_id)
    if org_id is None or not allowed:
        raise audited_refusal(actor, "list_teams", "team", "not the organisation's administrator")
    return org_teams(session, org_id)
