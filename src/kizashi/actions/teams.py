"""Teams of officers (domain/teams.py): the organisation's administrator (or the operator) forms
them, renames and removes them, and adds, promotes and removes members. Every change is audited;
a refusal (another organisation's team, a user who is not an active officer of the organisation,
someone not an administrator) is a NotFound carrying its ``deny`` record.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizashi.access import Actor
from kizashi.access.policy import audited_refusal
from kizashi.domain.vocabulary import Role, TeamRole
from kizashi.store.audit import audit_write
from kizashi.store.models import User
from kizashi.store.teams_models import Team, TeamMember

MAX_NAME = 100


class TeamNameTaken(ValueError):
    """The organisation already has a team of that name."""


def _admin(actor: Actor, action: str) -> None:
    if not actor.is_system and (actor.role != Role.ADMIN or actor.org_id is None):
        raise audited_refusal(actor, action, "team", "not an administrator")


def _team(session: Session, actor: Actor, team_id: int, action: str) -> Team:
    team = session.get(Team, team_id)
    if team is None or (not actor.is_system and team.org_id != actor.org_id):
        raise audited_refusal(actor, action, "team", "not a team of the organisation")
    return team


def _name(session: Session, org_id: int, name: str, team_id: int | None = None) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise ValueError(f"a team's name has 1 to {MAX_NAME} characters")
    same = session.execute(
        select(Team.id).where(Team.org_id == org_id, Team.name == name)
    ).scalar_one_or_none()
    if same is not None and same != team_id:
        raise TeamNameTaken(name)
    return name


def do_add_team(session: Session, actor: Actor, *, name: str, org_id: int | None = None) -> Team:
    """A new team in the administrator's organisation (the operator names ``org_id``)."""
    _admin(actor, "add_team")
    org = org_id if actor.is_system and org_id is not None else actor.org_id
    if org is None:
        raise audited_refusal(actor, "add_team", "team", "no organisation")
    team = Team(org_id=org, name=_name(session, org, name), created_at=datetime.now(UTC))
    session.add(team)
    session.flush()
    audit_write(session, actor, "add_team", object_type="team", object_id=team.id, name=team.name)
    return team


def do_rename_team(session: Session, actor: Actor, *, team_id: int, name: str) -> Team:
    _admin(actor, "rename_team")
    team = _team(session, actor, team_id, "rename_team")
    old, team.name = team.name, _name(session, team.org_id, name, team.id)
    session.flush()
    audit_write(
        session, actor, "rename_team", object_type="team", object_id=team.id, old=old, new=team.name
    )
    return team


def do_remove_team(session: Session, actor: Actor, *, team_id: int) -> None:
    """End a team: its members are in no team afterwards (their assignments stay theirs)."""
    _admin(actor, "remove_team")
    team = _team(session, actor, team_id, "remove_team")
    members = list(
        session.execute(select(TeamMember).where(TeamMember.team_id == team.id)).scalars()
    )
    for m in members:
        session.delete(m)
    session.flush()
    audit_write(
        session,
        actor,
        "remove_team",
        object_type="team",
        object_id=team.id,
        name=team.name,
        members=sorted(m.user_id for m in members),
    )
    session.delete(team)
    session.flush()


def do_set_team_member(
    session: Session, actor: Actor, *, team_id: int, user_id: int, role: TeamRole
) -> TeamMember:
    """Put an active officer of the organisation in the team as a member or a manager (moving
    them from another team of the organisation, or changing their role in this one)."""
    _admin(actor, "set_team_member")
    team = _team(session, actor, team_id, "set_team_member")
    user = session.get(User, user_id)
    if user is None or user.org_id != team.org_id or not user.active or user.role != Role.OFFICER:
        raise audited_refusal(
            actor, "set_team_member", "user", "not an officer of the organisation"
        )
    row = session.get(TeamMember, user.id)
    old = None if row is None else {"team_id": row.team_id, "role": row.role}
    if row is None:
        row = TeamMember(user_id=user.id, team_id=team.id, role=role.value)
        session.add(row)
    row.team_id, row.role, row.added_at = team.id, role.value, datetime.now(UTC)
    session.flush()
    audit_write(
        session,
        actor,
        "set_team_member",
        object_type="team",
        object_id=team.id,
        user_id=user.id,
        old=old,
        new={"team_id": team.id, "role": role.value},
    )
    return row


def do_remove_team_member(session: Session, actor: Actor, *, team_id: int, user_id: int) -> None:
    _admin(actor, "remove_team_member")
    team = _team(session, actor, team_id, "remove_team_member")
    row = session.get(TeamMember, user_id)
    if row is None or row.team_id != team.id:
        raise audited_refusal(actor, "remove_team_member", "user", "not a member of the team")
    audit_write(
        session,
        actor,
        "remove_team_member",
        object_type="team",
        object_id=team.id,
        user_id=user_id,
        old={"team_id": team.id, "role": row.role},
    )
    session.delete(row)
    session.flush()
