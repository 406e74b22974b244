"""Administration under ``/api/v1/admin``: an organisation's administrator manages its users.

Only an ``admin`` of the user's own organisation may act; anyone else — another role, another
organisation's administrator — gets the same 404 as for a user who does not exist (audited as
a denial). Both operations are audited.
"""

from __future__ import annotations

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from kizashi.actions.logins import do_unlock_login
from kizashi.actions.organisations import user_managed_by
from kizashi.actions.sessions import do_end_user_sessions

from ..deps import CurrentUserDep, UnitOfWork
from .contract import ApiRoute, errors

router = APIRouter(prefix="/api/v1/admin", tags=["admin"], route_class=ApiRoute)

# user_account.id is a 32-bit INTEGER on PostgreSQL: larger ids are 422 before any query.
UserId = Path(ge=1, le=2**31 - 1, description="The user's id")
ERRORS = errors(
    401, 403, 404, 422, s404="No such user, or not one of your organisation's (the same answer)"
)


class UnlockOut(BaseModel):
    user_id: int
    login: str
    was_locked: bool = Field(description="Whether the login ID was locked before this call")


class SessionsEndedOut(BaseModel):
    user_id: int
    login: str
    sessions_ended: int = Field(ge=0, description="Live sessions that were revoked")


@router.post(
    "/users/{user_id}/unlock",
    response_model=UnlockOut,
    summary="Lift a user's login lockout (and clear their failed-login count)",
    responses=ERRORS,
)
def unlock_user(me: CurrentUserDep, s: UnitOfWork, user_id: int = UserId) -> UnlockOut:
    user = user_managed_by(s, me.actor, user_id)
    was_locked = do_unlock_login(s, me.actor, user)
    return UnlockOut(user_id=user.id, login=user.login, was_locked=was_locked)


@router.post(
    "/users/{user_id}/logout-all",
    response_model=SessionsEndedOut,
    summary="End every session of a user (log them out everywhere)",
    responses=ERRORS,
)
def end_user_sessions(me: CurrentUserDep, s: UnitOfWork, user_id: int = UserId) -> SessionsEndedOut:
    user = user_managed_by(s, me.actor, user_id)
    ended = do_end_user_sessions(s, me.actor, user)
    return SessionsEndedOut(user_id=user.id, login=user.login, sessions_ended=ended)
