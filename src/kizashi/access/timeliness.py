"""A business's submission timeliness (domain.timeliness), read under its ``financials``
consent (the owner: always) and audited like any read of its data."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizashi.domain.timeliness import Timeliness, timeliness
from kizashi.domain.vocabulary import Category, Purpose, StatementKind
from kizashi.store.models import Statement, Submission

from .actor import Actor
from .policy import access_business_by_id


def _day(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value


def read_timeliness(
    session: Session,
    actor: Actor,
    business_id: int,
    purpose: Purpose,
    *,
    deadline_days: int,
    months: int = 12,
    today: date | None = None,
) -> Timeliness:
    """Months delivered, on time, late and missing over the ``months`` months before this one."""
    on = today or date.today()
    access_business_by_id(
        session,
        actor,
        business_id,
        Category.FINANCIALS,
        purpose,
        action="read_timeliness",
        today=today,
    )
    first = func.min(func.coalesce(Submission.created_at, Statement.created_at))
    rows = session.execute(
        select(Statement.period_end, first)
        .outerjoin(Submission, Submission.id == Statement.submission_id)
        .where(Statement.business_id == business_id, Statement.kind == StatementKind.MONTHLY_TB)
        .group_by(Statement.period_end)
    ).all()
    delivered = {end: _day(at) for end, at in rows if at is not None}
    return timeliness(delivered, on, deadline_days, months)
