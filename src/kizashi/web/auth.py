"""The session, who is logged in, and CSRF protection (the login and logout pages are
``pages/login.py``).

* Sessions live in the store (``actions.sessions``): the cookie carries a random token whose
  sha256 names a ``web_session`` row (user, idle and absolute expiry, revocation). Logout
  revokes the row, so a copied cookie is refused afterwards; deactivation, a password or role
  change and an administrator's "log out everywhere" revoke all of a user's rows. Each request
  costs one indexed query (session ⋈ user ⋈ organisation), plus an UPDATE of the idle expiry at
  most once a minute. Every web process shares the same rows.
* The cookie itself is Starlette's signed ``SessionMiddleware`` cookie (HttpOnly,
  SameSite=Lax, Secure when ``settings.cookie_secure``, Max-Age the absolute lifetime): it
  holds the token (``sid``), the CSRF token and the chosen language. A tampered cookie is an
  empty session; a valid cookie whose token has no live row is logged out.
* Logins (``actions.logins``): argon2id, a lockout per login ID, a throttle per client
  address (429 with Retry-After), every attempt audited. A login starts a fresh cookie (new
  CSRF token), so a session planted before login is worthless. The answers never reveal
  whether a login ID exists (see docs/security.md, "Sessions and logins").
* CSRF: a synchroniser token lives in the session. Every unsafe request (POST, PUT, PATCH,
  DELETE) — pages and ``/api/v1`` alike — must echo it in the ``X-CSRF-Token`` header or the
  ``csrf_token`` form field, or it is refused with 403 before the route runs.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import cache
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from urllib.parse import quote

from fastapi import Request

from kizashi.access import Actor
from kizashi.actions.logins import LoginPolicy
from kizashi.actions.sessions import resolve_session, touch_session
from kizashi.domain.vocabulary import OrgKind, Role
from kizashi.settings import Settings

from .state import app_settings, app_store

SESSION_COOKIE = "kizashi_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
MAX_LOGIN_CHARS = 200
MAX_PASSWORD_CHARS = 1024  # argon2 hashes anything, but there is no need to hash megabytes


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
    session_id: int = 0


def login_policy(settings: Settings) -> LoginPolicy:
    return LoginPolicy(
        max_failures=settings.login_max_failures,
        window_seconds=settings.login_failure_window_seconds,
        lockout_seconds=settings.login_lockout_seconds,
        address_max_failures=settings.login_address_max_failures,
        idle_seconds=settings.session_idle_seconds,
        absolute_seconds=settings.session_absolute_seconds,
    )


@cache
def _networks(entries: tuple[str, ...]) -> tuple[IPv4Network | IPv6Network, ...]:
    return tuple(ip_network(e, strict=False) for e in entries)


def _trusted(address: str, networks: tuple[IPv4Network | IPv6Network, ...]) -> bool:
    try:
        ip = ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(request: Request) -> str:
    """The client's address: the peer's, or — when the peer is one of ``trusted_proxies`` —
    the nearest address in X-Forwarded-For that is not a trusted proxy itself."""
    peer = request.client.host if request.client else "unknown"
    networks = _networks(tuple(app_settings(request).trusted_proxies))
    if not networks or not _trusted(peer, networks):
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getlist("x-forwarded-for")).split(",")]
    for hop in reversed([h for h in hops if h]):
        if not _trusted(hop, networks):
            return hop[:64]
    return peer


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


def forget_login(request: Request) -> None:
    """Empty the cookie but keep the chosen language."""
    lang = request.session.get("lang")
    request.session.clear()
    if lang:
        request.session["lang"] = lang


def current_user(request: Request) -> CurrentUser | None:
    """The logged-in user of this request, or None. Cached on ``request.state``."""
    if hasattr(request.state, "user"):
        return request.state.user
    token = request.session.get("sid")
    found: CurrentUser | None = None
    if isinstance(token, str):
        settings = app_settings(request)
        store = app_store(request)
        with store.read_session() as s:
            live = resolve_session(s, token)
        if live is not None:
            if live.needs_touch():
                with store.session() as s:
                    touch_session(s, live, idle_seconds=settings.session_idle_seconds)
            found = CurrentUser(
                live.actor,
                live.display_name,
                live.org_name,
                live.org_kind,
                live.actor.role,  # type: ignore[arg-type]  # a user always has a role
                live.locale,
                live.id,
            )
        if found is None:
            forget_login(request)  # logged out, expired, revoked or deactivated since login
    request.state.user = found
    return found


def require_user(request: Request) -> CurrentUser:
    """Dependency for pages and the API: the user, or ``LoginRequired``."""
    user = current_user(request)
    if user is None:
        raise LoginRequired()
    return user


def safe_next(target: str | None) -> str:
    """Only same-site relative paths: never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def login_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/login?next={quote(target, safe='')}"
