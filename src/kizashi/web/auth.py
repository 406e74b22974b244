"""Login, logout, the session and CSRF protection.

* The session is a cookie signed with the instance's secret key (itsdangerous, through
  Starlette's ``SessionMiddleware``): HttpOnly, SameSite=Lax, Secure when
  ``settings.cookie_secure``, expiring after ``settings.session_max_age_seconds`` without
  activity (the cookie is re-signed at most once a minute while the user is active). A
  tampered or expired cookie is an empty session: the user is simply logged out.
* Passwords are checked with argon2id by ``actions.organisations.authenticate``. A login
  starts a fresh session (new CSRF token), so a session planted before login is worthless.
* CSRF: a synchroniser token lives in the session. Every unsafe request (POST, PUT, PATCH,
  DELETE) — pages and ``/api/v1`` alike — must echo it in the ``X-CSRF-Token`` header or the
  ``csrf_token`` form field, or it is refused with 403 before the route runs.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from kizashi.access import Actor
from kizashi.actions.organisations import authenticate
from kizashi.store.models import Organisation, OrgKind, Role, User

from .state import app_store, render

SESSION_COOKIE = "kizashi_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
TOUCH_SECONDS = 60

router = APIRouter()


class CSRFError(Exception):
    """An unsafe request without the session's CSRF token."""


class LoginRequired(Exception):
    """A page needs a logged-in user (pages redirect to /login; the API answers 401)."""


@dataclass(frozen=True)
class CurrentUser:
    actor: Actor
    display_name: str
    org_name: str
    org_kind: OrgKind
    role: Role
    locale: str


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def csrf_protect(request: Request) -> None:
    """App-wide dependency: refuse an unsafe request that does not carry the session's token."""
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get("csrf")
    sent = request.headers.get(CSRF_HEADER)
    if not sent and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()  # Starlette caches it: the route reads it again for free
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not secrets.compare_digest(str(expected), str(sent)):
        raise CSRFError()


def current_user(request: Request) -> CurrentUser | None:
    """The logged-in user of this request, or None. Cached on ``request.state``."""
    if hasattr(request.state, "user"):
        return request.state.user
    user_id = request.session.get("uid")
    found: CurrentUser | None = None
    if isinstance(user_id, int):
        with app_store(request).session() as s:
            row = s.execute(
                select(User, Organisation)
                .join(Organisation, User.org_id == Organisation.id)
                .where(User.id == user_id)
            ).one_or_none()
            if row is not None and row[0].active:
                user, org = row
                found = CurrentUser(
                    Actor.from_user(user),
                    user.display_name,
                    org.name,
                    org.kind,
                    user.role,
                    user.locale,
                )
        if found is None:
            request.session.clear()  # deactivated or deleted since login
        elif time.time() - request.session.get("seen", 0) > TOUCH_SECONDS:
            request.session["seen"] = int(time.time())  # re-sign: idle expiry slides
    request.state.user = found
    return found


def require_user(request: Request) -> CurrentUser:
    """Dependency for pages and the API: the user, or ``LoginRequired``."""
    user = current_user(request)
    if user is None:
        raise LoginRequired()
    return user


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths: never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def login_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/login?next={quote(target, safe='')}"


@router.get("/login", include_in_schema=False)
def login_page(request: Request, next: str | None = None) -> Response:
    if current_user(request) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login", include_in_schema=False)
def login_submit(
    request: Request, login: str = Form(""), password: str = Form(""), next: str = Form("/")
) -> Response:
    with app_store(request).session() as s:
        user = authenticate(s, login.strip(), password) if login and password else None
        user_id, user_locale = (user.id, user.locale) if user else (None, None)
    if user_id is None:
        response = render(
            request, "login.html", {"next": _safe_next(next), "error": True}, status_code=401
        )
        return response
    lang = request.session.get("lang")
    request.session.clear()
    request.session.update(
        {
            "uid": user_id,
            "csrf": secrets.token_urlsafe(32),
            "seen": int(time.time()),
            "lang": lang or user_locale,
        }
    )
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", include_in_schema=False)
def logout(request: Request) -> Response:
    lang = request.session.get("lang")
    request.session.clear()
    if lang:
        request.session["lang"] = lang
    return RedirectResponse("/login", status_code=303)
