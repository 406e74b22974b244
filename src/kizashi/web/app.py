"""The web application: ``create_app(settings)`` builds everything; importing does nothing."""

from __future__ import annotations

from importlib import resources
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from kizashi.settings import Settings
from kizashi.store.db import Store, open_store
from kizashi.store.errors import NotFound

from . import api, auth, pages
from .api.contract import UnsupportedMediaType, allowed_methods, complete_schema, field_errors
from .lifespan import with_audit_checkpoints
from .origin import OriginRefused, origin_protect
from .state import render
from .upload_limit import UploadSizeLimit, UploadTooLarge, format_size

# Only our own files: no CDN, no inline script. The inline SVG charts need no exception.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _not_found(request: Request) -> Response:
    """The one answer for a missing and a forbidden object, on pages and in the API."""
    if _is_api(request):
        return JSONResponse({"detail": "Not Found"}, status_code=404)
    auth.current_user(request)
    return render(request, "not_found.html", status_code=404)


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotFound)
    async def not_found(request: Request, _exc: NotFound) -> Response:
        return _not_found(request)

    @app.exception_handler(UploadTooLarge)
    async def too_large(request: Request, exc: UploadTooLarge) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": exc.detail, "limit_bytes": exc.limit}, status_code=413)
        auth.current_user(request)
        return render(
            request,
            "error.html",
            {"status": 413, "limit": format_size(exc.limit)},
            status_code=413,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return _not_found(request)
        if _is_api(request):
            headers = dict(getattr(exc, "headers", None) or {})
            if exc.status_code == 405:
                methods = allowed_methods(request.app.openapi(), request.url.path)
                headers["Allow"] = ", ".join(methods) or headers.get("Allow", "")
            return JSONResponse(
                {"detail": exc.detail}, status_code=exc.status_code, headers=headers
            )
        auth.current_user(request)
        return render(
            request, "error.html", {"status": exc.status_code}, status_code=exc.status_code
        )

    @app.exception_handler(auth.LoginRequired)
    async def login_required(request: Request, _exc: auth.LoginRequired) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": "Not authenticated"}, status_code=401)
        return RedirectResponse(auth.login_url(request), status_code=303)

    @app.exception_handler(auth.CSRFError)
    async def csrf_failed(request: Request, _exc: auth.CSRFError) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": "CSRF token missing or invalid"}, status_code=403)
        return render(request, "error.html", {"status": 403, "csrf": True}, status_code=403)

    @app.exception_handler(OriginRefused)
    async def origin_refused(request: Request, _exc: OriginRefused) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": "Origin not allowed"}, status_code=403)
        return render(request, "error.html", {"status": 403, "csrf": True}, status_code=403)

    @app.exception_handler(UnsupportedMediaType)
    async def unsupported(request: Request, exc: UnsupportedMediaType) -> Response:
        return JSONResponse({"detail": f"send the body as {exc.expected}"}, status_code=415)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": field_errors(exc.errors())}, status_code=422)
        auth.current_user(request)
        return render(request, "error.html", {"status": 400}, status_code=400)


def create_app(settings: Settings, store: Store | None = None) -> FastAPI:
    """The kizashi web application for one instance (its settings and its store)."""
    app = FastAPI(
        title="kizashi API",
        version="1",
        description="兆し — early-warning monitoring of SMEs, shared with the business's consent.",
        docs_url=None,  # FastAPI's bundled docs pages load scripts from a CDN: ours is /docs
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
        dependencies=[Depends(origin_protect), Depends(auth.csrf_protect)],
    )
    app.state.settings = settings
    app.state.store = store or open_store(settings)
    app.router.lifespan_context = with_audit_checkpoints(
        app.router.lifespan_context, settings, app.state.store
    )
    web = resources.files("kizashi.web")
    app.state.templates = Jinja2Templates(directory=str(web.joinpath("templates")))
    app.state.templates.env.globals["static_version"] = "1"
    # Innermost (added first): the limit must raise in the route's own call stack, not inside
    # the task group BaseHTTPMiddleware wraps ``receive`` in (that would become a 400).
    app.add_middleware(UploadSizeLimit, limit=settings.max_upload_bytes)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.resolved_secret_key(),
        session_cookie=auth.SESSION_COOKIE,
        max_age=settings.session_absolute_seconds,
        same_site="lax",
        https_only=settings.cookie_secure,
    )

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.url.path.startswith("/static/"):
            # Data and pages are per user: never kept by the browser or a shared cache.
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    app.mount("/static", StaticFiles(directory=str(web.joinpath("static"))), name="static")
    for router in (*pages.ROUTERS, *api.ROUTERS):
        app.include_router(router)

    @app.get("/docs", include_in_schema=False)
    def api_docs(request: Request) -> Response:
        """The API reference, rendered from the OpenAPI document (no external scripts)."""
        auth.current_user(request)
        return render(request, "api_docs.html", {"spec": app.openapi()})

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    _install_handlers(app)
    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete_schema(default_openapi())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
