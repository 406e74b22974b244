"""Consent as its two sides see it: the business's grants, requests and "who looked", and an
organisation's own grants and requests.

* The business (``owner`` role, its own business only) sees every grant it gave or that was
  recorded for it (包括同意), every request it received, and who looked at its data: the
  audit log's reads of the business by other organisations (organisation, person, what, for
  which purpose, when, and whether it was refused). Each of these is one audited read.
* An organisation's officer sees the grants its organisation holds and the requests it sent,
  with their outcome. The business page's consent section shows the same for one business.
* Gates for the writes (``grant_for_owner``, ``request_for_owner``, ``request_for_requester``,
  ``access_business_for_request``): missing and forbidden are the same ``NotFound``, audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from kizashi.domain.consent import (
    GrantSource,
    GrantStanding,
    RequestStatus,
    grant_standing,
    request_status,
)
from kizashi.domain.vocabulary import Category, OrgKind, Purpose, Role
from kizashi.store.audit import AuditRecord, append_audit
from kizashi.store.errors import NotFound
from kizashi.store.models import (
    AuditEvent,
    Business,
    ConsentGrant,
    ConsentRequest,
    Organisation,
    User,
)

from .actor import Actor
from .rule import knows_condition

LIVE = frozenset({GrantStanding.ACTIVE, GrantStanding.ENDING_SOON, GrantStanding.NOT_YET})


@dataclass(frozen=True)
class GrantView:
    id: int
    business_id: int
    business_name: str
    grantee_org_id: int
    grantee_name: str
    grantee_kind: OrgKind
    category: Category
    purpose: Purpose
    valid_from: date
    valid_to: date | None
    revoked_at: datetime | None
    standing: GrantStanding
    source: GrantSource
    document_ref: str | None
    request_id: int | None
    granted_by: str | None  # the person who granted or recorded it
    created_at: datetime

    @property
    def live(self) -> bool:
        return self.standing in LIVE


@dataclass(frozen=True)
class RequestView:
    id: int
    business_id: int
    business_name: str
    requester_org_id: int
    requester_name: str
    requester_kind: OrgKind
    requested_by: str | None
    categories: tuple[Category, ...]
    approved: tuple[Category, ...]
    purpose: Purpose
    reason: str
    valid_from: date
    valid_to: date | None
    status: RequestStatus
    expires_on: date
    created_at: datetime
    responded_at: datetime | None
    note: str | None

    @property
    def pending(self) -> bool:
        return self.status == RequestStatus.PENDING


@dataclass(frozen=True)
class LookView:
    """One read of the business's data by another organisation (from the audit log)."""

    at: datetime
    org_name: str
    org_kind: OrgKind | None
    person: str
    action: str
    categories: tuple[str, ...]  # category codes (a page read names several)
    purpose: Purpose | None
    refused: bool


@dataclass(frozen=True)
class ConsentOverview:
    grants: list[GrantView]
    requests: list[RequestView]

    def live_grants(self) -> list[GrantView]:
        return [g for g in self.grants if g.live]

    def past_grants(self) -> list[GrantView]:
        return [g for g in self.grants if not g.live]

    def pending_requests(self) -> list[RequestView]:
        return [r for r in self.requests if r.pending]

    def answered_requests(self) -> list[RequestView]:
        return [r for r in self.requests if not r.pending]

    def ending_soon(self) -> list[GrantView]:
        return [g for g in self.grants if g.standing == GrantStanding.ENDING_SOON]


def _categories(value: str | None) -> tuple[Category, ...]:
    out = []
    for code in (value or "").split(","):
        try:
            out.append(Category(code))
        except ValueError:
            continue
    return tuple(out)


def _record(actor: Actor, action: str, business_id: int | None, allowed: bool, why: str):
    return AuditRecord(
        action=action,
        decision="allow" if allowed else "deny",
        actor_user_id=actor.user_id,
        actor_org_id=actor.org_id,
        business_id=business_id,
        object_type="consent",
        object_id=str(business_id) if business_id is not None else None,
        detail={"reason": why, "login": actor.login},
    )


def business_for_owner(
    session: Session, actor: Actor, business_id: int, action: str, *, audit: bool = True
) -> Business:
    """The business, if ``actor`` is an owner of it; else NotFound (audited either way, unless
    ``audit`` is False: a section of a page whose read is audited already)."""
    business = session.get(Business, business_id)
    ok = (
        business is not None
        and not actor.is_system
        and actor.role == Role.OWNER
        and actor.org_id == business.org_id
    )
    record = _record(actor, action, business_id, ok, "own business" if ok else "not its owner")
    if not ok:
        raise NotFound(f"business {business_id} not found", pending_audit=record)
    if audit:
        append_audit(session, record)
    assert business is not None
    return business


def own_business_id(session: Session, actor: Actor) -> int | None:
    """An owner's business (their organisation's), else None."""
    if actor.is_system or actor.role != Role.OWNER or actor.org_id is None:
        return None
    return session.execute(
        select(Business.id).where(Business.org_id == actor.org_id)
    ).scalar_one_or_none()


def _grant_views(session: Session, *where: Any, today: date) -> list[GrantView]:
    grantee = aliased(Organisation)
    rows = session.execute(
        select(ConsentGrant, Business.name, grantee.name, grantee.kind, User.display_name)
        .join(Business, Business.id == ConsentGrant.business_id)
        .join(grantee, grantee.id == ConsentGrant.grantee_org_id)
        .outerjoin(User, User.id == ConsentGrant.granted_by_user_id)
        .where(*where)
        .order_by(Business.name, grantee.name, ConsentGrant.purpose, ConsentGrant.id)
    ).all()
    return [
        GrantView(
            id=g.id,
            business_id=g.business_id,
            business_name=bname,
            grantee_org_id=g.grantee_org_id,
            grantee_name=gname,
            grantee_kind=OrgKind(gkind),
            category=Category(g.category),
            purpose=Purpose(g.purpose),
            valid_from=g.valid_from,
            valid_to=g.valid_to,
            revoked_at=g.revoked_at,
            standing=grant_standing(g.valid_from, g.valid_to, g.revoked_at is not None, today),
            source=GrantSource(g.source),
            document_ref=g.document_ref,
            request_id=g.request_id,
            granted_by=person,
            created_at=g.created_at,
        )
        for g, bname, gname, gkind, person in rows
    ]


def _request_views(session: Session, *where: Any, today: date) -> list[RequestView]:
    requester = aliased(Organisation)
    rows = session.execute(
        select(ConsentRequest, Business.name, requester.name, requester.kind, User.display_name)
        .join(Business, Business.id == ConsentRequest.business_id)
        .join(requester, requester.id == ConsentRequest.requester_org_id)
        .outerjoin(User, User.id == ConsentRequest.requested_by_user_id)
        .where(*where)
        .order_by(ConsentRequest.created_at.desc(), ConsentRequest.id.desc())
    ).all()
    return [
        RequestView(
            id=r.id,
            business_id=r.business_id,
            business_name=bname,
            requester_org_id=r.requester_org_id,
            requester_name=rname,
            requester_kind=OrgKind(rkind),
            requested_by=person,
            categories=_categories(r.categories),
            approved=_categories(r.approved_categories),
            purpose=Purpose(r.purpose),
            reason=r.reason,
            valid_from=r.valid_from,
            valid_to=r.valid_to,
            status=request_status(RequestStatus(r.status), r.expires_on, today),
            expires_on=r.expires_on,
            created_at=r.created_at,
            responded_at=r.responded_at,
            note=r.response_note,
        )
        for r, bname, rname, rkind, person in rows
    ]


def read_business_consents(
    session: Session,
    actor: Actor,
    business_id: int,
    *,
    today: date | None = None,
    audit: bool = True,
) -> ConsentOverview:
    """The business's side: every grant (live and past) and every request it received."""
    today = today or date.today()
    business_for_owner(session, actor, business_id, "read_consents", audit=audit)
    return ConsentOverview(
        _grant_views(session, ConsentGrant.business_id == business_id, today=today),
        _request_views(session, ConsentRequest.business_id == business_id, today=today),
    )


def read_organisation_consents(
    session: Session,
    actor: Actor,
    *,
    business_id: int | None = None,
    today: date | None = None,
    audit: bool = True,
) -> ConsentOverview:
    """An organisation's side: the grants it holds and the requests it sent (one business or
    all). Officers only; anyone else gets nothing. Audited as one listing unless ``audit`` is
    False (the business page's section, whose page read is audited already)."""
    today = today or date.today()
    if actor.is_system or actor.role != Role.OFFICER or actor.org_id is None:
        return ConsentOverview([], [])
    g_where: list[Any] = [ConsentGrant.grantee_org_id == actor.org_id]
    r_where: list[Any] = [ConsentRequest.requester_org_id == actor.org_id]
    if business_id is not None:
        g_where.append(ConsentGrant.business_id == business_id)
        r_where.append(ConsentRequest.business_id == business_id)
    out = ConsentOverview(
        _grant_views(session, *g_where, today=today),
        _request_views(session, *r_where, today=today),
    )
    if audit:
        append_audit(
            session,
            AuditRecord(
                action="list_consents",
                decision="allow",
                actor_user_id=actor.user_id,
                actor_org_id=actor.org_id,
                business_id=business_id,
                object_type="consent",
                detail={
                    "grants": len(out.grants),
                    "requests": len(out.requests),
                    "login": actor.login,
                },
            ),
        )
    return out


def who_looked(
    session: Session,
    actor: Actor,
    business_id: int,
    *,
    since: date | None = None,
    limit: int = 200,
) -> list[LookView]:
    """Other organisations' reads of the business (allowed and refused), newest first, from
    the audit log. The business's own reads and the system's are left out."""
    business = business_for_owner(session, actor, business_id, "read_access_log")
    org = aliased(Organisation)
    stmt = (
        select(AuditEvent, org.name, org.kind, User.display_name)
        .outerjoin(org, org.id == AuditEvent.actor_org_id)
        .outerjoin(User, User.id == AuditEvent.actor_user_id)
        .where(
            AuditEvent.business_id == business.id,
            AuditEvent.decision.in_(("allow", "deny")),
            AuditEvent.actor_org_id.is_not(None),
            AuditEvent.actor_org_id != business.org_id,
            # the consent process itself (asking, recording) shows in the requests and grants
            or_(AuditEvent.object_type.is_(None), AuditEvent.object_type != "consent"),
        )
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )
    if since is not None:
        stmt = stmt.where(AuditEvent.at >= datetime.combine(since, datetime.min.time()))
    out = []
    for ev, oname, okind, person in session.execute(stmt).all():
        purpose = None
        if ev.purpose:
            try:
                purpose = Purpose(ev.purpose)
            except ValueError:
                purpose = None
        out.append(
            LookView(
                at=ev.at,
                org_name=oname or "",
                org_kind=OrgKind(okind) if okind else None,
                person=person or "",
                action=ev.action,
                categories=tuple(c for c in (ev.category or "").split(",") if c),
                purpose=purpose,
                refused=ev.decision == "deny",
            )
        )
    return out


def _gate_object(
    session: Session, actor: Actor, action: str, business_id: int | None, ok: bool, what: str
) -> None:
    record = _record(actor, action, business_id, ok, "allowed" if ok else f"not visible: {what}")
    if not ok:
        raise NotFound(f"{what} not found", pending_audit=record)


def grant_for_owner(session: Session, actor: Actor, grant_id: int) -> ConsentGrant:
    """A grant of the actor's own business (the owner revokes it); else NotFound, audited."""
    grant = session.get(ConsentGrant, grant_id)
    business = session.get(Business, grant.business_id) if grant else None
    ok = (
        business is not None
        and actor.role == Role.OWNER
        and not actor.is_system
        and actor.org_id == business.org_id
    )
    _gate_object(session, actor, "revoke_consent", business.id if business else None, ok, "grant")
    assert grant is not None
    return grant


def request_for_owner(session: Session, actor: Actor, request_id: int) -> ConsentRequest:
    """A request the actor's business received; else NotFound, audited."""
    req = session.get(ConsentRequest, request_id)
    business = session.get(Business, req.business_id) if req else None
    ok = (
        business is not None
        and actor.role == Role.OWNER
        and not actor.is_system
        and actor.org_id == business.org_id
    )
    _gate_object(
        session,
        actor,
        "respond_consent_request",
        business.id if business else None,
        ok,
        "consent request",
    )
    assert req is not None
    return req


def request_for_requester(session: Session, actor: Actor, request_id: int) -> ConsentRequest:
    """A request the actor's organisation sent; else NotFound, audited."""
    req = session.get(ConsentRequest, request_id)
    ok = (
        req is not None
        and actor.role == Role.OFFICER
        and not actor.is_system
        and actor.org_id == req.requester_org_id
    )
    _gate_object(
        session,
        actor,
        "withdraw_consent_request",
        req.business_id if req else None,
        ok,
        "consent request",
    )
    assert req is not None
    return req


def may_ask(session: Session, actor: Actor, business: Business | None, today: date) -> bool:
    """May ``actor`` ask the business for consent (or record a 包括同意)? An officer of an
    organisation that knows the business: what the consent rule lets it read something of for
    some purpose (``access.rule.knows_condition``): linked to it, lender or guarantor of a loan
    to it, or holding a live grant from it. Never the business's own organisation."""
    if business is None or actor.role != Role.OFFICER:
        return False
    known = session.execute(
        select(Business.id).where(Business.id == business.id, knows_condition(actor, today))
    ).first()
    return known is not None


def may_ask_about(session: Session, actor: Actor, business_id: int) -> bool:
    """``may_ask`` by the business's id (the business page's section: whether to offer the
    forms; the requests themselves go through ``access_business_for_request``)."""
    return may_ask(session, actor, session.get(Business, business_id), date.today())


def access_business_for_request(
    session: Session,
    actor: Actor,
    business_id: int,
    *,
    action: str = "request_consent",
    today: date | None = None,
) -> Business:
    """The business, if ``actor`` may ask it for consent (``may_ask``); else NotFound. The
    decision is audited either way."""
    today = today or date.today()
    business = session.get(Business, business_id)
    ok = may_ask(session, actor, business, today)
    record = _record(actor, action, business_id, ok, "known" if ok else "not visible")
    if not ok:
        raise NotFound(f"business {business_id} not found", pending_audit=record)
    append_audit(session, record)
    assert business is not None
    return business


def organisations_to_grant(session: Session) -> list[tuple[int, str, OrgKind, str]]:
    """The institutions a business may grant consent to: (id, name, kind, code)."""
    rows = session.execute(
        select(Organisation.id, Organisation.name, Organisation.kind, Organisation.code)
        .where(Organisation.kind != OrgKind.BUSINESS)
        .order_by(Organisation.kind, Organisation.name)
    ).all()
    return [(i, n, OrgKind(k), c) for i, n, k, c in rows]


def ending_within(grants: list[GrantView], today: date, days: int) -> list[GrantView]:
    limit = today + timedelta(days=days)
    return [g for g in grants if g.live and g.valid_to is not None and today <= g.valid_to <= limit]
