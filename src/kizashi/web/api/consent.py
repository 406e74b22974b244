"""Consent under ``/api/v1``: the business grants, revokes and answers requests and sees who
looked; an institution asks, withdraws, records a 包括同意 and sees what it holds.

Who may do what is decided by ``access.consent`` and ``actions.consent``: a grant, request or
business the user may not act on is the same 404 as one that does not exist (audited as a
denial). A well-formed request the current state does not allow (answered already, expired,
a category that was not asked for, an end date before the start) is 409. Every change is
audited as the user's.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from kizashi.access.consent import (
    GrantView,
    LookView,
    RequestView,
    access_business_for_request,
    business_for_owner,
    grant_for_owner,
    organisations_to_grant,
    own_business_id,
    read_business_consents,
    read_organisation_consents,
    request_for_owner,
    request_for_requester,
    who_looked,
)
from kizashi.actions.consent import (
    MAX_DOCUMENT_REF_CHARS,
    MAX_REASON_CHARS,
    ConsentError,
    ConsentRefused,
    do_grant_consent,
    do_record_application_consent,
    do_request_consent,
    do_respond_consent_request,
    do_revoke_consent,
    do_withdraw_consent_request,
)
from kizashi.domain.consent import GrantSource, GrantStanding, RequestStatus
from kizashi.domain.vocabulary import Category, OrgKind, Purpose, Role
from kizashi.store.db import Store
from kizashi.store.errors import NotFound
from kizashi.store.models import Organisation

from ..auth import CurrentUser
from ..deps import CurrentUserDep, SettingsDep, StoreDep
from .contract import (
    MAX_ID,
    NO_NUL,
    NON_BLANK,
    READ,
    WRITE,
    ApiRoute,
    BusinessId,
    IsoDate,
    UtcDateTime,
    errors,
)

router = APIRouter(prefix="/api/v1", tags=["consent"], route_class=ApiRoute)


GrantId = Path(ge=1, le=MAX_ID, description="The consent grant's id")
RequestId = Path(ge=1, le=MAX_ID, description="The consent request's id")
S404 = "No such object, or not one this user may act on (the same answer)"
S409 = (
    "Not allowed now: the request was answered or has expired, a category was not asked for, "
    "the end date is before the start, or the grantee is a business"
)
READ_ERRORS = errors(*READ, 404, s404=S404)
WRITE_ERRORS = errors(*WRITE, 404, 409, s404=S404, s409=S409)
Categories = Field(
    min_length=1,
    max_length=len(Category),
    description="Data categories (each becomes one grant)",
)


class GrantOut(BaseModel):
    id: int
    business_id: int
    business_name: str
    organisation_id: int
    organisation_name: str
    organisation_kind: OrgKind
    category: Category
    purpose: Purpose
    valid_from: date
    valid_to: date | None = Field(description="Last day of validity (inclusive); null: no end")
    revoked_at: UtcDateTime | None
    standing: GrantStanding = Field(
        description="active, ending_soon (within 30 days), not_yet, expired or revoked"
    )
    source: GrantSource = Field(
        description="owner (granted), request (an approved request) or application (包括同意)"
    )
    document_ref: str | None = Field(description="The application document (包括同意)")
    from_request: int | None = Field(description="The consent request this grant approved")
    granted_by: str | None = Field(description="The person who granted or recorded it")
    created_at: UtcDateTime


class RequestOut(BaseModel):
    id: int
    business_id: int
    business_name: str
    organisation_id: int = Field(description="The requesting organisation")
    organisation_name: str
    organisation_kind: OrgKind
    requested_by: str | None
    categories: list[Category]
    approved: list[Category] = Field(description="What the business approved (empty: none)")
    purpose: Purpose
    reason: str
    valid_from: date
    valid_to: date | None
    status: RequestStatus
    expires_on: date = Field(description="Pending after this day, the request has expired")
    created_at: UtcDateTime
    responded_at: UtcDateTime | None
    note: str | None = Field(description="The business's reason, if it gave one")


class ConsentsOut(BaseModel):
    grants: list[GrantOut]
    requests: list[RequestOut]


class LookOut(BaseModel):
    at: UtcDateTime
    organisation_name: str
    organisation_kind: OrgKind | None
    person: str
    action: str = Field(description="The audit log's action, e.g. read_business_page")
    categories: list[str]
    purpose: Purpose | None
    refused: bool


class OrganisationOut(BaseModel):
    id: int
    code: str
    name: str
    kind: OrgKind


class GrantIn(BaseModel):
    organisation_id: int = Field(ge=1, le=MAX_ID, description="The institution consented to")
    categories: list[Category] = Categories
    purpose: Purpose
    valid_from: IsoDate | None = Field(None, description="First day (default: today)")
    valid_to: IsoDate | None = Field(None, description="Last day, inclusive (default: no end)")


class RequestIn(BaseModel):
    categories: list[Category] = Categories
    purpose: Purpose
    reason: str = Field(
        max_length=MAX_REASON_CHARS, pattern=NON_BLANK, description="Shown to the business"
    )
    valid_from: IsoDate | None = Field(None, description="First day wanted (default: today)")
    valid_to: IsoDate | None = Field(None, description="Last day wanted (default: no end)")


class ApplicationConsentIn(BaseModel):
    categories: list[Category] = Categories
    purpose: Purpose
    document_ref: str = Field(
        max_length=MAX_DOCUMENT_REF_CHARS,
        pattern=NON_BLANK,
        description="The application document the consent was given on (number, name)",
    )
    valid_from: IsoDate | None = None
    valid_to: IsoDate | None = None


class RespondIn(BaseModel):
    approve: list[Category] = Field(
        max_length=len(Category),
        description="Categories approved (all asked for, some, or none: declined)",
    )
    note: str | None = Field(
        None, max_length=MAX_REASON_CHARS, pattern=NO_NUL, description="Optional reason"
    )
    valid_to: IsoDate | None = Field(None, description="Last day (default: the one asked for)")


def grant_out(g: GrantView) -> GrantOut:
    return GrantOut(
        id=g.id,
        business_id=g.business_id,
        business_name=g.business_name,
        organisation_id=g.grantee_org_id,
        organisation_name=g.grantee_name,
        organisation_kind=g.grantee_kind,
        category=g.category,
        purpose=g.purpose,
        valid_from=g.valid_from,
        valid_to=g.valid_to,
        revoked_at=g.revoked_at,
        standing=g.standing,
        source=g.source,
        document_ref=g.document_ref,
        from_request=g.request_id,
        granted_by=g.granted_by,
        created_at=g.created_at,
    )


def request_out(r: RequestView) -> RequestOut:
    return RequestOut(
        id=r.id,
        business_id=r.business_id,
        business_name=r.business_name,
        organisation_id=r.requester_org_id,
        organisation_name=r.requester_name,
        organisation_kind=r.requester_kind,
        requested_by=r.requested_by,
        categories=list(r.categories),
        approved=list(r.approved),
        purpose=r.purpose,
        reason=r.reason,
        valid_from=r.valid_from,
        valid_to=r.valid_to,
        status=r.status,
        expires_on=r.expires_on,
        created_at=r.created_at,
        responded_at=r.responded_at,
        note=r.note,
    )


def look_out(x: LookView) -> LookOut:
    return LookOut(
        at=x.at,
        organisation_name=x.org_name,
        organisation_kind=x.org_kind,
        person=x.person,
        action=x.action,
        categories=list(x.categories),
        purpose=x.purpose,
        refused=x.refused,
    )


def _refusal(exc: Exception) -> HTTPException:
    if isinstance(exc, ConsentError):
        return HTTPException(409, f"{exc.code}: {exc}")
    return HTTPException(404, "not found")


def _grant_views(store: Store, me: CurrentUser, ids: list[int]) -> list[GrantOut]:
    with store.session() as s:
        view = read_business_consents(s, me.actor, _own_business(s, me))
    return [grant_out(g) for g in view.grants if g.id in ids]


def _own_business(s: Session, me: CurrentUser) -> int:
    bid = own_business_id(s, me.actor)
    if bid is None:
        raise NotFound("no business")
    return bid


@router.get(
    "/businesses/{business_id}/consents",
    response_model=ConsentsOut,
    summary="The business's consents and the requests it received (the business only)",
    responses=READ_ERRORS,
)
def business_consents(me: CurrentUserDep, store: StoreDep, business_id: BusinessId) -> ConsentsOut:
    with store.session() as s:
        view = read_business_consents(s, me.actor, business_id)
    return ConsentsOut(
        grants=[grant_out(g) for g in view.grants],
        requests=[request_out(r) for r in view.requests],
    )


@router.post(
    "/businesses/{business_id}/consents",
    response_model=list[GrantOut],
    status_code=201,
    summary="Grant an institution consent (the business only; one grant per category)",
    responses=WRITE_ERRORS,
)
def grant_consent(
    me: CurrentUserDep,
    store: StoreDep,
    business_id: BusinessId,
    body: GrantIn,
) -> list[GrantOut]:
    try:
        with store.session() as s:
            business = business_for_owner(s, me.actor, business_id, "grant_consent")
            grantee = s.get(Organisation, body.organisation_id)
            if grantee is None:
                raise NotFound("no such organisation")
            grants = do_grant_consent(
                s,
                me.actor,
                business=business,
                grantee=grantee,
                categories=body.categories,
                purpose=body.purpose,
                valid_from=body.valid_from or date.today(),
                valid_to=body.valid_to,
            )
            ids = [g.id for g in grants]
    except (ConsentError, ConsentRefused) as exc:
        raise _refusal(exc) from None
    return _grant_views(store, me, ids)


@router.post(
    "/consents/{grant_id}/revoke",
    response_model=GrantOut,
    summary="Revoke a consent grant now (the business only); the next read is refused",
    responses=WRITE_ERRORS,
)
def revoke_consent(me: CurrentUserDep, store: StoreDep, grant_id: int = GrantId) -> GrantOut:
    try:
        with store.session() as s:
            do_revoke_consent(s, me.actor, grant=grant_for_owner(s, me.actor, grant_id))
    except (ConsentError, ConsentRefused) as exc:
        raise _refusal(exc) from None
    return _grant_views(store, me, [grant_id])[0]


@router.get(
    "/consents",
    response_model=ConsentsOut,
    summary="The consents the user's organisation holds and the requests it sent (officers)",
    responses=errors(*READ),
)
def organisation_consents(
    me: CurrentUserDep,
    store: StoreDep,
    business_id: int | None = Query(None, ge=1, le=MAX_ID, description="Only this business"),
) -> ConsentsOut:
    with store.session() as s:
        view = read_organisation_consents(s, me.actor, business_id=business_id)
    return ConsentsOut(
        grants=[grant_out(g) for g in view.grants],
        requests=[request_out(r) for r in view.requests],
    )


@router.post(
    "/businesses/{business_id}/consent-requests",
    response_model=RequestOut,
    status_code=201,
    summary="Ask the business for consent (an officer of an organisation that knows it)",
    responses=WRITE_ERRORS,
)
def request_consent(
    me: CurrentUserDep,
    store: StoreDep,
    settings: SettingsDep,
    business_id: BusinessId,
    body: RequestIn,
) -> RequestOut:
    try:
        with store.session() as s:
            business = access_business_for_request(s, me.actor, business_id)
            req = do_request_consent(
                s,
                me.actor,
                business=business,
                categories=body.categories,
                purpose=body.purpose,
                reason=body.reason,
                valid_from=body.valid_from or date.today(),
                valid_to=body.valid_to,
                expiry_days=settings.consent_request_days,
            )
            rid = req.id
    except (ConsentError, ConsentRefused) as exc:
        raise _refusal(exc) from None
    return _request_view(store, me, rid)


def _request_view(store: Store, me: CurrentUser, rid: int) -> RequestOut:
    with store.session() as s:
        if me.actor.role == Role.OWNER:
            view = read_business_consents(s, me.actor, _own_business(s, me))
        else:
            view = read_organisation_consents(s, me.actor)
    return next(request_out(r) for r in view.requests if r.id == rid)


@router.post(
    "/consent-requests/{request_id}/respond",
    response_model=RequestOut,
    summary="Answer a consent request: approve all, part (some categories) or none (decline)",
    responses=WRITE_ERRORS,
)
def respond_consent_request(
    me: CurrentUserDep,
    store: StoreDep,
    body: RespondIn,
    request_id: int = RequestId,
) -> RequestOut:
    try:
        with store.session() as s:
            req = request_for_owner(s, me.actor, request_id)
            do_respond_consent_request(
                s,
                me.actor,
                request=req,
                approve=body.approve,
                note=body.note,
                valid_to=body.valid_to,
            )
    except (ConsentError, ConsentRefused) as exc:
        raise _refusal(exc) from None
    return _request_view(store, me, request_id)


@router.post(
    "/consent-requests/{request_id}/withdraw",
    response_model=RequestOut,
    summary="Withdraw a pending consent request (the requesting organisation)",
    responses=WRITE_ERRORS,
)
def withdraw_consent_request(
    me: CurrentUserDep, store: StoreDep, request_id: int = RequestId
) -> RequestOut:
    try:
        with store.session() as s:
            req = request_for_requester(s, me.actor, request_id)
            do_withdraw_consent_request(s, me.actor, request=req)
    except (ConsentError, ConsentRefused) as exc:
        raise _refusal(exc) from None
    return _request_view(store, me, request_id)


@router.post(
    "/businesses/{business_id}/application-consents",
    response_model=list[GrantOut],
    status_code=201,
    summary="Record a 包括同意 given on a loan or guarantee application (a linked lender or "
    "guarantor), with the document's reference",
    responses=WRITE_ERRORS,
)
def record_application_consent(
    me: CurrentUserDep,
    store: StoreDep,
    business_id: BusinessId,
    body: ApplicationConsentIn,
) -> list[GrantOut]:
    try:
        with store.session() as s:
            business = access_business_for_request(
                s, me.actor, business_id, action="record_application_consent"
            )
            grants = do_record_application_consent(
                s,
                me.actor,
                business=business,
                categories=body.categories,
                purpose=body.purpose,
                valid_from=body.valid_from or date.today(),
                valid_to=body.valid_to,
                document_ref=body.document_ref,
            )
            ids = {g.id for g in grants}
        with store.session() as s:
            view = read_organisation_consents(s, me.actor, business_id=business_id)
    except (ConsentError, ConsentRefused) as exc:
        raise _refusal(exc) from None
    return [grant_out(g) for g in view.grants if g.id in ids]


@router.get(
    "/businesses/{business_id}/access-log",
    response_model=list[LookOut],
    summary="Who looked: other organisations' reads of the business, newest first (the "
    "business only)",
    responses=READ_ERRORS,
)
def access_log(
    me: CurrentUserDep,
    store: StoreDep,
    business_id: BusinessId,
    since: IsoDate | None = Query(None, description="Only reads on or after this day"),
    limit: int = Query(100, ge=1, le=1000),
) -> list[LookOut]:
    with store.session() as s:
        looks = who_looked(s, me.actor, business_id, since=since, limit=limit)
    return [look_out(x) for x in looks]


@router.get(
    "/consent-grantees",
    response_model=list[OrganisationOut],
    summary="The institutions a business may grant consent to",
    responses=errors(*READ),
)
def consent_grantees(me: CurrentUserDep, store: StoreDep) -> list[OrganisationOut]:
    with store.session() as s:
        return [
            OrganisationOut(id=i, code=c, name=n, kind=k)
            for i, n, k, c in organisations_to_grant(s)
        ]
