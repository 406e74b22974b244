"""Triage under staff limits: an officer's capacity (set by the organisation's administrator) and
the assignment of a business to an officer for a month: the manager's one click. Once the
organisation has teams, an officer takes or gives back only their own work and a team's manager
assigns and reassigns within the team (``domain.teams.why_not_assign``); without teams any officer
assigns. Every change is audited, every refusal too.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizashi.access import Actor, access_business_by_id
from kizashi.access.policy import audited_refusal
from kizashi.access.teams import has_teams, memberships
from kizashi.access.triage import month_of
from kizashi.domain.teams import why_not_assign, why_not_unassign
from kizashi.domain.vocabulary import Category, Purpose, Role
from kizashi.store.audit import audit_write
from kizashi.store.errors import NotFound
from kizashi.store.models import User
from kizashi.store.triage_models import StaffCapacity, TriageAssignment

MAX_CAPACITY = 1000


class CapacityFull(ValueError):
    """The officer has no capacity left in the month."""


def _officer(session: Session, org_id: int | None, user_id: int) -> User:
    user = session.get(User, user_id)
    if (
        user is None
        or org_id is None
        or user.org_id != org_id
        or not user.active
        or user.role != Role.OFFICER
    ):
        raise NotFound(f"officer {user_id} not found")
    return user


def do_set_capacity(session: Session, actor: Actor, *, user_id: int, per_month: int) -> int:
    """Set how many businesses an officer of the administrator's organisation can contact per
    month (0–1000). Returns the previous value (None → -1)."""
    if not actor.is_system and actor.role != Role.ADMIN:
        raise audited_refusal(actor, "set_staff_capacity", "user", "not an administrator")
    if not 0 <= per_month <= MAX_CAPACITY:
        raise ValueError(f"per_month must be between 0 and {MAX_CAPACITY}")
    target = session.get(User, user_id)
    if target is None or (not actor.is_system and target.org_id != actor.org_id):
        raise audited_refusal(actor, "set_staff_capacity", "user", "not a user of the organisation")
    user = _officer(session, target.org_id, user_id)
    row = session.get(StaffCapacity, user.id)
    old = row.per_month if row else None
    now = datetime.now(UTC)
    if row is None:
        row = StaffCapacity(user_id=user.id, org_id=user.org_id, per_month=per_month)
        session.add(row)
    row.per_month = per_month
    row.updated_at = now
    row.updated_by_user_id = actor.user_id
    session.flush()
    audit_write(
        session,
        actor,
        "set_staff_capacity",
        object_type="user",
        object_id=user.id,
        old=old,
        new=per_month,
    )
    return -1 if old is None else old


def do_assign_triage(
    session: Session,
    actor: Actor,
    *,
    business_id: int,
    officer_user_id: int,
    period: date,
    purpose: Purpose = Purpose.MONITORING,
    today: date | None = None,
) -> TriageAssignment:
    """Assign (or reassign) a business of the queue to an officer for the month of ``period``.
    Refused when the officer's capacity for the month is used up (CapacityFull)."""
    access_business_by_id(
        session,
        actor,
        business_id,
        Category.FLAGS,
        purpose,
        action="assign_triage",
        today=today,
    )
    if actor.role != Role.OFFICER or actor.org_id is None:
        raise audited_refusal(actor, "assign_triage", "triage_assignment", "not an officer")
    officer = _officer(session, actor.org_id, officer_user_id)
    month = month_of(period)
    row = session.execute(
        select(TriageAssignment).where(
            TriageAssignment.org_id == actor.org_id,
            TriageAssignment.business_id == business_id,
            TriageAssignment.period == month,
        )
    ).scalar_one_or_none()
    old = row.officer_user_id if row else None
    why = why_not_assign(
        actor.user_id or 0,
        old,
        officer.id,
        memberships(session, actor.org_id),
        has_teams(session, actor.org_id),
    )
    if why is not None:
        raise audited_refusal(actor, "assign_triage", "triage_assignment", why)
    if old != officer.id:
        capacity = session.get(StaffCapacity, officer.id)
        used = session.execute(
            select(func.count()).where(
                TriageAssignment.org_id == actor.org_id,
                TriageAssignment.officer_user_id == officer.id,
                TriageAssignment.period == month,
            )
        ).scalar_one()
        if used >= (capacity.per_month if capacity else 0):
            raise CapacityFull(f"officer {officer.id} has no capacity left in {month:%Y-%m}")
    now = datetime.now(UTC)
    if row is None:
        row = TriageAssignment(
            org_id=actor.org_id, business_id=business_id, period=month, officer_user_id=officer.id
        )
        session.add(row)
    row.officer_user_id = officer.id
    row.assigned_at = now
    row.assigned_by_user_id = actor.user_id
    session.flush()
    audit_write(
        session,
        actor,
        "assign_triage",
        object_type="triage_assignment",
        object_id=row.id,
        business_id=business_id,
        period=month.isoformat(),
        old=old,
        new=officer.id,
    )
    return row


def do_unassign_triage(
    session: Session,
    actor: Actor,
    *,
    business_id: int,
    period: date,
    purpose: Purpose = Purpose.MONITORING,
    today: date | None = None,
) -> None:
    """Take a business off an officer's list for the month (it returns to the proposals)."""
    access_business_by_id(
        session,
        actor,
        business_id,
        Category.FLAGS,
        purpose,
        action="unassign_triage",
        today=today,
    )
    if actor.role != Role.OFFICER or actor.org_id is None:
        raise audited_refusal(actor, "unassign_triage", "triage_assignment", "not an officer")
    month = month_of(period)
    row = session.execute(
        select(TriageAssignment).where(
            TriageAssignment.org_id == actor.org_id,
            TriageAssignment.business_id == business_id,
            TriageAssignment.period == month,
        )
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no assignment of business {business_id} in {month:%Y-%m}")
    why = why_not_unassign(
        actor.user_id or 0,
        row.officer_user_id,
        memberships(session, actor.org_id),
        has_teams(session, actor.org_id),
    )
    if why is not None:
        raise audited_refusal(actor, "unassign_triage", "triage_assignment", why)
    audit_write(
        session,
        actor,
        "unassign_triage",
        object_type="triage_assignment",
        object_id=row.id,
        business_id=business_id,
        period=month.isoformat(),
        old=row.officer_user_id,
    )
    session.delete(row)
    session.flush()
