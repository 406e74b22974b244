"""What changed for an organisation since a day (by default the first day of last month):
flags that opened and flags that cleared (category ``flags``), businesses that missed their
monthly trial balance's deadline in the window (``financials``; only those that deliver monthly
trial balances at all), and businesses whose risk-model probability crossed the threshold
upwards or back (``financials``). Every part is one audited listing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizashi.domain.timeliness import window
from kizashi.domain.vocabulary import Category, Purpose, StatementKind
from kizashi.model import registry
from kizashi.store.models import Business, Flag, Statement
from kizashi.store.risk_scores import month_scores, score_months

from .actor import Actor
from .monitoring import pack_for_ref
from .policy import accessible_business_ids, audit_listing
from .rule import flag_rows


@dataclass(frozen=True)
class FlagChange:
    flag_id: int
    business_id: int
    business_name: str
    title: str
    severity: str
    month: date  # opened (new) or cleared (cleared): the month's first day


@dataclass(frozen=True)
class MissedSubmission:
    business_id: int
    business_name: str
    month: date  # the month end whose trial balance is missing
    deadline: date


@dataclass(frozen=True)
class Crossing:
    business_id: int
    business_name: str
    before: float
    after: float
    upwards: bool


@dataclass(frozen=True)
class Changes:
    since: date
    until: date
    new_flags: tuple[FlagChange, ...]
    cleared_flags: tuple[FlagChange, ...]
    missed: tuple[MissedSubmission, ...]
    crossed: tuple[Crossing, ...]
    threshold: float


def default_since(today: date) -> date:
    first = today.replace(day=1)
    return (first - timedelta(days=1)).replace(day=1)


def _flags(
    session: Session, actor: Actor, purpose: Purpose, on: date, since: date, lang: str
) -> tuple[list[FlagChange], list[FlagChange]]:
    month = since.replace(day=1)
    rows = session.execute(
        select(Flag, Business.name)
        .join(Business, Business.id == Flag.business_id)
        .where(
            flag_rows(actor, purpose, on),
            (Flag.opened_month >= month) | (~Flag.is_open & (Flag.closed_month >= month)),
        )
        .order_by(Business.name, Flag.id)
    ).all()
    packs: dict[str, object] = {}
    new, cleared = [], []
    for f, name in rows:
        pack = packs.get(f.pack_ref) or packs.setdefault(
            f.pack_ref, pack_for_ref(session, f.pack_ref)
        )
        try:
            title = pack.rule(f.rule_id).title.get(lang) or f.rule_id  # type: ignore[attr-defined]
        except StopIteration:
            title = f.rule_id
        if f.opened_month >= month:
            new.append(FlagChange(f.id, f.business_id, name, title, f.severity, f.opened_month))
        if not f.is_open and f.closed_month is not None and f.closed_month >= month:
            cleared.append(FlagChange(f.id, f.business_id, name, title, f.severity, f.closed_month))
    return new, cleared


def _missed(
    session: Session,
    actor: Actor,
    purpose: Purpose,
    on: date,
    since: date,
    deadline_days: int,
) -> list[MissedSubmission]:
    # the month ends whose deadline fell in [since, on)
    due = [m for m in window(on, 3) if since <= m + timedelta(days=deadline_days) < on]
    if not due:
        return []
    visible = accessible_business_ids(actor, Category.FINANCIALS, purpose, on)
    monthly = (
        select(Statement.business_id, func.min(Statement.period_end).label("first"))
        .where(Statement.kind == StatementKind.MONTHLY_TB, Statement.business_id.in_(visible))
        .group_by(Statement.business_id)
        .subquery()
    )
    businesses = session.execute(
        select(Business.id, Business.name, monthly.c.first).join(
            monthly, monthly.c.business_id == Business.id
        )
    ).all()
    if not businesses:
        return []
    have = set(
        session.execute(
            select(Statement.business_id, Statement.period_end).where(
                Statement.kind == StatementKind.MONTHLY_TB,
                Statement.business_id.in_([b for b, _, _ in businesses]),
                Statement.period_end.in_(due),
            )
        ).all()
    )
    out = []
    for bid, name, first in sorted(businesses, key=lambda r: (r[1], r[0])):
        for m in due:
            if first <= m and (bid, m) not in have:
                out.append(MissedSubmission(bid, name, m, m + timedelta(days=deadline_days)))
    return out


def _crossed(
    session: Session,
    actor: Actor,
    purpose: Purpose,
    on: date,
    data_dir: Path | None,
    threshold: float,
) -> list[Crossing]:
    if data_dir is None:
        return []
    version = registry.active_version(data_dir)
    if version is None:
        return []
    months = score_months(data_dir, version)
    if len(months) < 2:
        return []
    tables = [month_scores(data_dir, version, m["as_of"]) for m in months[-2:]]
    if any(t is None for t in tables):
        return []
    before, after = (
        dict(
            zip(
                t.column("business_id").to_pylist(),  # type: ignore[union-attr]
                t.column("probability").to_pylist(),  # type: ignore[union-attr]
                strict=True,
            )
        )
        for t in tables
    )
    moved = {
        int(b)
        for b, p in after.items()
        if b in before
        and p is not None
        and before[b] is not None
        and (before[b] < threshold) != (p < threshold)
    }
    if not moved:
        return []
    names = dict(
        session.execute(
            select(Business.id, Business.name).where(
                Business.id.in_(moved),
                Business.id.in_(accessible_business_ids(actor, Category.FINANCIALS, purpose, on)),
            )
        ).all()
    )
    return [
        Crossing(b, names[b], float(before[b]), float(after[b]), after[b] >= threshold)
        for b in sorted(names, key=lambda i: (names[i], i))
    ]


def read_changes(
    session: Session,
    actor: Actor,
    *,
    since: date | None = None,
    purpose: Purpose = Purpose.MONITORING,
    deadline_days: int = 30,
    data_dir: Path | None = None,
    threshold: float = 0.2,
    lang: str = "ja",
    today: date | None = None,
) -> Changes:
    on = today or date.today()
    start = since or default_since(on)
    new, cleared = _flags(session, actor, purpose, on, start, lang)
    audit_listing(
        session, actor, Category.FLAGS, purpose, len(new) + len(cleared),
        {"view": "changes", "since": start.isoformat()},
    )  # fmt: skip
    missed = _missed(session, actor, purpose, on, start, deadline_days)
    crossed = _crossed(session, actor, purpose, on, data_dir, threshold)
    audit_listing(
        session, actor, Category.FINANCIALS, purpose, len(missed) + len(crossed),
        {"view": "changes", "since": start.isoformat()},
    )  # fmt: skip
    return Changes(start, on, tuple(new), tuple(cleared), tuple(missed), tuple(crossed), threshold)
