"""An organisation's administrator manages its users under ``/api/v1/admin/users``.

List (with the last login), add, deactivate and reactivate, set a new password, change the role.
Only an ``admin`` acts, and only on their own organisation's users: anyone else — another role,
another organisation's administrator — gets the same 404 as for a user who does not exist
(audited as a denial). Every change is an action (``actions.organisations``) and audited; a
password or role change and a deactivation end the user's sessions. No business data here.
An administrator cannot deactivate themself or change their own role (409): the organisation
would lose its way in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from fastapi import APIRouter, HTTPException, Path
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from kizashi.access.user_reads import UserRow, list_org_users
from kizashi.actions.organisations import (
    do_add_user,
    do_change_password,
    do_change_role,
    do_set_user_active,
    user_managed_by,
)
from kizashi.domain.vocabulary import Role
from kizashi.store.db import Store
from kizashi.store.errors import NotFound
from kizashi.store.models import Organisation, User

from ..auth import CurrentUser
from ..deps import CurrentUserDep, StoreDep
from .contract import MAX_ID, NON_BLANK, READ, WRITE, ApiRoute, UtcDateTime, errors

router = APIRouter(prefix="/api/v1/admin", tags=["admin"], route_class=ApiRoute)

UserId = Path(ge=1, le=MAX_ID, description="The user's id")
S404 = "No such user, or not one of your organisation's, or you are not its administrator"
LIST_ERRORS = errors(*READ, 404, s404="You are not an administrator (the same answer as none)")
USER_ERRORS = errors(
    *WRITE, 404, 409, s404=S404, s409="Not for your own account, or a role your organisation lacks"
)
ADD_ERRORS = errors(
    *WRITE, 404, 409, s404=S404, s409="The login ID is taken, or a role your organisation lacks"
)
LOGIN = r"^[A-Za-z0-9][A-Za-z0-9_.@-]{1,119}$"
PASSWORD = r"^[^\x00]*$"


class UserOut(BaseModel):
    id: int
    login: str
    display_name: str
    role: Role
    active: bool
    locale: str
    locked: bool = Field(description="Locked after too many failed logins")
    created_at: UtcDateTime
    last_login_at: UtcDateTime | None = Field(description="The newest successful login")


class UserList(BaseModel):
    items: list[UserOut]


class UserIn(BaseModel):
    login: str = Field(pattern=LOGIN, description="Letters, digits and _ . @ - (2–120)")
    display_name: str = Field(max_length=200, pattern=NON_BLANK)
    role: Role
    password: str = Field(min_length=8, max_length=1024, pattern=PASSWORD)
    locale: Literal["ja", "en"] = "ja"


class PasswordIn(BaseModel):
    password: str = Field(min_length=8, max_length=1024, pattern=PASSWORD)


class RoleIn(BaseModel):
    role: Role


class ChangedOut(BaseModel):
    user: UserOut
    sessions_ended: int = Field(ge=0, description="Live sessions of the user that were ended")


def _out(row: UserRow) -> UserOut:
    return UserOut(
        id=row.id,
        login=row.login,
        display_name=row.display_name,
        role=row.role,
        active=row.active,
        locale=row.locale,
        locked=row.locked,
        created_at=row.created_at,
        last_login_at=row.last_login_at,
    )


def _row(s: Session, me: CurrentUser, user_id: int) -> UserOut:
    s.flush()
    return next(_out(r) for r in list_org_users(s, me.actor) if r.id == user_id)


def _not_self(me: CurrentUser, user_id: int) -> None:
    if me.actor.user_id == user_id:
        raise HTTPException(409, "Not for your own account: ask another administrator")


@router.get(
    "/users", response_model=UserList, summary="Your organisation's users", responses=LIST_ERRORS
)
def list_users(me: CurrentUserDep, store: StoreDep) -> UserList:
    with store.session() as s:
        return UserList(items=[_out(r) for r in list_org_users(s, me.actor)])


@router.post(
    "/users",
    response_model=ChangedOut,
    status_code=201,
    summary="Add a user to your organisation",
    responses=ADD_ERRORS,
)
def add_user(body: UserIn, me: CurrentUserDep, store: StoreDep) -> ChangedOut:
    with store.session() as s:
        list_org_users(s, me.actor)  # an administrator of an organisation, or the same 404
        org = s.get(Organisation, me.actor.org_id)
        if org is None:
            raise NotFound("organisation")
        try:
            user = do_add_user(
                s,
                me.actor,
                org=org,
                login=body.login,
                password=body.password,
                display_name=body.display_name.strip(),
                role=body.role,
                locale=body.locale,
            )
        except ValueError as exc:
            if "already exists" in str(exc):
                raise HTTPException(409, "The login ID is taken") from None
            raise HTTPException(409, "This role does not exist in your organisation") from None
        return ChangedOut(user=_row(s, me, user.id), sessions_ended=0)


def _change(
    store: Store, me: CurrentUser, user_id: int, change: Callable[[Session, User], int]
) -> ChangedOut:
    with store.session() as s:
        user = user_managed_by(s, me.actor, user_id)
        _not_self(me, user_id)
        try:
            ended = change(s, user)
        except ValueError:
            raise HTTPException(409, "This role does not exist in your organisation") from None
        return ChangedOut(user=_row(s, me, user.id), sessions_ended=ended)


@router.post(
    "/users/{user_id}/deactivate",
    response_model=ChangedOut,
    summary="Deactivate a user (their sessions end; they cannot log in)",
    responses=USER_ERRORS,
)
def deactivate_user(me: CurrentUserDep, store: StoreDep, user_id: int = UserId) -> ChangedOut:
    return _change(
        store, me, user_id, lambda s, u: do_set_user_active(s, me.actor, u, active=False)
    )


@router.post(
    "/users/{user_id}/activate",
    response_model=ChangedOut,
    summary="Reactivate a deactivated user",
    responses=USER_ERRORS,
)
def activate_user(me: CurrentUserDep, store: StoreDep, user_id: int = UserId) -> ChangedOut:
    return _change(store, me, user_id, lambda s, u: do_set_user_active(s, me.actor, u, active=True))


@router.post(
    "/users/{user_id}/password",
    response_model=ChangedOut,
    summary="Set a new password for a user (their sessions end)",
    responses=USER_ERRORS,
)
def reset_password(
    body: PasswordIn,
    me: CurrentUserDep,
    store: StoreDep,
    user_id: int = UserId,
) -> ChangedOut:
    return _change(
        store, me, user_id, lambda s, u: do_change_password(s, me.actor, u, body.password)
    )


@router.post(
    "/users/{user_id}/role",
    response_model=ChangedOut,
    summary="Change a user's role (their sessions end)",
    responses=USER_ERRORS,
)
def change_role(
    body: RoleIn,
    me: CurrentUserDep,
    store: StoreDep,
    user_id: int = UserId,
) -> ChangedOut:
    return _change(store, me, user_id, lambda s, u: do_change_role(s, me.actor, u, body.role))
