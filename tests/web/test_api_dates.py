"""One ISO date type for the API: every date a client sends to ``/api/v1`` (a request body's
field, at any depth, or a query parameter) is ``contract.IsoDate`` — ``YYYY-MM-DD`` only, so a
number is never read as a Unix time (Schemathesis ST201) and the schema's ``format: date`` is
exactly what is accepted (ST202)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any, get_args, get_origin

import pytest
from fastapi.routing import APIRoute
from pydantic import BaseModel, BeforeValidator, TypeAdapter, ValidationError

from kizashi.web.api.contract import IsoDate, iso_date


def _is_iso(metadata: list[Any]) -> bool:
    return any(isinstance(m, BeforeValidator) and m.func is iso_date for m in metadata)


def _bare_dates(annotation: Any, metadata: list[Any], where: str, seen: set[type]) -> list[str]:
    """Where ``annotation`` holds a ``date`` that is not an ``IsoDate``."""
    if get_origin(annotation) is Annotated:
        base, *meta = get_args(annotation)
        return _bare_dates(base, [*metadata, *meta], where, seen)
    if annotation is date:
        return [] if _is_iso(metadata) else [where]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return []
        seen.add(annotation)
        out = []
        for name, f in annotation.model_fields.items():
            out += _bare_dates(f.annotation, list(f.metadata), f"{where}.{name}", seen)
        return out
    out = []
    for arg in get_args(annotation):  # unions, lists, dicts, tuples
        out += _bare_dates(arg, [], where, seen)
    return out


def _api_routes(routes: list[Any], prefix: str = "") -> list[tuple[str, APIRoute]]:
    """Every route as (full path, route): routers included in routers walked."""
    out: list[tuple[str, APIRoute]] = []
    for r in routes:
        if isinstance(r, APIRoute):
            out.append((prefix + r.path_format, r))
        elif hasattr(r, "original_router"):
            out += _api_routes(r.original_router.routes, prefix + (r.include_context.prefix or ""))
    return out


def _api_dates(app) -> list[str]:
    bare = []
    routes = [(p, r) for p, r in _api_routes(app.routes) if p.startswith("/api/v1")]
    assert len(routes) > 50  # the walk finds the API
    for path, route in routes:
        name = f"{sorted(route.methods)[0]} {path}"
        params = route.dependant.query_params + route.dependant.body_params
        for dep in route.dependant.dependencies:
            params += dep.query_params + dep.body_params
        for p in params:
            info = p.field_info
            bare += _bare_dates(info.annotation, list(info.metadata), f"{name} {p.name}", set())
    return sorted(set(bare))


def test_every_date_a_client_sends_is_an_iso_date(app) -> None:
    assert _api_dates(app) == []


def test_the_checker_finds_a_bare_date() -> None:
    class Body(BaseModel):
        when: date | None = None
        nested: list[dict[str, date]] = []
        fine: IsoDate | None = None

    found = _bare_dates(Body, [], "Body", set())
    assert found == ["Body.when", "Body.nested"]


@pytest.mark.parametrize(
    "value",
    [
        20260131,
        1767225600,
        "1767225600",
        "20260131",
        1.5,
        True,
        "2026-01-31T00:00:00",
        "2026-1-31",
        "２０２６-０１-３１",
        None,
    ],
)
def test_iso_date_refuses_anything_but_yyyy_mm_dd(value: object) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(IsoDate).validate_python(value)
    with pytest.raises(ValidationError):
        TypeAdapter(IsoDate).validate_json(json.dumps(value))


def test_iso_date_accepts_a_date() -> None:
    assert TypeAdapter(IsoDate).validate_json('"2026-01-31"') == date(2026, 1, 31)
    assert TypeAdapter(IsoDate).validate_python(date(2026, 1, 31)) == date(2026, 1, 31)
    with pytest.raises(ValidationError):
        TypeAdapter(IsoDate).validate_python(datetime(2026, 1, 31))


def test_a_month_of_year_zero_is_refused_by_the_schema_not_a_500() -> None:
    """Schemathesis found ``"period": "0000-01"`` (a valid pattern match) crash the triage
    assignment routes: ``date`` has no year 0. The pattern refuses it (and non-ASCII digits)."""
    import re as _re

    from kizashi.web.api.triage import PERIOD, AssignIn

    for bad in ("0000-01", "٢٠٢٦-01", "2026-13"):
        assert not _re.fullmatch(PERIOD, bad)
        with pytest.raises(ValidationError):
            AssignIn.model_validate({"officer_user_id": 1, "period": bad})
    for good in ("0001-01", "2026-12"):
        assert AssignIn.model_validate({"officer_user_id": 1, "period": good}).period == good
