"""The administrator's page: the organisation's users (``/admin/users``). No business data.

Add a user, deactivate or reactivate one, set a new password, change a role, lift a login
lockout; each row shows the last login. Every change is an action of ``actions.organisations``
(or ``actions.logins``), audited; a deactivation, a password or role change ends the user's
sessions. Anyone but an administrator gets the 404 page (audited as a denial), as the API
does. An administrator cannot deactivate themself or change their own role.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from kizashi.access.triage import officers_with_capacity
from kizashi.access.user_reads import list_org_users
from kizashi.actions.logins import do_unlock_login
from kizashi.actions.organisations import (
    ROLES_BY_KIND,
    do_add_user,
    do_change_password,
    do_change_role,
    do_set_user_active,
    user_managed_by,
)
from kizashi.domain.vocabulary import Role
from kizashi.store.db import Store
from kizashi.store.models import Organisation, User

from ..auth import CurrentUser
from ..deps import CurrentUserDep, StoreDep
from ..i18n import N_
from ..state import render

router = APIRouter(include_in_schema=False)
UserId = Path(ge=1, le=2**31 - 1)

# What the page says after a change (``?done=…``), and why a change was refused.
DONE = {
    "added": N_("User {login} was added."),
    "deactivated": N_("User {login} was deactivated; their sessions ended."),
    "activated": N_("User {login} can log in again."),
    "password": N_("A new password was set for {login}; their sessions ended."),
    "role": N_("The role of {login} was changed; their sessions ended."),
    "unlocked": N_("The login lockout of {login} was lifted."),
}
PROBLEMS = {
    "taken": N_("This login ID is already taken."),
    "login": N_(
        "A login ID is 2 to 120 letters, digits and _ . @ -, starting with a letter or digit."
    ),
    "name": N_("Enter the user's name."),
    "password": N_("A password needs at least 8 characters."),
    "role": N_("This role does not exist in your organisation."),
    "self": N_(
        "You cannot deactivate yourself or change your own role: ask another administrator."
    ),
}
LOGIN_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.@-")


def _roles(s: Session, me: CurrentUser) -> list[Role]:
    org = s.get(Organisation, me.actor.org_id)
    kinds = ROLES_BY_KIND[org.kind] if org is not None else set()
    return [r for r in Role if r in kinds]


def _page(
    request: Request,
    store: Store,
    me: CurrentUser,
    *,
    problem: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    with store.session() as s:
        users = list_org_users(s, me.actor)  # an administrator, or the 404 page (audited)
        roles = _roles(s, me)
        capacities = officers_with_capacity(s, me.actor.org_id) if me.actor.org_id else []
    done = request.query_params.get("done")
    return render(
        request,
        "admin_users.html",
        {
            "users": users,
            "roles": roles,
            "done": DONE.get(done or ""),
            "done_login": request.query_params.get("login", ""),
            "problem": PROBLEMS.get(problem or ""),
            "form": form or {},
            "me_id": me.actor.user_id,
            "capacities": capacities,  # triage under staff limits (pages/triage.py)
        },
        status_code=status_code,
    )


def _done(code: str, login: str) -> RedirectResponse:
    return RedirectResponse(
        "/admin/users?" + urlencode({"done": code, "login": login}), status_code=303
    )


@router.get("/admin/users")
def users_page(request: Request, me: CurrentUserDep, store: StoreDep) -> Response:
    return _page(request, store, me)


@router.post("/admin/users")
def add_user(
    request: Request,
    me: CurrentUserDep,
    store: StoreDep,
    login: str = Form(""),
    display_name: str = Form(""),
    role: str = Form(""),
    password: str = Form(""),
    locale: str = Form("ja"),
) -> Response:
    login, display_name = login.strip()[:120], display_name.strip()[:200]
    form = {"login": login, "display_name": display_name, "role": role, "locale": locale}
    problem = None
    if not (2 <= len(login) <= 120 and set(login) <= LOGIN_CHARS and login[0].isalnum()):
        problem = "login"
    elif not display_name or "\x00" in display_name:
        problem = "name"
    elif len(password) < 8 or len(password) > 1024 or "\x00" in password:
        problem = "password"
    elif role not in {r.value for r in Role}:
        problem = "role"
    if problem is None:
        try:
            with store.session() as s:
                list_org_users(s, me.actor)  # an administrator, or the 404 page (audited)
                org = s.get(Organisation, me.actor.org_id)
                assert org is not None
                do_add_user(
                    s,
                    me.actor,
                    org=org,
                    login=login,
                    password=password,
                    display_name=display_name,
                    role=Role(role),
                    locale="en" if locale == "en" else "ja",
                )
            return _done("added", login)
        except ValueError as exc:
            problem = "taken" if "already exists" in str(exc) else "role"
    return _page(
        request,
        store,
        me,
        problem=problem,
        form=form,
        status_code=409 if problem == "taken" else 422,
    )


def _change(
    request: Request,
    store: Store,
    me: CurrentUser,
    user_id: int,
    done: str,
    change: Callable[[Session, User], Any],
    *,
    about_self: bool = False,
) -> Response:
    refused = None
    try:
        with store.session() as s:
            user = user_managed_by(s, me.actor, user_id)  # or the 404 page (audited)
            login = user.login
            if about_self and user.id == me.actor.user_id:
                refused = "self"
            else:
                change(s, user)
    except ValueError:
        refused = "role"
    if refused:
        return _page(
            request, store, me, problem=refused, status_code=409 if refused == "self" else 422
        )
    return _done(done, login)


@router.post("/admin/users/{user_id}/active")
def set_active(
    request: Request,
    me: CurrentUserDep,
    store: StoreDep,
    user_id: int = UserId,
    active: str = Form("0"),
) -> Response:
    on = active == "1"
    return _change(
        request,
        store,
        me,
        user_id,
        "activated" if on else "deactivated",
        lambda s, u: do_set_user_active(s, me.actor, u, active=on),
        about_self=True,
    )


@router.post("/admin/users/{user_id}/password")
def set_password(
    request: Request,
    me: CurrentUserDep,
    store: StoreDep,
    user_id: int = UserId,
    password: str = Form(""),
) -> Response:
    if len(password) < 8 or len(password) > 1024 or "\x00" in password:
        with store.session() as s:
            user_managed_by(s, me.actor, user_id)  # a stranger sees the 404 page, not the form
        return _page(request, store, me, problem="password", status_code=422)
    return _change(
        request,
        store,
        me,
        user_id,
        "password",
        lambda s, u: do_change_password(s, me.actor, u, password),
    )


@router.post("/admin/users/{user_id}/role")
def set_role(
    request: Request,
    me: CurrentUserDep,
    store: StoreDep,
    user_id: int = UserId,
    role: str = Form(""),
) -> Response:
    if role not in {r.value for r in Role}:
        return _page(request, store, me, problem="role", status_code=422)
    return _change(
        request,
        store,
        me,
        user_id,
        "role",
        lambda s, u: do_change_role(s, me.actor, u, Role(role)),
        about_self=True,
    )


@router.post("/admin/users/{user_id}/unlock")
def unlock(
    request: Request, me: CurrentUserDep, store: StoreDep, user_id: int = UserId
) -> Response:
    return _change(
        request, store, me, user_id, "unlocked", lambda s, u: do_unlock_login(s, me.actor, u)
    )
