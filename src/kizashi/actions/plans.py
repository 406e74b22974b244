"""Writes of business plans (事業計画 etc.), each with its audit record.

A plan belongs to its business. Whoever may submit the business's financial data may write its
plans (``access_business_for_upload``, category ``financials``): the owner, or an officer of an
organisation the business trusts with its financials (consent). A new version never overwrites
an older one; a file's rows are stored all or none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizashi.access import Actor, access_business_for_upload
from kizashi.domain.periods import month_start
from kizashi.domain.plans import ITEMS, Granularity, PlanKind
from kizashi.domain.refusals import Refused
from kizashi.ingest.plans import ActionRow, PlanFile, parse_plan_file
from kizashi.store.audit import audit_write
from kizashi.store.errors import NotFound
from kizashi.store.plan_models import BusinessPlan, PlanAction, PlanTarget, PlanVersion


def _now() -> datetime:
    return datetime.now(UTC)


def do_add_plan(
    session: Session, actor: Actor, business_id: int, *, kind: PlanKind, title: str
) -> BusinessPlan:
    """A new plan (no version yet) of the business."""
    access_business_for_upload(session, actor, business_id, action="add_plan")
    title = title.strip()
    if not title:
        raise Refused("計画の名前を入れてください", "Please give the plan a name.")
    plan = BusinessPlan(
        business_id=business_id,
        kind=PlanKind(kind).value,
        title=title[:200],
        created_at=_now(),
        created_by_user_id=actor.user_id,
    )
    session.add(plan)
    session.flush()
    audit_write(
        session,
        actor,
        "add_plan",
        object_type="business_plan",
        object_id=plan.id,
        business_id=business_id,
        kind=plan.kind,
    )
    return plan


def do_add_plan_version(
    session: Session,
    actor: Actor,
    plan_id: int,
    *,
    granularity: Granularity,
    targets: Mapping[date, Mapping[str, int | None]],
    actions: Sequence[ActionRow] = (),
    note: str | None = None,
    source: str = "entered",
    source_name: str | None = None,
) -> PlanVersion:
    """The plan's next version with its targets and actions (all or nothing)."""
    plan = session.get(BusinessPlan, plan_id)
    if plan is None:
        raise NotFound(f"plan {plan_id} not found")
    access_business_for_upload(session, actor, plan.business_id, action="add_plan_version")
    if not targets:
        raise Refused("目標がありません", "The plan has no targets.")
    for figures in targets.values():
        for item, value in figures.items():
            if item not in ITEMS:
                raise ValueError(f"unknown item {item}")
            if value is not None and not isinstance(value, int):
                raise TypeError("targets are int yen")
    last = session.scalar(
        select(func.max(PlanVersion.version)).where(PlanVersion.plan_id == plan.id)
    )
    version = PlanVersion(
        plan_id=plan.id,
        version=(last or 0) + 1,
        granularity=Granularity(granularity).value,
        note=note,
        source=source,
        source_name=source_name,
        created_at=_now(),
        created_by_user_id=actor.user_id,
        created_by_org_id=actor.org_id,
    )
    session.add(version)
    session.flush()
    for period in sorted(targets):
        figures = targets[period]
        session.add(
            PlanTarget(
                version_id=version.id,
                period=month_start(period),
                **{item: figures.get(item) for item in ITEMS},
            )
        )
    for a in actions:
        session.add(
            PlanAction(version_id=version.id, due_on=a.due_on, title=a.title, owner=a.owner)
        )
    session.flush()
    audit_write(
        session,
        actor,
        "add_plan_version",
        object_type="plan_version",
        object_id=version.id,
        business_id=plan.business_id,
        plan_id=plan.id,
        version=version.version,
        periods=len(targets),
        actions=len(actions),
        source=source,
        source_name=source_name,
    )
    return version


def do_import_plan(
    session: Session,
    actor: Actor,
    plan_id: int,
    data: bytes,
    filename: str,
    *,
    note: str | None = None,
) -> PlanVersion:
    """A plan file (CSV/.xlsx, ``ingest.plans``) as the plan's next version: every row or none
    (``PlanFileError`` lists every problem by file, line and column)."""
    plan = session.get(BusinessPlan, plan_id)
    if plan is None:
        raise NotFound(f"plan {plan_id} not found")
    access_business_for_upload(session, actor, plan.business_id, action="import_plan")
    parsed: PlanFile = parse_plan_file(data, filename)
    return do_add_plan_version(
        session,
        actor,
        plan_id,
        granularity=parsed.granularity,
        targets=parsed.targets,
        actions=parsed.actions,
        note=note,
        source="xlsx" if filename.lower().endswith(".xlsx") else "csv",
        source_name=filename[-255:],
    )
