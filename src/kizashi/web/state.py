"""What every request handler reaches for: the app's store and settings, the language, rendering."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from kizashi.domain.consent import default_purpose
from kizashi.domain.vocabulary import Purpose
from kizashi.settings import Settings
from kizashi.store.db import Store

from .i18n import LOCALES, Translator, negotiate


def app_store(request: Request) -> Store:
    return request.app.state.store


def app_settings(request: Request) -> Settings:
    return request.app.state.settings


def translator(request: Request) -> Translator:
    """The request's language: ?lang= (remembered in the session), the session, the user, the default."""
    if hasattr(request.state, "translator"):
        return request.state.translator
    asked = request.query_params.get("lang")
    if asked and asked[:2].lower() in LOCALES:
        request.session["lang"] = asked[:2].lower()
    user = getattr(request.state, "user", None)
    t = Translator(
        negotiate(
            request.session.get("lang"),
            user.locale if user else None,
            default=app_settings(request).default_locale,
        )
    )
    request.state.translator = t
    return t


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def parse_purpose(value: str | None) -> Purpose:
    try:
        return Purpose(value) if value else Purpose.MONITORING
    except ValueError:
        return Purpose.MONITORING


PURPOSE_KEY = "purpose"  # the session's remembered purpose (a page's ?purpose=)


def page_purpose(request: Request, value: str | None) -> tuple[Purpose, bool]:
    """A page's purpose and whether the request named one.

    A purpose asked for (``?purpose=``) is remembered in the session, so the next page opens
    with it; without one, the remembered one; else the default of the user's kind of
    organisation (``domain.consent.DEFAULT_PURPOSE``: an accountant or the 活性化協議会 opens
    on 経営支援, a bank or the 保証協会 on 期中モニタリング). An unknown value is ignored.
    """
    if value:
        try:
            asked = Purpose(value)
        except ValueError:
            asked = None
        if asked is not None:
            if request.session.get(PURPOSE_KEY) != asked.value:
                request.session[PURPOSE_KEY] = asked.value
            return asked, True
    remembered = request.session.get(PURPOSE_KEY)
    if remembered in {p.value for p in Purpose}:
        return Purpose(remembered), False
    user = getattr(request.state, "user", None)
    return default_purpose(user.org_kind if user is not None else None), False


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    t = translator(request)

    def lang_url(lang: str) -> str:
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
        return request.url.path + "?" + urlencode([*params, ("lang", lang)])

    ctx = {
        **t.template_globals(),
        "lang_url": lang_url,
        "user": getattr(request.state, "user", None),
        "csrf_token": csrf_token(request),
        **(context or {}),
    }
    response = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return response
