"""An organisation's teams under ``/api/v1/admin/teams`` (domain/teams.py): its administrator lists,
adds, renames and removes teams and puts officers in them as members or managers.

``GET``/``POST /api/v1/admin/teams``; ``PATCH``/``DELETE /api/v1/admin/teams/{team_id}``;
``PUT /api/v1/admin/teams/{team_id}/members/{user_id}`` (``{"role": "member"|"manager"}``: adds,
moves from another team or changes the role); ``DELETE …/members/{user_id}``. Anyone but the
organisation's administrator, or another organisation's team, gets the same 404 as a team that
does not exist (audited as a denial). No business data here.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Path
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from kizashi.access.teams import TeamRow, read_teams
from kizashi.actions.teams import (
    MAX_NAME,
    TeamNameTaken,
    do_add_team,
    do_remove_team,
    do_remove_team_member,
    do_rename_team,
    do_set_team_member,
)
from kizashi.domain.vocabulary import TeamRole

from ..auth import CurrentUser
from ..deps import CurrentUserDep, StoreDep
from .contract import MAX_ID, NON_BLANK, READ, WRITE, ApiRoute, errors

router = APIRouter(prefix="/api/v1/admin", tags=["admin"], route_class=ApiRoute)

TeamId = Annotated[int, Path(ge=1, le=MAX_ID, description="The team's id")]
UserId = Annotated[int, Path(ge=1, le=MAX_ID, description="The officer's user id")]
S404 = "No such team (or officer) of your organisation, or you are not its administrator"
LIST_ERRORS = errors(*READ, 404, s404="You are not an administrator (the same answer as none)")
NAME_ERRORS = errors(*WRITE, 404, 409, s404=S404, s409="Your organisation has a team of that name")
TEAM_ERRORS = errors(*WRITE, 404, s404=S404)


class MemberOut(BaseModel):
    user_id: int
    login: str
    name: str
    role: TeamRole


class TeamOut(BaseModel):
    id: int
    name: str
    members: list[MemberOut]


class TeamList(BaseModel):
    items: list[TeamOut]


class TeamIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=MAX_NAME, pattern=NON_BLANK)


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: TeamRole = TeamRole.MEMBER


def _out(t: TeamRow) -> TeamOut:
    return TeamOut(
        id=t.id,
        name=t.name,
        members=[
            MemberOut(user_id=m.user_id, login=m.login, name=m.name, role=m.role) for m in t.members
        ],
    )


def _team(s: Session, me: CurrentUser, team_id: int) -> TeamOut:
    s.flush()
    return next(_out(t) for t in read_teams(s, me.actor) if t.id == team_id)


@router.get(
    "/teams", response_model=TeamList, summary="Your organisation's teams", responses=LIST_ERRORS
)
def list_teams(me: CurrentUserDep, store: StoreDep) -> TeamList:
    with store.session() as s:  # a refusal (404) keeps its audit record
        return TeamList(items=[_out(t) for t in read_teams(s, me.actor)])


@router.post(
    "/teams", response_model=TeamOut, status_code=201, summary="Add a team", responses=NAME_ERRORS
)
def add_team(body: Annotated[TeamIn, Body()], me: CurrentUserDep, store: StoreDep) -> TeamOut:
    try:
        with store.session() as s:
            team = do_add_team(s, me.actor, name=body.name)
            return _team(s, me, team.id)
    except TeamNameTaken:
        raise HTTPException(409, "Your organisation has a team of that name") from None


@router.patch(
    "/teams/{team_id}", response_model=TeamOut, summary="Rename a team", responses=NAME_ERRORS
)
def rename_team(
    team_id: TeamId, body: Annotated[TeamIn, Body()], me: CurrentUserDep, store: StoreDep
) -> TeamOut:
    try:
        with store.session() as s:
            do_rename_team(s, me.actor, team_id=team_id, name=body.name)
            return _team(s, me, team_id)
    except TeamNameTaken:
        raise HTTPException(409, "Your organisation has a team of that name") from None


@router.delete(
    "/teams/{team_id}",
    summary="Remove a team (its members are in no team afterwards)",
    responses=TEAM_ERRORS,
)
def remove_team(team_id: TeamId, me: CurrentUserDep, store: StoreDep) -> dict[str, bool]:
    with store.session() as s:
        do_remove_team(s, me.actor, team_id=team_id)
    return {"ok": True}


@router.put(
    "/teams/{team_id}/members/{user_id}",
    response_model=TeamOut,
    summary="Put an officer in a team as a member or its manager",
    responses=TEAM_ERRORS,
)
def put_member(
    team_id: TeamId,
    user_id: UserId,
    body: Annotated[MemberIn, Body()],
    me: CurrentUserDep,
    store: StoreDep,
) -> TeamOut:
    with store.session() as s:
        do_set_team_member(s, me.actor, team_id=team_id, user_id=user_id, role=body.role)
        return _team(s, me, team_id)


@router.delete(
    "/teams/{team_id}/members/{user_id}",
    summary="Take an officer out of a team",
    responses=TEAM_ERRORS,
)
def remove_member(
    team_id: TeamId, user_id: UserId, me: CurrentUserDep, store: StoreDep
) -> dict[str, bool]:
    with store.session() as s:
        do_remove_team_member(s, me.actor, team_id=team_id, user_id=user_id)
    return {"ok": True}
