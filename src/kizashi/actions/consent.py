"""Consent grants: given and revoked by the business."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from kizashi.access import Actor
from kizashi.domain.vocabulary import Category, Purpose, Role
from kizashi.store.audit import audit_write
from kizashi.store.models import Business, ConsentGrant, Organisation


def _check_business_side(actor: Actor, business: Business) -> None:
    if actor.is_system:
        return
    if actor.org_id != business.org_id or actor.role != Role.OWNER:
        raise PermissionError("only the business itself grants or revokes consent")


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
    _check_business_side(actor, business)
    if grantee.id == business.org_id:
        raise ValueError("a business does not need consent to see its own data")
    if valid_to is not None and valid_to < valid_from:
        raise ValueError("valid_to is before valid_from")
    now = datetime.now(UTC)
    grants = []
    for category in categories:
        g = ConsentGrant(
            business_id=business.id,
            grantee_org_id=grantee.id,
            category=category,
            purpose=purpose,
            valid_from=valid_from,
            valid_to=valid_to,
            granted_by_user_id=actor.user_id,
            created_at=now,
        )
        session.add(g)
        grants.append(g)
    session.flush()
    for g in grants:
        audit_write(
            session,
            actor,
            "grant_consent",
            object_type="consent_grant",
            object_id=g.id,
            business_id=business.id,
            grantee_org_id=grantee.id,
            category=g.category.value,
            purpose=purpose.value,
            valid_from=valid_from.isoformat(),
            valid_to=valid_to.isoformat() if valid_to else None,
        )
    return grants


def do_revoke_consent(session: Session, actor: Actor, *, grant: ConsentGrant) -> ConsentGrant:
    business = session.get(Business, grant.business_id)
    assert business is not None
    _check_business_side(actor, business)
    if grant.revoked_at is None:
        grant.revoked_at = datetime.now(UTC)
        audit_write(
            session,
            actor,
            "revoke_consent",
            object_type="consent_grant",
            object_id=grant.id,
            business_id=business.id,
        )
    return grant
