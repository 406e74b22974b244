"""The login and logout pages (the session and CSRF themselves are ``web/auth.py``).

* ``GET /login``: the form; a logged-in user goes straight on to ``next``.
* ``POST /login``: ``actions.logins`` checks the password (argon2id, read-only unit of work,
  no write lock held), then records the attempt (lockout per login ID, throttle per address,
  audited). Success starts a fresh cookie (new CSRF token) and goes on to ``next`` (same-site
  paths only); a failure shows the form again with the login ID kept; too many from one
  address is 429 with Retry-After.
* ``POST /logout``: revokes the session's row and empties the cookie (the language stays).
"""

from __future__ import annotations

import math
import secrets

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from kizashi.actions.logins import Outcome, check_login, do_login
from kizashi.actions.sessions import do_end_session

from ..auth import (
    MAX_LOGIN_CHARS,
    MAX_PASSWORD_CHARS,
    client_address,
    current_user,
    forget_login,
    login_policy,
    safe_next,
)
from ..deps import SettingsDep, StoreDep
from ..state import render

router = APIRouter(include_in_schema=False)


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    if current_user(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", {"next": safe_next(next), "error": None, "login": ""})


@router.post("/login")
def login_submit(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    login: str = Form(""),
    password: str = Form(""),
    next: str = Form("/"),
) -> Response:
    policy = login_policy(settings)
    address = client_address(request)
    login = login.strip()[:MAX_LOGIN_CHARS]
    # 1. reads only (argon2 runs here, holding no write lock); 2. the writes and the audit.
    with store.read_session() as s:
        check = check_login(s, login, password[:MAX_PASSWORD_CHARS], address=address, policy=policy)
    with store.session() as s:
        result = do_login(s, check, policy=policy, user_agent=request.headers.get("user-agent"))
    if result.outcome is Outcome.OK:
        lang = request.session.get("lang")
        request.session.clear()
        request.session.update(
            {"sid": result.token, "csrf": secrets.token_urlsafe(32), "lang": lang or result.locale}
        )
        return RedirectResponse(safe_next(next), status_code=303)
    context: dict[str, object] = {
        "next": safe_next(next),
        "login": login,
        "error": result.outcome.value,
    }
    if result.outcome is Outcome.THROTTLED:
        context["retry_minutes"] = max(1, math.ceil(result.retry_after / 60))
        response = render(request, "login.html", context, status_code=429)
        response.headers["Retry-After"] = str(result.retry_after)
        return response
    return render(request, "login.html", context, status_code=401)


@router.post("/logout")
def logout(request: Request, store: StoreDep) -> Response:
    token = request.session.get("sid")
    if isinstance(token, str):
        with store.session() as s:
            do_end_session(s, token, address=client_address(request))
    forget_login(request)
    return RedirectResponse("/login", status_code=303)
