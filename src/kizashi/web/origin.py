"""Refuse an unsafe request that a browser sent from another site (the Origin check).

The CSRF token already stops a forged form or script; the Origin check is a second, independent
lock that needs no secret (OWASP "verifying origin with standard headers"):

* Safe methods (GET, HEAD, OPTIONS, TRACE) are never refused: they change nothing.
* ``Origin`` present: it must be this server's own origin (scheme, host and port as the request
  arrived, ``X-Forwarded-Proto`` applied by uvicorn's proxy headers) or one of
  ``settings.trusted_origins``. ``Origin: null`` (sandboxed frames, ``file:``) is refused.
* No ``Origin`` but a ``Referer``: the referring page's origin must match the same way.
  Our pages send ``Referrer-Policy: same-origin``, so our own forms keep their Referer.
* Neither header: allowed. Every current browser sends ``Origin`` on a POST, PUT, PATCH or
  DELETE, so this is a script or API client (curl, Python); it still needs the session cookie
  and the CSRF token, which a third-party site cannot read.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request

from .auth import SAFE_METHODS
from .state import app_settings

DEFAULT_PORTS = {"http": 80, "https": 443}


class OriginRefused(Exception):
    """An unsafe request whose Origin (or Referer) is another site."""


def normalise_origin(value: str) -> str | None:
    """``scheme://host[:port]`` in lower case without the default port; None if not a URL."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"  # IPv6 literal
    return (
        f"{scheme}://{host}"
        if port in (None, DEFAULT_PORTS[scheme])
        else f"{scheme}://{host}:{port}"
    )


def own_origin(request: Request) -> str | None:
    return normalise_origin(f"{request.url.scheme}://{request.url.netloc}")


def allowed_origins(request: Request) -> set[str]:
    trusted = {normalise_origin(o) for o in app_settings(request).trusted_origins}
    return {o for o in {own_origin(request), *trusted} if o}


async def origin_protect(request: Request) -> None:
    """App-wide dependency, before the CSRF check: see the module docstring."""
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("origin")
    if origin is None:
        referer = request.headers.get("referer")
        if not referer:
            return
        origin = referer
    if normalise_origin(origin) not in allowed_origins(request):
        raise OriginRefused()
