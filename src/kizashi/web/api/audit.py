"""The audit log for auditors under ``/api/v1/audit``: filtered events, one event, CSV, verify.

Reads go through ``kizashi.access.audit_reads`` (who sees which events: an auditor, the events
of their own organisation's people and of what was done to them); anyone else gets 404, as for
an event that does not exist, audited as a denial. Every read is itself audited.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, Field

from kizashi.access.audit_reads import (
    AuditFilter,
    AuditRow,
    export_audit_log,
    read_audit_event,
    read_audit_log,
    verify_audit_log,
)

from ..deps import CurrentUserDep, SettingsDep, StoreDep
from .contract import MAX_ID, MAX_PAGE, NO_NUL, READ, ApiRoute, IsoDate, UtcDateTime, errors

router = APIRouter(prefix="/api/v1/audit", tags=["audit"], route_class=ApiRoute)
S404 = "Not an auditor, or no such event in your organisation's log (the same answer)"
READ_ERRORS = errors(*READ, 404, s404=S404)


class AuditEventOut(BaseModel):
    id: int
    at: UtcDateTime
    login: str | None = Field(description="The acting user's login ID (or the one typed)")
    display_name: str | None
    organisation: str | None = Field(description="The acting user's organisation")
    action: str
    decision: str = Field(description="allow | deny | write")
    business_id: int | None
    business_name: str | None
    category: str | None
    purpose: str | None
    object_type: str | None
    object_id: str | None
    detail: dict[str, Any]


class AuditPageOut(BaseModel):
    items: list[AuditEventOut]
    total: int = Field(ge=0)
    page: int = Field(ge=1)
    page_size: int = Field(ge=1)


class ProblemOut(BaseModel):
    event_id: int
    code: str = Field(
        description="missing | prev_hash | changed | legacy | head | checkpoint_bad | "
        "truncated | rewritten"
    )
    count: int


class VerifyOut(BaseModel):
    intact: bool
    checked: int = Field(ge=0, description="Events verified")
    checkpoints: int = Field(ge=0, description="Signed checkpoints outside the database")
    problems: list[ProblemOut]


def event_out(r: AuditRow) -> AuditEventOut:
    return AuditEventOut(
        id=r.id,
        at=r.at,
        login=r.login,
        display_name=r.display_name,
        organisation=r.organisation,
        action=r.action,
        decision=r.decision,
        business_id=r.business_id,
        business_name=r.business_name,
        category=r.category,
        purpose=r.purpose,
        object_type=r.object_type,
        object_id=r.object_id,
        detail=r.detail,
    )


def audit_filter(
    person: str | None = Query(None, max_length=120, pattern=NO_NUL, description="Login ID"),
    organisation: str | None = Query(
        None, max_length=64, pattern=NO_NUL, description="Organisation code"
    ),
    business_id: int | None = Query(None, ge=1, le=MAX_ID),
    action: str | None = Query(None, max_length=64, pattern=NO_NUL),
    since: Annotated[
        IsoDate | None,
        Query(description="First day (Japan time), included"),
    ] = None,
    until: Annotated[
        IsoDate | None,
        Query(description="Last day (Japan time), included"),
    ] = None,
) -> AuditFilter:
    return AuditFilter(
        person=person or None,
        organisation=organisation or None,
        business_id=business_id,
        action=action or None,
        since=since,
        until=until,
    )


@router.get(
    "/events",
    response_model=AuditPageOut,
    summary="Audit events in your scope, newest first",
    responses=READ_ERRORS,
)
def list_events(
    me: CurrentUserDep,
    store: StoreDep,
    flt: AuditFilter = Depends(audit_filter),
    page: int = Query(1, ge=1, le=MAX_PAGE),
    page_size: int = Query(50, ge=1, le=500),
) -> AuditPageOut:
    with store.session() as s:
        got = read_audit_log(s, me.actor, flt, offset=(page - 1) * page_size, page_size=page_size)
        return AuditPageOut(
            items=[event_out(r) for r in got.rows], total=got.total, page=page, page_size=page_size
        )


@router.get(
    "/events.csv",
    summary="Audit events in your scope as CSV (UTF-8, oldest first)",
    responses={**READ_ERRORS, 200: {"content": {"text/csv": {}}}},
    response_class=Response,
)
def export_events(
    me: CurrentUserDep, store: StoreDep, flt: AuditFilter = Depends(audit_filter)
) -> Response:
    with store.session() as s:
        text = export_audit_log(s, me.actor, flt)
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'},
    )


@router.get(
    "/events/{event_id}",
    response_model=AuditEventOut,
    summary="One audit event with its details",
    responses=READ_ERRORS,
)
def get_event(
    me: CurrentUserDep,
    store: StoreDep,
    event_id: int = Path(ge=1, le=MAX_ID, description="The event's id"),
) -> AuditEventOut:
    with store.session() as s:
        return event_out(read_audit_event(s, me.actor, event_id))


@router.post(
    "/verify",
    response_model=VerifyOut,
    summary="Verify the audit chain and the signed checkpoints (as kizashi audit verify)",
    responses=errors(401, 403, 404, s404=S404),
)
def verify(me: CurrentUserDep, store: StoreDep, settings: SettingsDep) -> VerifyOut:
    found = verify_audit_log(store, me.actor, settings.resolved_audit_checkpoint_dir)
    return VerifyOut(
        intact=found.intact,
        checked=found.checked,
        checkpoints=found.checkpoints,
        problems=[
            ProblemOut(event_id=p.event_id, code=p.code, count=p.count) for p in found.problems
        ],
    )
