"""What every ``/api/v1`` route promises, in one place: the schema says it and the code keeps it.

* Error bodies: ``{"detail": "..."}`` for 401, 403, 404, 409, 415 and 429; 413 adds
  ``limit_bytes``; 422 is always ``{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}``,
  also for refusals a route decides itself (``invalid``), so a client parses one shape.
* Request bodies: a route reads only the media type it declares. Anything else is 415 before
  the body is parsed; a JSON body that is not UTF-8 JSON is 422 (``json_invalid``), never 400
  or 500 (``ApiRoute``).
* Integers that address rows fit the id columns (``INTEGER``: 32 bits on PostgreSQL,
  ``MAX_ID``); page numbers and offsets are bounded so ``offset = (page - 1) * page_size`` fits
  too. Larger numbers are 422 before any query runs.
* Timestamps are UTC with their offset (``UtcDateTime``): SQLite returns them without one.
* Dates a client sends (bodies and query parameters) are ``IsoDate``: ``YYYY-MM-DD`` only, the
  schema's ``format: date`` — no number read as a Unix time, no datetime.
* Constraints a route checks are stated as JSON Schema (patterns, enums, lengths), so a
  request the schema accepts is not refused as invalid.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Coroutine, Iterable, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import Path, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, JsonValue

from kizashi.domain.chart import load_chart
from kizashi.domain.vocabulary import PERSON_STATES, REASON_REQUIRED, FlagState
from kizashi.ingest import load_importers
from kizashi.ingest.mapping import CLEARING

from ..auth import CSRF_HEADER, SAFE_METHODS, SESSION_COOKIE

MAX_ID = 2**31 - 1  # the id columns are INTEGER: 32 bits on PostgreSQL
MAX_PAGE = 1_000_000
MAX_OFFSET = 1_000_000_000

# Python's str.isspace() characters (str.strip removes them), written out so that Python's
# re, Rust's regex (pydantic) and ECMAScript (JSON Schema) read the class identically.
_SPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# Characters an account-name key drops or strips (ingest.mapping.normalise_name), after NFKC.
_KEYLESS = "\"',\u3001\u30fb\ufe10\ufe11\ufe50\ufe51\uff02\uff07\uff0c\uff64\uff65"
NO_NUL = "^[^\\x00]*$"  # PostgreSQL text cannot hold NUL
NON_BLANK = f"^[^\\x00]*[^\\x00{_SPACE}][^\\x00]*$"
ACCOUNT_NAME = f"^[^\\x00]*[^\\x00{_SPACE}{_KEYLESS}][^\\x00]*$"


def _as_utc(value: datetime) -> datetime:
    """The store writes UTC; SQLite hands it back without the offset."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcDateTime = Annotated[datetime, AfterValidator(_as_utc)]


def iso_date(value: object) -> object:
    """Dates only as ``YYYY-MM-DD`` (the schema's ``format: date``): no numbers read as Unix
    times, no datetimes."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise ValueError("a date as YYYY-MM-DD")
    return value


# Every date a client sends (request bodies, query parameters): tests/web/test_api_dates.py
IsoDate = Annotated[date, BeforeValidator(iso_date)]
BusinessId = Annotated[int, Path(ge=1, le=MAX_ID, description="The business's id", examples=[1])]


def json_integer(value: object) -> object:
    """A JSON body's integer as the schema's ``type: integer`` reads it: ``257`` and ``257.0``
    (becomes 257), never ``true``/``false`` or a string (pydantic's lax int would take them,
    its strict int refuses ``257.0``, which the schema calls valid)."""
    if isinstance(value, bool | str):
        raise ValueError("an integer")
    return value


# Ids of rows in a JSON body (the body's BusinessId): an integer that fits the id columns.
RowId = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(json_integer)]
FlagId = Annotated[int, Path(ge=1, le=MAX_ID, description="The flag's id", examples=[1])]


# The states a person may move a flag to: exactly the targets of the person's moves in
# domain.vocabulary.FLAG_MOVES (tests/web/test_flag_moves.py ties the schema to the table).
# Those that need a reason are a separate body schema, whose reason is required.
MOVE_STATES = tuple(s for s in PERSON_STATES if s not in REASON_REQUIRED)
REASON_STATES = tuple(s for s in PERSON_STATES if s in REASON_REQUIRED)
if TYPE_CHECKING:
    MoveState = FlagState
    ReasonState = FlagState
else:
    MoveState = Literal[MOVE_STATES]
    ReasonState = Literal[REASON_STATES]


class ErrorOut(BaseModel):
    detail: str


class TooLargeOut(BaseModel):
    detail: str
    limit_bytes: int


class FieldError(BaseModel):
    loc: list[str | int] = Field(description='Where: e.g. ["query", "page"] or ["body", "reason"]')
    msg: str
    type: str = Field(description="A stable code, e.g. missing, less_than_equal, json_invalid")


class ValidationErrorOut(BaseModel):
    detail: list[FieldError]


_ERRORS: dict[int, tuple[type[BaseModel], str]] = {
    401: (ErrorOut, "Not logged in"),
    403: (ErrorOut, "The CSRF token or the Origin is missing or wrong"),
    404: (ErrorOut, "No such object, or not visible to this user (the same answer)"),
    409: (ErrorOut, "Not allowed in the object's current state"),
    413: (TooLargeOut, "The request body is over max_upload_bytes"),
    415: (ErrorOut, "The body's Content-Type is not the one this operation reads"),
    422: (ValidationErrorOut, "A parameter or the body is invalid"),
}


def errors(*codes: int, **descriptions: str) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` entry for these error statuses (``s403="…"`` overrides a text)."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        model, text = _ERRORS[code]
        out[code] = {"model": model, "description": descriptions.get(f"s{code}", text)}
    return out


READ = (401, 422)
WRITE = (401, 403, 413, 415, 422)


def invalid(
    loc: Sequence[str | int], msg: str, type: str = "value_error"
) -> RequestValidationError:
    """A refusal the route decides, in the same 422 shape as the schema's own checks."""
    return RequestValidationError([{"loc": tuple(loc), "msg": msg, "type": type}])


def field_errors(raw: Iterable[Any]) -> list[dict[str, Any]]:
    """Validation errors as ``FieldError``: no echoed input (it may be bytes or a password)."""
    out = []
    for e in raw:
        loc = [p if isinstance(p, int) else str(p) for p in e.get("loc", ())]
        out.append({"loc": loc, "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))})
    return out


class UnsupportedMediaType(Exception):
    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


def _media_type(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


def _is_json(media: str) -> bool:
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


class ApiRoute(APIRoute):
    """A route that refuses bodies of another media type (415) and unreadable JSON (422)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        body_field = self.body_field
        if body_field is None:
            return handler
        expected = _media_type(getattr(body_field.field_info, "media_type", "application/json"))

        async def checked(request: Request) -> Response:
            if request.method not in SAFE_METHODS:
                sent = _media_type(request.headers.get("content-type", ""))
                if _is_json(expected):
                    body = await request.body()
                    if body or sent:
                        if not _is_json(sent):
                            raise UnsupportedMediaType(expected)
                        try:
                            json.loads(body)
                        except ValueError:  # also UnicodeDecodeError
                            raise invalid(["body"], "JSON decode error", "json_invalid") from None
                elif sent != expected:
                    raise UnsupportedMediaType(expected)
            return await handler(request)

        return checked


def allowed_methods(spec: dict[str, Any], path: str) -> list[str]:
    """The methods the schema lists for the path a request used (for ``Allow`` on a 405:
    FastAPI names only the methods of the first route that matched the path). A path written
    out in the schema wins over a template it also fits (``/admin/models/active`` is not the
    version ``active`` of ``/admin/models/{version}``)."""
    paths = spec.get("paths", {})
    if path in paths:
        return sorted(m.upper() for m in paths[path] if m.upper() in _HTTP_METHODS)
    for template, item in paths.items():
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            return sorted(m.upper() for m in item if m.upper() in _HTTP_METHODS)
    return []


_HTTP_METHODS = frozenset({"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"})
CHOICES = "x-kizashi-choices"  # replaced by "enum" when the schema is built


def choices(source: str) -> dict[str, JsonValue]:
    """``json_schema_extra`` for a string whose values are registered at run time (importers
    are plugins): the schema lists them when the app builds it, not at import."""
    return {CHOICES: source}


def choice_values(source: str) -> list[str]:
    importers = list(load_importers())
    if source == "importers":
        return importers
    if source == "importers_or_auto":
        return ["", "auto", *importers]
    if source == "chart_leaves":
        return [*(item.code for item in load_chart().leaves), CLEARING]
    raise KeyError(source)


def _resolve_choices(node: Any) -> None:
    if isinstance(node, dict):
        source = node.pop(CHOICES, None)
        if source is not None:
            node["enum"] = choice_values(source)
            node.pop("pattern", None)
        for value in node.values():
            _resolve_choices(value)
    elif isinstance(node, list):
        for value in node:
            _resolve_choices(value)


def complete_schema(spec: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document as FastAPI builds it, plus the run-time choices and how the API
    authenticates: the session cookie on every operation and, with it, the CSRF header on
    unsafe ones (both at once: one requirement object)."""
    _resolve_choices(spec)
    components = spec.setdefault("components", {})
    components["securitySchemes"] = {
        "session": {
            "type": "apiKey",
            "in": "cookie",
            "name": SESSION_COOKIE,
            "description": "The login session (log in at /login)",
        },
        "csrf": {
            "type": "apiKey",
            "in": "header",
            "name": CSRF_HEADER,
            "description": "The session's CSRF token (GET /api/v1/me → csrf_token)",
        },
    }
    for path_item in spec.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict):
                continue
            unsafe = method.upper() not in SAFE_METHODS
            operation["security"] = [{"session": [], "csrf": []} if unsafe else {"session": []}]
    return spec
