"""The access policy: one place decides every read of a business's data.

Rules, in order (tests/access/test_policy.py covers each branch):

1. Only the roles ``owner`` (in the business's own organisation) and ``officer`` (in another
   organisation) read business data; ``admin`` and ``auditor`` never do; nor does the
   system actor.
2. A business's own organisation (owner role) sees all of its own data.
3. Another organisation needs an active consent grant from the business for that
   organisation, that data category and that purpose: valid_from ≤ today ≤ valid_to
   (if any) and not revoked.
4. Two narrow exceptions, both about data the organisation itself supplied: it sees the
   ``profile`` of a business it is linked to (lender, guarantor, advisor, registrar), and the
   ``loans`` it is itself lender or guarantor of (``access_loans_by_business``).

Missing and forbidden give the same ``NotFound``. Every decision is audited: on its own, or
within a request's one event (``read_log.collect_reads``; a denial is always its own event).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Exists, Select, and_, exists, false, or_, select
from sqlalchemy.orm import Session

from kizashi.domain.vocabulary import Category, Purpose, Role
from kizashi.store.audit import AuditRecord, append_audit
from kizashi.store.errors import NotFound
from kizashi.store.models import Business, BusinessLink, ConsentGrant, Loan

from .actor import Actor
from .read_log import ReadLog, current_read_log

DATA_ROLES = frozenset({Role.OWNER, Role.OFFICER})


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str


def _active_grant_clause(
    org_id: int, category: Category, purpose: Purpose, today: date
) -> ColumnElement[bool]:
    return and_(
        ConsentGrant.grantee_org_id == org_id,
        ConsentGrant.category == category,
        ConsentGrant.purpose == purpose,
        ConsentGrant.valid_from <= today,
        or_(ConsentGrant.valid_to.is_(None), ConsentGrant.valid_to >= today),
        ConsentGrant.revoked_at.is_(None),
    )


def _linked_clause(org_id: int) -> Exists:
    return exists().where(BusinessLink.business_id == Business.id, BusinessLink.org_id == org_id)


def _active_grant(
    session: Session,
    business_id: int,
    org_id: int,
    category: Category,
    purpose: Purpose,
    today: date,
) -> int | None:
    """The id of an active grant of ``category`` for ``purpose`` from the business to the
    organisation, or None. Inside a request's read log, the organisation's active grants for
    the business are read once (one query instead of one per section)."""
    log = current_read_log(session)
    if log is None or today != date.today():
        return session.execute(
            select(ConsentGrant.id)
            .where(ConsentGrant.business_id == business_id)
            .where(_active_grant_clause(org_id, category, purpose, today))
            .limit(1)
        ).scalar_one_or_none()
    return _request_grants(session, log, business_id, org_id, today).get((category, purpose))


def _request_grants(
    session: Session, log: ReadLog, business_id: int, org_id: int, today: date
) -> dict[tuple[Category, Purpose], int]:
    """The organisation's active grants for the business, read once per request's log."""
    key = (business_id, org_id)
    grants = log.grants.get(key)
    if grants is None:
        grants = {}
        rows = session.execute(
            select(ConsentGrant.id, ConsentGrant.category, ConsentGrant.purpose)
            .where(
                ConsentGrant.business_id == business_id,
                ConsentGrant.grantee_org_id == org_id,
                ConsentGrant.valid_from <= today,
                or_(ConsentGrant.valid_to.is_(None), ConsentGrant.valid_to >= today),
                ConsentGrant.revoked_at.is_(None),
            )
            .order_by(ConsentGrant.id)
        )
        for grant_id, cat, purp in rows:
            grants.setdefault((Category(cat), Purpose(purp)), grant_id)
        log.grants[key] = grants
    return grants


def decide(
    session: Session,
    actor: Actor,
    business: Business | None,
    category: Category,
    purpose: Purpose,
    today: date | None = None,
) -> Decision:
    """Pure decision (no audit): may ``actor`` read ``category`` of ``business`` for ``purpose``?"""
    today = today or date.today()
    if business is None:
        return Decision(False, "no such business")
    if actor.is_system or actor.role not in DATA_ROLES or actor.org_id is None:
        return Decision(False, f"role {actor.role or 'system'} reads no business data")
    if actor.org_id == business.org_id:
        if actor.role == Role.OWNER:
            return Decision(True, "own business")
        return Decision(False, "role officer in the business's own organisation")
    if actor.role == Role.OWNER:
        return Decision(False, "an owner sees only their own business")
    grant = _active_grant(session, business.id, actor.org_id, category, purpose, today)
    if grant is not None:
        return Decision(True, f"consent grant {grant}")
    if category in (Category.PROFILE, Category.LOANS):
        linked = session.execute(
            select(BusinessLink.relation)
            .where(BusinessLink.business_id == business.id, BusinessLink.org_id == actor.org_id)
            .limit(1)
        ).scalar_one_or_none()
        if linked is not None and category == Category.PROFILE:
            return Decision(True, f"linked as {linked}")
        if category == Category.LOANS:
            own = session.execute(
                select(Loan.id)
                .where(
                    Loan.business_id == business.id,
                    or_(Loan.lender_org_id == actor.org_id, Loan.guarantor_org_id == actor.org_id),
                )
                .limit(1)
            ).scalar_one_or_none()
            if own is not None:
                return Decision(True, "own loans only")
    return Decision(False, "no active consent")


def _record(
    actor: Actor,
    business_id: int | None,
    category: Category,
    purpose: Purpose,
    decision: Decision,
    action: str,
) -> AuditRecord:
    return AuditRecord(
        action=action,
        decision="allow" if decision.allowed else "deny",
        actor_user_id=actor.user_id,
        actor_org_id=actor.org_id,
        business_id=business_id,
        category=category.value,
        purpose=purpose.value,
        object_type="business",
        object_id=str(business_id) if business_id is not None else None,
        detail={"reason": decision.reason, "login": actor.login},
    )


def access_business_by_id(
    session: Session,
    actor: Actor,
    business_id: int,
    category: Category,
    purpose: Purpose,
    *,
    action: str = "read",
    today: date | None = None,
) -> Business:
    """The business, if ``actor`` may read ``category`` of it for ``purpose``; else NotFound.

    The decision is audited either way (a denial survives the caller's rollback). Inside
    ``collect_reads`` an allowed read joins the request's one event (``read_log``).
    """
    log = current_read_log(session)
    key = (business_id, category, purpose)
    if log is not None and today is None and key in log.decisions:
        business, decision = log.decisions[key]  # asked already in this request
    else:
        business = session.get(Business, business_id)
        decision = decide(session, actor, business, category, purpose, today)
        if log is not None and today is None:
            log.decisions[key] = (business, decision)
    record = _record(actor, business_id, category, purpose, decision, action)
    if not decision.allowed:
        raise NotFound(f"business {business_id} not found", pending_audit=record)
    if log is not None:
        log.allowed(record)
    else:
        append_audit(session, record)
    assert business is not None
    return business


def access_loans_by_business(
    session: Session, actor: Actor, business_id: int, purpose: Purpose, *, today: date | None = None
) -> list[Loan]:
    """The loans of a business the actor may see: all under consent, else only its own."""
    business = access_business_by_id(
        session, actor, business_id, Category.LOANS, purpose, action="read_loans", today=today
    )
    stmt = select(Loan).where(Loan.business_id == business.id).order_by(Loan.start_date)
    full = (
        actor.org_id == business.org_id
        or _active_grant(
            session,
            business.id,
            actor.org_id or -1,
            Category.LOANS,
            purpose,
            today or date.today(),
        )
        is not None
    )
    if not full:
        stmt = stmt.where(
            or_(Loan.lender_org_id == actor.org_id, Loan.guarantor_org_id == actor.org_id)
        )
    return list(session.execute(stmt).scalars())


def accessible_business_ids(
    actor: Actor, category: Category, purpose: Purpose, today: date | None = None
) -> Select[int]:
    """A SELECT of the ids of businesses whose ``category`` the actor may read.

    The same rules as ``decide``, as one SQL query, so lists and pages over 100k+
    businesses are filtered in the database. Callers audit the listing itself.
    """
    today = today or date.today()
    if actor.is_system or actor.role not in DATA_ROLES or actor.org_id is None:
        return select(Business.id).where(false())
    if actor.role == Role.OWNER:
        return select(Business.id).where(Business.org_id == actor.org_id)
    granted = exists().where(
        ConsentGrant.business_id == Business.id,
        _active_grant_clause(actor.org_id, category, purpose, today),
    )
    cond: ColumnElement[bool] = granted
    if category == Category.PROFILE:
        cond = or_(granted, _linked_clause(actor.org_id))
    return select(Business.id).where(Business.org_id != actor.org_id).where(cond)


def audit_listing(
    session: Session,
    actor: Actor,
    category: Category,
    purpose: Purpose,
    count: int,
    detail: dict | None = None,
) -> None:
    append_audit(
        session,
        AuditRecord(
            action="list",
            decision="allow",
            actor_user_id=actor.user_id,
            actor_org_id=actor.org_id,
            category=category.value,
            purpose=purpose.value,
            object_type="portfolio",
            detail={"rows": count, "login": actor.login, **(detail or {})},
        ),
    )


def require_role(actor: Actor, *roles: Role) -> None:
    """For non-data operations (user management, audit log): the actor must hold a role."""
    if actor.is_system:
        return
    if actor.role not in roles:
        raise PermissionError(f"role {actor.role} may not do this")


def decide_upload(
    session: Session, actor: Actor, business: Business | None, today: date | None = None
) -> Decision:
    """Pure decision (no audit): may ``actor`` submit financial data for ``business``?

    The owner may; so may an officer of an organisation the business trusts with its
    financials (an active ``financials`` grant for any purpose), e.g. its accountant uploading
    on its behalf. Nobody else, whatever their role. Pages use it only to decide whether to
    offer an upload link; the upload itself goes through ``access_business_for_upload``.
    """
    today = today or date.today()
    if business is None:
        return Decision(False, "no such business")
    if actor.role == Role.OWNER and actor.org_id == business.org_id:
        return Decision(True, "own business")
    if actor.role == Role.OFFICER and actor.org_id is not None and actor.org_id != business.org_id:
        log = current_read_log(session)
        if log is not None and today == date.today():  # the request's grants, read once
            ids = [
                g
                for (cat, _), g in _request_grants(
                    session, log, business.id, actor.org_id, today
                ).items()
                if cat == Category.FINANCIALS
            ]
            if ids:
                return Decision(True, f"consent grant {min(ids)}")
            return Decision(False, "no active consent")
        grant = session.execute(
            select(ConsentGrant.id)
            .where(ConsentGrant.business_id == business.id)
            .where(ConsentGrant.grantee_org_id == actor.org_id)
            .where(ConsentGrant.category == Category.FINANCIALS)
            .where(ConsentGrant.valid_from <= today)
            .where(or_(ConsentGrant.valid_to.is_(None), ConsentGrant.valid_to >= today))
            .where(ConsentGrant.revoked_at.is_(None))
            .limit(1)
        ).scalar_one_or_none()
        if grant is not None:
            return Decision(True, f"consent grant {grant}")
        return Decision(False, "no active consent")
    return Decision(False, f"role {actor.role or 'system'} does not submit data")


def access_business_for_upload(
    session: Session,
    actor: Actor,
    business_id: int,
    *,
    action: str = "upload",
    today: date | None = None,
) -> Business:
    """The business, if ``actor`` may submit its financial data (``decide_upload``); else
    NotFound. The decision is audited either way under ``action`` (``upload`` for a
    submission or confirmation, ``upload_form`` for opening the upload page).
    """
    business = session.get(Business, business_id)
    decision = decide_upload(session, actor, business, today)
    record = AuditRecord(
        action=action,
        decision="allow" if decision.allowed else "deny",
        actor_user_id=actor.user_id,
        actor_org_id=actor.org_id,
        business_id=business_id,
        category=Category.FINANCIALS.value,
        object_type="business",
        object_id=str(business_id),
        detail={"reason": decision.reason, "login": actor.login},
    )
    if not decision.allowed:
        raise NotFound(f"business {business_id} not found", pending_audit=record)
    append_audit(session, record)
    assert business is not None
    return business
