"""Reading back what an import stored, through the access chokepoint like any reader."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizashi.access import Actor, access_business_by_id
from kizashi.domain.vocabulary import Category, Purpose
from kizashi.store.models import RawFile, Statement, StatementLine, Submission

TABLES = (Submission, Statement, StatementLine, RawFile)


def row_counts(session: Session) -> dict[str, int]:
    return {
        t.__tablename__: session.execute(select(func.count()).select_from(t)).scalar_one()
        for t in TABLES
    }


def stored_amounts(
    session: Session, actor: Actor, business_id: int, *, current: bool = True
) -> dict[tuple[date, int], dict[str, int]]:
    """(period_end, version) → item code → yen, summed over as-reported lines."""
    access_business_by_id(session, actor, business_id, Category.FINANCIALS, Purpose.MONITORING)
    q = select(Statement).where(Statement.business_id == business_id)
    if current:
        q = q.where(Statement.superseded_by_id.is_(None))
    out: dict[tuple[date, int], dict[str, int]] = {}
    for st in session.execute(q).scalars():
        sums: dict[str, int] = defaultdict(int)
        for line in st.lines:
            sums[line.item_code] += line.amount
        out[(st.period_end, st.version)] = {k: v for k, v in sums.items() if v}
    return out
