"""The consent rule, written once: which businesses, and which of their rows, an actor may read.

Every answer kizashi gives about access is derived from :func:`branches`:

- the **list query** of a category (:func:`visible_businesses`, portfolio lists, an
  organisation's own rule pack) is ``SELECT business.id WHERE <any branch holds>``;
- the **single decision** (``policy.decide``, every business page and API read) evaluates the
  very same branch conditions for one business, in one query; the first branch that holds
  names the reason in the audit record;
- the **rows** of a category inside an allowed business (:func:`loan_rows`,
  :func:`credit_event_rows`, :func:`flag_rows`) are the union of the branches' row filters;
- **uploads** (:func:`upload_condition`) are the ``financials`` rule for any purpose.

The rule (docs/security.md "Access rule"), for ``actor``, ``category``, ``purpose`` on day ``on``:

1. Only ``owner`` and ``officer`` read business data, and only as a member of an organisation;
   ``admin``, ``auditor`` and the system actor read none.
2. An ``owner`` reads every category of the businesses of their own organisation, nothing else.
3. An ``officer`` reads a category of a business of *another* organisation under an active
   consent grant from that business to the officer's organisation for that category and
   purpose: ``valid_from ≤ on``, ``on ≤ valid_to`` (if any), not revoked. (Never the
   business's own organisation's officers: a business organisation has owners only.)
4. Without a grant, an officer reads the data its organisation itself supplied
   (:data:`OWN_DATA`): the ``profile`` of a business it is linked to (lender, guarantor,
   advisor, registrar), and the ``loans`` it is itself lender or guarantor of — those loan
   rows only, with their credit events.

``purpose=None`` (uploads only) means "for any purpose".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, or_, select
from sqlalchemy.sql.selectable import ScalarSelect

from kizashi.domain.vocabulary import Category, Purpose, Role
from kizashi.store.models import Business, BusinessLink, ConsentGrant, CreditEvent, Flag, Loan

from .actor import Actor

DATA_ROLES = frozenset({Role.OWNER, Role.OFFICER})


def reads_data(actor: Actor) -> bool:
    """Rule 1: whether the actor reads business data at all."""
    return not actor.is_system and actor.role in DATA_ROLES and actor.org_id is not None


@dataclass(frozen=True)
class Branch:
    """One way of being allowed a category of a business.

    ``when`` is a condition on ``Business`` (correlated: usable in a list's WHERE and in one
    business's SELECT). ``detail`` is a scalar that names the reason in the audit record (the
    grant's id, the link's relation). ``rows`` (on ``Loan`` for ``loans``), if not None,
    limits the rows of the category this branch opens (own loans only); None opens them all.
    """

    reason: str
    when: ColumnElement[bool]
    detail: ScalarSelect[Any] | None = None
    rows: ColumnElement[bool] | None = None


def _active_grant(
    org_id: int, category: Category, purpose: Purpose | None, on: date
) -> ColumnElement[bool]:
    conds = [
        ConsentGrant.business_id == Business.id,
        ConsentGrant.grantee_org_id == org_id,
        ConsentGrant.category == category,
        ConsentGrant.valid_from <= on,
        or_(ConsentGrant.valid_to.is_(None), ConsentGrant.valid_to >= on),
        ConsentGrant.revoked_at.is_(None),
    ]
    if purpose is not None:
        conds.append(ConsentGrant.purpose == purpose)
    return and_(*conds)


def _linked(org_id: int) -> Branch:
    link = and_(BusinessLink.business_id == Business.id, BusinessLink.org_id == org_id)
    return Branch(
        "linked as",
        exists().where(link).correlate(Business),
        select(func.min(BusinessLink.relation)).where(link).correlate(Business).scalar_subquery(),
    )


def own_loan(org_id: int) -> ColumnElement[bool]:
    """A loan the organisation is itself lender or guarantor of."""
    return or_(Loan.lender_org_id == org_id, Loan.guarantor_org_id == org_id)


def _own_loans(org_id: int) -> Branch:
    return Branch(
        "own loans only",
        exists().where(Loan.business_id == Business.id, own_loan(org_id)).correlate(Business),
        rows=own_loan(org_id),
    )


# Rule 4: data the organisation itself supplied, which it reads without a consent.
OWN_DATA: dict[Category, Callable[[int], Branch]] = {
    Category.PROFILE: _linked,
    Category.LOANS: _own_loans,
}


def branches(
    actor: Actor, category: Category, purpose: Purpose | None, on: date
) -> tuple[Branch, ...]:
    """The ways ``actor`` may read ``category`` of a business for ``purpose`` on ``on``."""
    if not reads_data(actor):
        return ()
    org = actor.org_id
    assert org is not None
    if actor.role == Role.OWNER:
        return (Branch("own business", Business.org_id == org),)
    other = Business.org_id != org
    grant = _active_grant(org, category, purpose, on)
    out = [
        Branch(
            "consent grant",
            and_(other, exists().where(grant).correlate(Business)),
            select(func.min(ConsentGrant.id)).where(grant).correlate(Business).scalar_subquery(),
        )
    ]
    own = OWN_DATA.get(category)
    if own is not None:
        b = own(org)
        out.append(Branch(b.reason, and_(other, b.when), b.detail, b.rows))
    return tuple(out)


def consent_condition(
    actor: Actor, category: Category, purpose: Purpose | None, on: date
) -> ColumnElement[bool]:
    """True for the businesses (``Business`` rows) whose ``category`` the actor may read."""
    found = branches(actor, category, purpose, on)
    return or_(*(b.when for b in found)) if found else false()


def visible_businesses(
    actor: Actor, category: Category, purpose: Purpose | None, on: date | None = None
) -> Select[int]:
    """The list query: a SELECT of the ids of businesses whose ``category`` the actor may read.

    Lists over 100k+ businesses filter in the database with it; callers audit the listing."""
    on = on or date.today()
    return select(Business.id).where(consent_condition(actor, category, purpose, on))


def knows_condition(actor: Actor, on: date) -> ColumnElement[bool]:
    """True for the businesses of which the actor may read something, for some purpose (e.g.
    who may ask a business for consent: an organisation that already knows it)."""
    return or_(*(consent_condition(actor, c, None, on) for c in Category))


def upload_condition(
    actor: Actor, on: date, category: Category = Category.FINANCIALS
) -> ColumnElement[bool]:
    """Who may submit ``category`` data (financial statements; bank statements, invoices) for a
    business: whoever may read it for some purpose (the owner; an officer whose organisation the
    business trusts with it, e.g. its accountant uploading on its behalf)."""
    return consent_condition(actor, category, None, on)


# ---------------------------------------------------------------------- rows of a category


def _rows_of(
    actor: Actor, category: Category, purpose: Purpose, on: date, business_id: Any
) -> ColumnElement[bool]:
    """Rows (whose business is ``business_id``, a column of the rows' table) opened by some
    branch. Every subquery names what it correlates to, so the conditions nest."""
    parts = []
    for b in branches(actor, category, purpose, on):
        in_business = (
            exists().where(Business.id == business_id, b.when).correlate(business_id.table)
        )
        parts.append(in_business if b.rows is None else and_(in_business, b.rows))
    return or_(*parts) if parts else false()


def loan_rows(actor: Actor, purpose: Purpose, on: date) -> ColumnElement[bool]:
    """The ``Loan`` rows the actor may see: all of a business under its ``loans`` consent (or
    of the owner's own business), else only those its organisation lends or guarantees."""
    return _rows_of(actor, Category.LOANS, purpose, on, Loan.business_id)


def credit_event_rows(actor: Actor, purpose: Purpose, on: date) -> ColumnElement[bool]:
    """The ``CreditEvent`` rows the actor may see: those of a visible loan; one tied to no loan
    only by the business itself and by the organisation that recorded it."""
    visible_loan = (
        exists()
        .where(Loan.id == CreditEvent.loan_id, loan_rows(actor, purpose, on))
        .correlate(CreditEvent)
    )
    allowed = (
        exists()
        .where(
            Business.id == CreditEvent.business_id,
            consent_condition(actor, Category.LOANS, purpose, on),
        )
        .correlate(CreditEvent)
    )
    own_business = (
        exists()
        .where(Business.id == CreditEvent.business_id, Business.org_id == actor.org_id)
        .correlate(CreditEvent)
    )
    recorded = (
        or_(own_business, CreditEvent.recorded_by_org_id == actor.org_id)
        if actor.org_id is not None
        else false()
    )
    return or_(visible_loan, and_(CreditEvent.loan_id.is_(None), allowed, recorded))


def flag_scope(actor: Actor) -> ColumnElement[bool]:
    """Which packs' flags: the shared default pack's (``org_id`` NULL) for everyone allowed the
    ``flags`` category; an organisation's own pack's only to that organisation's officers."""
    if actor.role == Role.OFFICER and actor.org_id is not None:
        return or_(Flag.org_id.is_(None), Flag.org_id == actor.org_id)
    return Flag.org_id.is_(None)


def flag_rows(actor: Actor, purpose: Purpose, on: date) -> ColumnElement[bool]:
    """The ``Flag`` rows the actor may see: of a business whose ``flags`` it may read, in scope."""
    return and_(_rows_of(actor, Category.FLAGS, purpose, on, Flag.business_id), flag_scope(actor))


__all__ = [
    "DATA_ROLES",
    "OWN_DATA",
    "Branch",
    "branches",
    "consent_condition",
    "credit_event_rows",
    "flag_rows",
    "flag_scope",
    "knows_condition",
    "loan_rows",
    "own_loan",
    "reads_data",
    "upload_condition",
    "visible_businesses",
]
