"""Consent, owned and run by the business: grants, revocations, requests and 包括同意.

* The business (its ``owner`` users) grants an organisation one or more data categories for
  one purpose and a validity, and revokes any grant at any time (effective at once: the next
  read is refused). The system actor (the instance operator, the demo) may act for it.
* An organisation asks (``do_request_consent``): its reason, the categories, the purpose and
  the validity it wants. The business approves all or part (each approved category becomes a
  grant that names the request) or declines with an optional reason; the requester may
  withdraw while it is pending. A request not answered by ``expires_on`` has expired.
* A bank or the 保証協会 records a consent the business gave on a loan or guarantee
  application (包括同意) with the document's reference; the business sees it beside its own
  grants and can revoke it like any other.

Every write is audited (``audit_write``); a refusal raises ``ConsentRefused`` (a
``PermissionError``) carrying its ``deny`` record, so ``Store.session`` keeps it after the
rollback. A request that cannot be carried out (dates reversed, nothing asked for, a request
no longer pending…) raises ``ConsentError`` (a ``ValueError``) with a stable ``code`` the
pages and the CLI word in the user's language.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizashi.access import Actor
from kizashi.domain.consent import GrantSource, RequestStatus, request_status
from kizashi.domain.vocabulary import Category, OrgKind, Purpose, Role
from kizashi.store.audit import AuditRecord, audit_write
from kizashi.store.models import Business, BusinessLink, ConsentGrant, ConsentRequest, Organisation

MAX_REASON_CHARS = 2000
MAX_DOCUMENT_REF_CHARS = 200
# Kinds of organisation that take loan or guarantee applications (and so record 包括同意).
APPLICATION_KINDS = frozenset({OrgKind.BANK, OrgKind.GUARANTOR})


class ConsentError(ValueError):
    """A consent operation that cannot be carried out; ``code`` names why (stable)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class ConsentRefused(PermissionError):
    """The actor may not do this; carries the ``deny`` audit record (``pending_audit``)."""

    def __init__(self, message: str, record: AuditRecord) -> None:
        super().__init__(message)
        self.pending_audit: AuditRecord | None = record


def _refuse(actor: Actor, action: str, business_id: int | None, why: str, **detail: object):
    record = AuditRecord(
        action=action,
        decision="deny",
        actor_user_id=actor.user_id,
        actor_org_id=actor.org_id,
        business_id=business_id,
        object_type="consent",
        detail={"reason": why, "login": actor.login, **detail},
    )
    return ConsentRefused(why, record)


def _check_business_side(actor: Actor, business: Business, action: str) -> None:
    if actor.is_system:
        return
    if actor.org_id != business.org_id or actor.role != Role.OWNER:
        raise _refuse(
            actor, action, business.id, "only the business itself grants or revokes consent"
        )


def _check_dates(valid_from: date, valid_to: date | None) -> None:
    if valid_to is not None and valid_to < valid_from:
        raise ConsentError("dates", "valid_to is before valid_from")


def _categories(categories: Iterable[Category]) -> list[Category]:
    out = list(dict.fromkeys(Category(c) for c in categories))
    if not out:
        raise ConsentError("no_categories", "no data category given")
    return out


def _add_grants(
    session: Session,
    actor: Actor,
    action: str,
    *,
    business: Business,
    grantee: Organisation,
    categories: list[Category],
    purpose: Purpose,
    valid_from: date,
    valid_to: date | None,
    source: GrantSource,
    document_ref: str | None = None,
    request_id: int | None = None,
) -> list[ConsentGrant]:
    if grantee.id == business.org_id or grantee.kind == OrgKind.BUSINESS:
        raise ConsentError("grantee", "consent is given to an institution, not to a business")
    now = datetime.now(UTC)
    grants = [
        ConsentGrant(
            business_id=business.id,
            grantee_org_id=grantee.id,
            category=category,
            purpose=purpose,
            valid_from=valid_from,
            valid_to=valid_to,
            granted_by_user_id=actor.user_id,
            created_at=now,
            source=source,
            document_ref=document_ref,
            request_id=request_id,
        )
        for category in categories
    ]
    session.add_all(grants)
    session.flush()
    for g in grants:
        audit_write(
            session,
            actor,
            action,
            object_type="consent_grant",
            object_id=g.id,
            business_id=business.id,
            grantee_org_id=grantee.id,
            category=g.category.value,
            purpose=purpose.value,
            valid_from=valid_from.isoformat(),
            valid_to=valid_to.isoformat() if valid_to else None,
            source=source.value,
            **({"document_ref": document_ref} if document_ref else {}),
            **({"request_id": request_id} if request_id else {}),
        )
    return grants


def do_grant_consent(
    session: Session,
    actor: Actor,
    *,
    business: Business,
    grantee: Organisation,
    categories: Iterable[Category],
    purpose: Purpose,
    valid_from: date,
    valid_to: date | None = None,
) -> list[ConsentGrant]:
    """The business lets ``grantee`` see each of ``categories`` for ``purpose`` from
    ``valid_from`` to ``valid_to`` (inclusive; None: until revoked). One grant per category."""
    _check_business_side(actor, business, "grant_consent")
    _check_dates(valid_from, valid_to)
    return _add_grants(
        session,
        actor,
        "grant_consent",
        business=business,
        grantee=grantee,
        categories=_categories(categories),
        purpose=Purpose(purpose),
        valid_from=valid_from,
        valid_to=valid_to,
        source=GrantSource.OWNER,
    )


def do_revoke_consent(session: Session, actor: Actor, *, grant: ConsentGrant) -> ConsentGrant:
    """End a grant now: the next read under it is refused. Revoking twice changes nothing."""
    business = session.get(Business, grant.business_id)
    assert business is not None
    _check_business_side(actor, business, "revoke_consent")
    if grant.revoked_at is None:
        grant.revoked_at = datetime.now(UTC)
        grant.revoked_by_user_id = actor.user_id
        session.flush()
        audit_write(
            session,
            actor,
            "revoke_consent",
            object_type="consent_grant",
            object_id=grant.id,
            business_id=business.id,
            grantee_org_id=grant.grantee_org_id,
            category=grant.category.value,
            purpose=grant.purpose.value,
            source=grant.source.value,
        )
    return grant


def _linked(session: Session, business_id: int, org_id: int) -> bool:
    return (
        session.execute(
            select(BusinessLink.id)
            .where(BusinessLink.business_id == business_id, BusinessLink.org_id == org_id)
            .limit(1)
        ).first()
        is not None
    )


def do_record_application_consent(
    session: Session,
    actor: Actor,
    *,
    business: Business,
    categories: Iterable[Category],
    purpose: Purpose,
    valid_from: date,
    valid_to: date | None,
    document_ref: str,
) -> list[ConsentGrant]:
    """包括同意: an officer of a bank or the 保証協会 linked to the business records the consent
    the business gave on its loan or guarantee application, naming the document. The grants
    are the officer's organisation's; the business sees them and may revoke them."""
    action = "record_application_consent"
    org = session.get(Organisation, actor.org_id) if actor.org_id is not None else None
    if (
        actor.is_system
        or actor.role != Role.OFFICER
        or org is None
        or org.kind not in APPLICATION_KINDS
        or not _linked(session, business.id, org.id)
    ):
        raise _refuse(
            actor,
            action,
            business.id,
            "only an officer of a lender or guarantor linked to the business records 包括同意",
        )
    ref = (document_ref or "").strip()
    if not ref:
        raise ConsentError("document_ref", "the application document's reference is required")
    if len(ref) > MAX_DOCUMENT_REF_CHARS:
        raise ConsentError("document_ref", "the document reference is too long")
    _check_dates(valid_from, valid_to)
    return _add_grants(
        session,
        actor,
        action,
        business=business,
        grantee=org,
        categories=_categories(categories),
        purpose=Purpose(purpose),
        valid_from=valid_from,
        valid_to=valid_to,
        source=GrantSource.APPLICATION,
        document_ref=ref,
    )


def do_request_consent(
    session: Session,
    actor: Actor,
    *,
    business: Business,
    categories: Iterable[Category],
    purpose: Purpose,
    reason: str,
    valid_from: date,
    valid_to: date | None,
    expiry_days: int,
    today: date | None = None,
) -> ConsentRequest:
    """An officer asks the business for consent. The caller has decided that the officer may
    see the business at all (``access.consent.access_business_for_request``)."""
    today = today or date.today()
    if actor.is_system or actor.role != Role.OFFICER or actor.org_id is None:
        raise _refuse(actor, "request_consent", business.id, "only an officer asks for consent")
    if actor.org_id == business.org_id:
        raise ConsentError("grantee", "a business does not ask itself for consent")
    text = (reason or "").strip()
    if not text:
        raise ConsentError("reason", "a request gives its reason")
    if len(text) > MAX_REASON_CHARS:
        raise ConsentError("reason", "the reason is too long")
    _check_dates(valid_from, valid_to)
    cats = _categories(categories)
    req = ConsentRequest(
        business_id=business.id,
        requester_org_id=actor.org_id,
        requested_by_user_id=actor.user_id,
        categories=",".join(c.value for c in cats),
        purpose=Purpose(purpose),
        reason=text,
        valid_from=valid_from,
        valid_to=valid_to,
        status=RequestStatus.PENDING,
        expires_on=today + timedelta(days=expiry_days),
        created_at=datetime.now(UTC),
    )
    session.add(req)
    session.flush()
    audit_write(
        session,
        actor,
        "request_consent",
        object_type="consent_request",
        object_id=req.id,
        business_id=business.id,
        categories=req.categories,
        purpose=req.purpose.value,
        valid_from=valid_from.isoformat(),
        valid_to=valid_to.isoformat() if valid_to else None,
        expires_on=req.expires_on.isoformat(),
    )
    return req


def request_categories(value: str | None) -> list[Category]:
    """The categories a request stores (comma-separated codes)."""
    return [Category(c) for c in (value or "").split(",") if c]


def _check_pending(req: ConsentRequest, today: date) -> None:
    status = request_status(req.status, req.expires_on, today)
    if status == RequestStatus.EXPIRED:
        raise ConsentError("expired", "the request has expired")
    if status != RequestStatus.PENDING:
        raise ConsentError("not_pending", "the request has been answered already")


def do_respond_consent_request(
    session: Session,
    actor: Actor,
    *,
    request: ConsentRequest,
    approve: Iterable[Category],
    note: str | None = None,
    valid_from: date | None = None,
    valid_to: date | None = None,
    today: date | None = None,
) -> list[ConsentGrant]:
    """The business answers: ``approve`` lists the categories it grants (all, some, or none:
    declined); ``note`` its reason, if any. The validity defaults to the one asked for and may
    be changed. Returns the new grants."""
    today = today or date.today()
    business = session.get(Business, request.business_id)
    assert business is not None
    _check_business_side(actor, business, "respond_consent_request")
    _check_pending(request, today)
    asked = request_categories(request.categories)
    chosen = list(dict.fromkeys(Category(c) for c in approve))
    extra = [c for c in chosen if c not in asked]
    if extra:
        raise ConsentError("not_requested", "a category was not asked for")
    text = (note or "").strip() or None
    if text is not None and len(text) > MAX_REASON_CHARS:
        raise ConsentError("reason", "the reason is too long")
    start = valid_from or request.valid_from
    end = valid_to if valid_to is not None else request.valid_to
    _check_dates(start, end)
    grantee = session.get(Organisation, request.requester_org_id)
    assert grantee is not None
    grants: list[ConsentGrant] = []
    if chosen:
        grants = _add_grants(
            session,
            actor,
            "grant_consent",
            business=business,
            grantee=grantee,
            categories=chosen,
            purpose=request.purpose,
            valid_from=start,
            valid_to=end,
            source=GrantSource.REQUEST,
            request_id=request.id,
        )
    if not chosen:
        request.status = RequestStatus.DECLINED
    elif len(chosen) == len(asked):
        request.status = RequestStatus.APPROVED
    else:
        request.status = RequestStatus.PARTLY_APPROVED
    request.responded_at = datetime.now(UTC)
    request.responded_by_user_id = actor.user_id
    request.approved_categories = ",".join(c.value for c in chosen) or None
    request.response_note = text
    session.flush()
    audit_write(
        session,
        actor,
        "respond_consent_request",
        object_type="consent_request",
        object_id=request.id,
        business_id=business.id,
        status=request.status.value,
        approved=request.approved_categories,
        requester_org_id=request.requester_org_id,
        **({"note": text} if text else {}),
    )
    return grants


def do_withdraw_consent_request(
    session: Session, actor: Actor, *, request: ConsentRequest, today: date | None = None
) -> ConsentRequest:
    """The requesting organisation withdraws its pending request."""
    today = today or date.today()
    if actor.is_system or actor.role != Role.OFFICER or actor.org_id != request.requester_org_id:
        raise _refuse(
            actor,
            "withdraw_consent_request",
            request.business_id,
            "only the requesting organisation withdraws its request",
        )
    _check_pending(request, today)
    request.status = RequestStatus.WITHDRAWN
    request.responded_at = datetime.now(UTC)
    request.responded_by_user_id = actor.user_id
    session.flush()
    audit_write(
        session,
        actor,
        "withdraw_consent_request",
        object_type="consent_request",
        object_id=request.id,
        business_id=request.business_id,
    )
    return request
