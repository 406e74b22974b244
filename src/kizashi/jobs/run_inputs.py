"""The store's side of a run's inputs: businesses, credit events, loans and plans as Arrow tables.

A system job's read (listed in ``tests/test_access_layer.py``): the shared pack reads every
business; an organisation's own pack only the businesses it may monitor (``accessible_business_ids``
for its financials under 期中モニタリング). The monitoring run and the risk model both start here.
Plans are sparse: ``read_plan_targets`` reads only the businesses that have a monthly plan, and
the run filters them to the businesses of each pack like every other input.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

import pyarrow as pa
from sqlalchemy import func, select

from kizashi.access import Actor
from kizashi.access.policy import accessible_business_ids
from kizashi.domain.panel import LOAN_COLUMNS
from kizashi.domain.plans import PLAN_FEATURE_COLUMNS, Figures, Granularity, plan_months
from kizashi.domain.vocabulary import Category, OrgKind, Purpose, Role
from kizashi.store.db import Store
from kizashi.store.models import Business, CreditEvent, Loan
from kizashi.store.plan_models import BusinessPlan, PlanTarget, PlanVersion


def register_inputs(
    store: Store, org_id: int | None, today: date
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """(businesses, credit events, loans) for a run scoped to ``org_id`` (None: every business)."""
    with store.session() as s:
        bq = select(Business.id, Business.industry_code, Business.employees, Business.capital_yen)
        if org_id is not None:
            # An organisation's own pack runs only over businesses it may monitor.
            actor = Actor(
                user_id=None,
                org_id=org_id,
                org_kind=OrgKind.BANK,
                role=Role.OFFICER,
                login=f"org-{org_id}",
            )
            bq = bq.where(
                Business.id.in_(
                    accessible_business_ids(actor, Category.FINANCIALS, Purpose.MONITORING, today)
                )
            )
        biz = s.execute(bq).all()
        ids = [b[0] for b in biz]
        events = (
            s.execute(
                select(
                    CreditEvent.business_id,
                    CreditEvent.loan_id,
                    CreditEvent.kind,
                    CreditEvent.occurred_on,
                    CreditEvent.days_past_due,
                ).where(CreditEvent.business_id.in_(ids))
            ).all()
            if ids
            else []
        )
        loans = (
            s.execute(
                select(
                    Loan.business_id, Loan.balance, Loan.guarantee_ratio_pct, Loan.guarantor_org_id
                ).where(Loan.business_id.in_(ids))
            ).all()
            if ids
            else []
        )
    businesses = pa.table(
        {
            "business_id": pa.array(ids, pa.int64()),
            "industry_code": pa.array([b[1] for b in biz], pa.string()),
            "employees": pa.array([b[2] for b in biz], pa.int32()),
            "capital_yen": pa.array([b[3] for b in biz], pa.int64()),
        }
    )
    ev = pa.table(
        {
            "business_id": pa.array([e[0] for e in events], pa.int64()),
            "loan_id": pa.array([e[1] for e in events], pa.int64()),
            "kind": pa.array(
                [str(e[2].value if hasattr(e[2], "value") else e[2]) for e in events], pa.string()
            ),
            "occurred_on": pa.array([e[3] for e in events], pa.date32()),
            "days_past_due": pa.array([e[4] for e in events], pa.int32()),
        }
    )
    lc = LOAN_COLUMNS  # the loans' columns as run_monitoring reads them
    ln = pa.table(
        {
            lc.business_id: pa.array([x[0] for x in loans], pa.int64()),
            lc.balance: pa.array([x[1] for x in loans], pa.int64()),
            lc.guarantee_ratio_pct: pa.array([x[2] for x in loans], pa.int32()),
            str(lc.guaranteed): pa.array(
                [x[3] is not None and x[2] > 0 for x in loans], pa.bool_()
            ),
        }
    )
    return businesses, ev, ln


def plan_targets_table(plans: Iterable[tuple[int, Mapping[date, Figures]]]) -> pa.Table:
    """The ``plan_targets`` input of ``run_monitoring`` from (business id, a monthly plan's
    targets) pairs: one row per month of each plan (``domain.plans.plan_months``)."""
    ids: list[int] = []
    months: list[date] = []
    pos: list[int] = []
    values: dict[str, list[int | None]] = {c: [] for c in PLAN_FEATURE_COLUMNS}
    for business_id, targets in plans:
        for month, k, figures in plan_months(targets):
            ids.append(business_id)
            months.append(month)
            pos.append(k)
            for c in PLAN_FEATURE_COLUMNS:
                values[c].append(figures[c])
    return pa.table(
        {
            "business_id": pa.array(ids, pa.int64()),
            "month": pa.array(months, pa.date32()),
            "plan_pos": pa.array(pos, pa.int32()),
            **{c: pa.array(v, pa.int64()) for c, v in values.items()},
        }
    )


def read_plan_targets(store: Store) -> pa.Table | None:
    """The plan in force of every business that has one — its monthly plan whose latest version
    is the newest (a plan whose latest version is annual is not read) — as
    ``plan_targets_table``; None when no business has a monthly plan. Two queries."""
    with store.read_session() as s:
        latest = (
            select(PlanVersion.plan_id, func.max(PlanVersion.version).label("version"))
            .group_by(PlanVersion.plan_id)
            .subquery()
        )
        rows = s.execute(
            select(BusinessPlan.business_id, PlanVersion.id)
            .join(PlanVersion, PlanVersion.plan_id == BusinessPlan.id)
            .join(
                latest,
                (latest.c.plan_id == PlanVersion.plan_id)
                & (latest.c.version == PlanVersion.version),
            )
            .where(PlanVersion.granularity == Granularity.MONTHLY.value)
        ).all()
        chosen: dict[int, int] = {}  # business → its newest latest version
        for business_id, version_id in rows:
            chosen[business_id] = max(version_id, chosen.get(business_id, 0))
        if not chosen:
            return None
        targets: dict[int, dict[date, dict[str, int | None]]] = {v: {} for v in chosen.values()}
        items = ("sales", "gross_profit", "operating_profit")
        for t in s.scalars(select(PlanTarget).where(PlanTarget.version_id.in_(list(targets)))):
            targets[t.version_id][t.period] = {i: getattr(t, i) for i in items}
    return plan_targets_table((b, targets[v]) for b, v in sorted(chosen.items()))
