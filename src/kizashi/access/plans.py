"""A business's plans and plan against actual, read under its ``financials`` consent (a plan's
targets are financial figures: they travel with the trial balances they are compared to; the
owner: always) and audited like any read of its data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizashi.domain.plans import (
    ITEMS,
    Granularity,
    PeriodComparison,
    Shortfall,
    annual_actuals,
    compare,
    monthly_actuals,
    shortfall,
)
from kizashi.domain.vocabulary import Category, Purpose
from kizashi.store.errors import NotFound
from kizashi.store.plan_models import BusinessPlan, PlanAction, PlanTarget, PlanVersion

from .actor import Actor
from .policy import access_business_by_id
from .reads import read_monthly_series


@dataclass(frozen=True)
class VersionView:
    id: int
    version: int
    granularity: str
    note: str | None
    source: str
    source_name: str | None
    created_at: object


@dataclass(frozen=True)
class PlanView:
    id: int
    business_id: int
    kind: str
    title: str
    versions: tuple[VersionView, ...]  # oldest first

    @property
    def latest(self) -> VersionView | None:
        return self.versions[-1] if self.versions else None


@dataclass(frozen=True)
class PlanDetail:
    plan: PlanView
    version: VersionView
    targets: dict[date, dict[str, int | None]]
    actions: tuple[tuple[date, str, str | None], ...]


@dataclass(frozen=True)
class PlanProgress:
    detail: PlanDetail
    comparison: tuple[PeriodComparison, ...]
    shortfall: Shortfall | None  # monthly plans only


def version_view(v: PlanVersion) -> VersionView:
    """A version as pages and the API show it (also the one a writer has just added)."""
    return VersionView(
        v.id, v.version, v.granularity, v.note, v.source, v.source_name, v.created_at
    )


def _views(session: Session, plans: list[BusinessPlan]) -> list[PlanView]:
    ids = [p.id for p in plans]
    versions: dict[int, list[VersionView]] = {i: [] for i in ids}
    if ids:
        for v in session.scalars(
            select(PlanVersion).where(PlanVersion.plan_id.in_(ids)).order_by(PlanVersion.version)
        ):
            versions[v.plan_id].append(version_view(v))
    return [PlanView(p.id, p.business_id, p.kind, p.title, tuple(versions[p.id])) for p in plans]


def list_plans(
    session: Session,
    actor: Actor,
    business_id: int,
    purpose: Purpose = Purpose.MONITORING,
    *,
    today: date | None = None,
) -> list[PlanView]:
    access_business_by_id(
        session, actor, business_id, Category.FINANCIALS, purpose, action="read_plans", today=today
    )
    plans = list(
        session.scalars(
            select(BusinessPlan)
            .where(BusinessPlan.business_id == business_id)
            .order_by(BusinessPlan.id)
        )
    )
    return _views(session, plans)


def read_plan(
    session: Session,
    actor: Actor,
    plan_id: int,
    purpose: Purpose = Purpose.MONITORING,
    *,
    version: int | None = None,
    today: date | None = None,
) -> PlanDetail:
    """A plan's version (default: the latest) with its targets and actions."""
    plan = session.get(BusinessPlan, plan_id)
    if plan is None:
        raise NotFound(f"plan {plan_id} not found")
    access_business_by_id(
        session,
        actor,
        plan.business_id,
        Category.FINANCIALS,
        purpose,
        action="read_plans",
        today=today,
    )
    view = _views(session, [plan])[0]
    chosen = (
        view.latest
        if version is None
        else next((v for v in view.versions if v.version == version), None)
    )
    if chosen is None:
        raise NotFound(f"plan {plan_id} version {version} not found")
    targets = {
        t.period: {item: getattr(t, item) for item in ITEMS}
        for t in session.scalars(
            select(PlanTarget).where(PlanTarget.version_id == chosen.id).order_by(PlanTarget.period)
        )
    }
    actions = tuple(
        (a.due_on, a.title, a.owner)
        for a in session.scalars(
            select(PlanAction)
            .where(PlanAction.version_id == chosen.id)
            .order_by(PlanAction.due_on, PlanAction.id)
        )
    )
    return PlanDetail(view, chosen, targets, actions)


def read_plan_progress(
    session: Session,
    actor: Actor,
    plan_id: int,
    purpose: Purpose = Purpose.MONITORING,
    *,
    version: int | None = None,
    pct: int = 10,
    months: int = 3,
    today: date | None = None,
) -> PlanProgress:
    """Plan against actual (``domain.plans.compare``) from the current trial balances, and for a
    monthly plan the sustained-shortfall check of 売上高."""
    detail = read_plan(session, actor, plan_id, purpose, version=version, today=today)
    series = read_monthly_series(
        session, actor, detail.plan.business_id, months=120, purpose=purpose, today=today
    )
    monthly = monthly_actuals([(p.month, p.values) for p in series])
    if detail.version.granularity == Granularity.ANNUAL:
        raw = {p.month: p.values for p in series}
        actuals = annual_actuals(raw, list(detail.targets))
        return PlanProgress(detail, compare(detail.targets, actuals), None)
    comparison = compare(detail.targets, monthly)
    return PlanProgress(detail, comparison, shortfall(comparison, "sales", pct, months))


__all__ = [
    "PlanDetail",
    "PlanProgress",
    "PlanView",
    "VersionView",
    "list_plans",
    "read_plan",
    "read_plan_progress",
]
