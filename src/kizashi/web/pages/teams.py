"""The administrator's teams page (``/admin/teams``, domain/teams.py): the organisation's teams
with their members and managers; add, rename and remove a team, put an officer in a team as a
member or its manager, take one out. Every change is an action of ``actions.teams`` (audited);
anyone but the organisation's administrator gets the 404 page (audited as a denial), as the API
does. No business data.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from kizashi.access.teams import read_teams
from kizashi.access.triage import officers_with_capacity
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

from ..deps import CurrentUserDep, StoreDep, TranslatorDep
from ..i18n import N_
from ..state import render

router = APIRouter(include_in_schema=False)
MAX_ID = 2**31 - 1
PROBLEMS = {
    "name": N_("A team's name has 1 to 100 characters."),
    "taken": N_("Your organisation already has a team of that name."),
}
BACK = "/admin/teams"


@router.get("/admin/teams")
def teams_page(
    request: Request,
    me: CurrentUserDep,
    store: StoreDep,
    t: TranslatorDep,
    problem: str | None = Query(None, max_length=16),
) -> Response:
    with store.session() as s:  # an administrator, or the 404 page (audited)
        teams = read_teams(s, me.actor)
        officers = officers_with_capacity(s, me.actor.org_id) if me.actor.org_id else []
    team_of = {m.user_id: tm.name for tm in teams for m in tm.members}
    return render(
        request,
        "teams.html",
        {
            "teams": teams,
            "officers": [(i, n, team_of.get(i)) for i, n, _ in officers],
            "problem": t.gettext(PROBLEMS[problem]) if problem in PROBLEMS else None,
        },
    )


def _named(store: StoreDep, action: Callable[..., object], **kw: object) -> Response:
    try:
        with store.session() as s:
            action(s, **kw)
    except TeamNameTaken:
        return RedirectResponse(BACK + "?problem=taken", status_code=303)
    except ValueError:
        return RedirectResponse(BACK + "?problem=name", status_code=303)
    return RedirectResponse(BACK, status_code=303)


@router.post("/admin/teams")
def add_team(
    me: CurrentUserDep, store: StoreDep, name: str = Form("", max_length=MAX_NAME * 4)
) -> Response:
    return _named(store, do_add_team, actor=me.actor, name=name)


@router.post("/admin/teams/{team_id}/rename")
def rename_team(
    me: CurrentUserDep,
    store: StoreDep,
    team_id: int = Path(ge=1, le=MAX_ID),
    name: str = Form("", max_length=MAX_NAME * 4),
) -> Response:
    return _named(store, do_rename_team, actor=me.actor, team_id=team_id, name=name)


@router.post("/admin/teams/{team_id}/remove")
def remove_team(
    me: CurrentUserDep, store: StoreDep, team_id: int = Path(ge=1, le=MAX_ID)
) -> Response:
    with store.session() as s:  # NotFound → the 404 page, audited
        do_remove_team(s, me.actor, team_id=team_id)
    return RedirectResponse(BACK, status_code=303)


@router.post("/admin/teams/{team_id}/members")
def set_member(
    me: CurrentUserDep,
    store: StoreDep,
    team_id: int = Path(ge=1, le=MAX_ID),
    user_id: int = Form(..., ge=1, le=MAX_ID),
    role: TeamRole = Form(TeamRole.MEMBER),
) -> Response:
    with store.session() as s:  # NotFound → the 404 page, audited
        do_set_team_member(s, me.actor, team_id=team_id, user_id=user_id, role=role)
    return RedirectResponse(BACK + f"#team-{team_id}", status_code=303)


@router.post("/admin/teams/{team_id}/members/{user_id}/remove")
def remove_member(
    me: CurrentUserDep,
    store: StoreDep,
    team_id: int = Path(ge=1, le=MAX_ID),
    user_id: int = Path(ge=1, le=MAX_ID),
) -> Response:
    with store.session() as s:  # NotFound → the 404 page, audited
        do_remove_team_member(s, me.actor, team_id=team_id, user_id=user_id)
    return RedirectResponse(BACK + f"#team-{team_id}", status_code=303)
