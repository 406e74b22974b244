"""The access policy: decides every read of a business's data, from the one rule in ``rule``.

``access.rule`` writes the consent rule once, as SQL conditions (docs/security.md "Access
rule"). Here it is applied: ``decide`` evaluates the rule's branches for one business in one
query (the same conditions the list query ``visible_businesses`` filters with), and the
``access_*`` functions audit the decision and return the business (or its loans) or raise.

Missing and forbidden give the same ``NotFound``. Every decision is audited: on its own, or
within a request's one event (``read_log.collect_reads``; a denial is always its own event).
Inside a request's read log, the rule is evaluated once for every category of the business
for the request's purpose (and for uploads), one query per business and purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, null, select
from sqlalchemy.orm import Session

from kizashi.domain.vocabulary import Category, Purpose, Role
from kizashi.store.audit import AuditRecord, append_audit
from kizashi.store.errors import NotFound
from kizashi.store.models import Business, Loan

from .actor import Actor
from .read_log import current_read_log
from .rule import DATA_ROLES, branches, loan_rows, reads_data, visible_businesses

# A question the rule answers for one business: (category, purpose); purpose None: any
# purpose (the upload rule).
Key = tuple[Category, Purpose | None]
UPLOAD: Key = (Category.FINANCIALS, None)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str


def _evaluate(
    session: Session, actor: Actor, business_id: int, keys: list[Key], on: date
) -> tuple[Business | None, dict[Key, str | None]]:
    """The business and, for each key, the reason of the first branch of the rule that holds
    for it (None: none holds), in one query: the branches' own conditions, as the list query
    uses them, selected for this one business."""
    plans = {key: branches(actor, key[0], key[1], on) for key in keys}
    cols: list[ColumnElement[Any]] = []
    for found in plans.values():
        for b in found:
            cols.append(b.when.label(f"c{len(cols)}"))
            detail = b.detail if b.detail is not None else null()
            cols.append(detail.label(f"c{len(cols)}"))
    if not cols:  # the actor reads no business data: only whether the business exists
        return session.get(Business, business_id), dict.fromkeys(keys)
    row = session.execute(select(Business, *cols).where(Business.id == business_id)).first()
    if row is None:
        return None, dict.fromkeys(keys)
    values = list(row[1:])
    out: dict[Key, str | None] = {}
    i = 0
    for key, found in plans.items():
        reason = None
        for b in found:
            holds, detail = values[i], values[i + 1]
            i += 2
            if reason is None and holds:
                reason = b.reason if detail is None else f"{b.reason} {detail}"
        out[key] = reason
    return row[0], out


def _denial(actor: Actor, business: Business | None, *, upload: bool = False) -> str:
    """Why the rule refused (the audit record's reason); the refusal itself is the rule's."""
    if business is None:
        return "no such business"
    if upload and (actor.role not in DATA_ROLES or actor.is_system):
        return f"role {actor.role or 'system'} does not submit data"
    if not reads_data(actor):
        return f"role {actor.role or 'system'} reads no business data"
    if actor.org_id == business.org_id:
        return "role officer in the business's own organisation"
    if actor.role == Role.OWNER:
        return "an owner sees only their own business"
    return "no active consent"


def _decide(
    session: Session, actor: Actor, business_id: int, key: Key, today: date | None
) -> tuple[Business | None, Decision]:
    """The rule for one business, asked once per request (per business and purpose) inside a
    read log: every category's answer is read in the same query."""
    log = current_read_log(session)
    on = today or date.today()
    cacheable = log is not None and on == date.today()
    if cacheable and log is not None:
        cached = log.decisions.get((business_id, *key))
        if cached is None:
            keys: list[Key] = [(c, key[1]) for c in Category]
            if key not in keys:
                keys.append(key)
            if UPLOAD not in keys:
                keys.append(UPLOAD)
            business, reasons = _evaluate(session, actor, business_id, keys, on)
            for k, reason in reasons.items():
                log.decisions.setdefault((business_id, *k), (business, reason))
            cached = log.decisions[(business_id, *key)]
        business, reason = cached
    else:
        business, reasons = _evaluate(session, actor, business_id, [key], on)
        reason = reasons[key]
    if reason is not None:
        return business, Decision(True, reason)
    return business, Decision(False, _denial(actor, business, upload=key[1] is None))


def decide(
    session: Session,
    actor: Actor,
    business: Business | None,
    category: Category,
    purpose: Purpose,
    today: date | None = None,
) -> Decision:
    """Pure decision (no audit): may ``actor`` read ``category`` of ``business`` for ``purpose``?

    The rule's branches evaluated for this business: the same answer as membership in
    ``visible_businesses(actor, category, purpose, today)`` (tests/access/test_agreement.py)."""
    if business is None:
        return Decision(False, "no such business")
    return _decide(session, actor, business.id, (category, purpose), today)[1]


def decide_by_id(
    session: Session,
    actor: Actor,
    business_id: int,
    category: Category,
    purpose: Purpose,
    today: date | None = None,
) -> Decision:
    """``decide`` for a business named by its id (a missing one is refused)."""
    return _decide(session, actor, business_id, (category, purpose), today)[1]


def accessible_business_ids(
    actor: Actor, category: Category, purpose: Purpose, today: date | None = None
) -> Select[int]:
    """The list query (``rule.visible_businesses``): ids of businesses whose ``category`` the
    actor may read for ``purpose``. Callers audit the listing itself."""
    return visible_businesses(actor, category, purpose, today)


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
    business, decision = _decide(session, actor, business_id, (category, purpose), today)
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
    """The loans of a business the actor may see (``rule.loan_rows``): all of them under a
    ``loans`` consent or to the business itself, else only those its organisation lends or
    guarantees."""
    business = access_business_by_id(
        session, actor, business_id, Category.LOANS, purpose, action="read_loans", today=today
    )
    return list(
        session.execute(
            select(Loan)
            .where(
                Loan.business_id == business.id, loan_rows(actor, purpose, today or date.today())
            )
            .order_by(Loan.start_date, Loan.id)
        ).scalars()
    )


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


def audited_refusal(actor: Actor, action: str, object_type: str, reason: str) -> NotFound:
    """A NotFound (the answer for "missing or not yours") carrying its ``deny`` record, for a
    refusal that is not about a business (e.g. administering the risk models): raised inside
    a unit of work, ``Store.session`` keeps the record after the rollback."""
    return NotFound(
        f"{object_type} not found",
        pending_audit=AuditRecord(
            action=action,
            decision="deny",
            actor_user_id=actor.user_id,
            actor_org_id=actor.org_id,
            object_type=object_type,
            detail={"reason": reason, "login": actor.login},
        ),
    )


def require_role(actor: Actor, *roles: Role) -> None:
    """For non-data operations (user management, audit log): the actor must hold a role."""
    if actor.is_system:
        return
    if actor.role not in roles:
        raise PermissionError(f"role {actor.role} may not do this")


def decide_upload(
    session: Session,
    actor: Actor,
    business: Business | None,
    today: date | None = None,
    *,
    category: Category = Category.FINANCIALS,
) -> Decision:
    """Pure decision (no audit): may ``actor`` submit ``category`` data (by default financial
    statements) for ``business``?

    ``rule.upload_condition``: whoever may read that category for some purpose — the owner, or
    an officer of an organisation the business trusts with it (e.g. its accountant uploading on
    its behalf). Nobody else, whatever their role. Pages use it only to decide whether to offer
    an upload link; the upload itself goes through ``access_business_for_upload``.
    """
    if business is None:
        return Decision(False, "no such business")
    return _decide(session, actor, business.id, (category, None), today)[1]


def access_business_for_upload(
    session: Session,
    actor: Actor,
    business_id: int,
    *,
    action: str = "upload",
    today: date | None = None,
    category: Category = Category.FINANCIALS,
) -> Business:
    """The business, if ``actor`` may submit its financial data (``decide_upload``); else
    NotFound. The decision is audited either way under ``action`` (``upload`` for a
    submission or confirmation, ``upload_form`` for opening the upload page).
    ``category``: the data submitted (bank statements: ``bank_transactions``, invoices and
    schedules: ``invoices``): whoever may read that category for some purpose may submit it.
    """
    key: Key = (category, None)
    business, decision = _decide(session, actor, business_id, key, today)
    record = AuditRecord(
        action=action,
        decision="allow" if decision.allowed else "deny",
        actor_user_id=actor.user_id,
        actor_org_id=actor.org_id,
        business_id=business_id,
        category=category.value,
        object_type="business",
        object_id=str(business_id),
        detail={"reason": decision.reason, "login": actor.login},
    )
    if not decision.allowed:
        raise NotFound(f"business {business_id} not found", pending_audit=record)
    append_audit(session, record)
    assert business is not None
    return business
