"""Interest-rate stress (金利上昇ストレス) on the store's portfolio, read through the consent rule.

The stress itself is ``engine.exec.stress`` (new 経常赤字 at +0.25, +0.5, +1 and +2 pt on the
debt that reprices); here it runs over the analytics panel of exactly the businesses whose
financials (財務) the reader may see for ``purpose``: the portfolio view is one audited listing,
one business's view an audited read of that business (``NotFound`` otherwise, as for any read).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizashi.domain.cash import STRESS_POINTS_BP, extra_interest
from kizashi.domain.vocabulary import Category, Purpose
from kizashi.engine.exec.stress import BASES, run_stress
from kizashi.store import analytics
from kizashi.store.models import Business

from .actor import Actor
from .policy import access_business_by_id, accessible_business_ids, audit_listing

LISTED = 200  # businesses named per stress step on the portfolio view (the counts are all)


@dataclass(frozen=True)
class StressStep:
    points_bp: int
    new_ordinary_loss: int  # businesses at ≥ 0 now and < 0 after the extra interest
    share_pct: float | None  # of the businesses with 12 months of figures
    businesses: tuple[tuple[int, str], ...]  # (id, name), the first LISTED by id


@dataclass(frozen=True)
class PortfolioStress:
    as_of: date | None  # the month the 12 months end at; None: no figures
    basis: str
    floating_share: float | None
    businesses: int  # with 12 months of figures and a debt figure at ``as_of``
    visible: int  # the businesses the reader may see (with or without figures)
    ordinary_loss_now: int
    steps: tuple[StressStep, ...]


@dataclass(frozen=True)
class BusinessStressStep:
    points_bp: int
    extra_interest: int  # yen a year
    ordinary_profit_after: int
    turns_to_loss: bool


@dataclass(frozen=True)
class BusinessStress:
    business_id: int
    business_name: str
    as_of: date | None
    basis: str
    ttm_ordinary_profit: int | None  # None: fewer than 12 months of figures
    debt: int | None
    loss_now: bool
    steps: tuple[BusinessStressStep, ...]


def _check(basis: str, floating_share: float) -> None:
    if basis not in BASES:
        raise ValueError(f"basis must be one of {', '.join(BASES)}")
    if not 0.0 <= floating_share <= 1.0:
        raise ValueError("floating_share must be between 0 and 1")


def _as_of(summary: dict[str, Any]) -> date:
    y, m = summary["as_of"].split("-")
    return date(int(y), int(m), 1)


def read_portfolio_stress(
    session: Session,
    actor: Actor,
    data_dir: Path,
    *,
    purpose: Purpose = Purpose.MONITORING,
    month: date | None = None,
    basis: str = "all",
    floating_share: float = 0.3,
    today: date | None = None,
) -> PortfolioStress:
    """The stress over every business whose financials the actor may read (the listing audited
    with the number of businesses computed)."""
    _check(basis, floating_share)
    ids = list(
        session.execute(accessible_business_ids(actor, Category.FINANCIALS, purpose, today))
        .scalars()
        .all()
    )
    share = floating_share if basis == "repricing" else None
    panel = analytics.panel_window(data_dir, ids, month) if ids else None
    if panel is None or panel.num_rows == 0:
        audit_listing(session, actor, Category.FINANCIALS, purpose, 0, {"list": "rate_stress"})
        return PortfolioStress(None, basis, share, 0, len(ids), 0, ())
    per, summary = run_stress(panel, month, basis=basis, floating_share=floating_share)
    audit_listing(
        session,
        actor,
        Category.FINANCIALS,
        purpose,
        summary["businesses"],
        {"list": "rate_stress", "basis": basis},
    )
    rows = per.to_pylist()
    hits = {
        bp: sorted(r["business_id"] for r in rows if r[f"loss_{bp}"])[:LISTED]
        for bp in STRESS_POINTS_BP
    }
    wanted = sorted({b for ids_ in hits.values() for b in ids_})
    names = dict(
        session.execute(select(Business.id, Business.name).where(Business.id.in_(wanted))).all()
    )
    steps = tuple(
        StressStep(
            s["points_bp"],
            s["new_ordinary_loss"],
            s["share_pct"],
            tuple((b, names.get(b, "")) for b in hits[s["points_bp"]]),
        )
        for s in summary["stress"]
    )
    return PortfolioStress(
        _as_of(summary),
        basis,
        share,
        summary["businesses"],
        len(ids),
        summary["ordinary_loss_now"],
        steps,
    )


def read_business_stress(
    session: Session,
    actor: Actor,
    data_dir: Path,
    business_id: int,
    *,
    purpose: Purpose = Purpose.MONITORING,
    month: date | None = None,
    basis: str = "all",
    floating_share: float = 0.3,
    today: date | None = None,
) -> BusinessStress:
    """One business's stress (its financials read, audited; ``NotFound`` when not allowed).
    Without 12 months of figures the view says so (``ttm_ordinary_profit`` None)."""
    _check(basis, floating_share)
    business = access_business_by_id(
        session,
        actor,
        business_id,
        Category.FINANCIALS,
        purpose,
        action="read_rate_stress",
        today=today,
    )
    panel = analytics.panel_window(data_dir, [business_id], month)
    empty = BusinessStress(business_id, business.name, None, basis, None, None, False, ())
    if panel is None or panel.num_rows == 0:
        return empty
    per, summary = run_stress(panel, month, basis=basis, floating_share=floating_share)
    if per.num_rows == 0:
        return BusinessStress(
            business_id, business.name, _as_of(summary), basis, None, None, False, ()
        )
    r = per.to_pylist()[0]
    profit, debt = int(r["ttm_ordinary_profit"]), int(r["debt"])
    steps = tuple(
        BusinessStressStep(
            bp,
            extra_interest(debt, bp),
            profit - extra_interest(debt, bp),
            bool(r[f"loss_{bp}"]),
        )
        for bp in STRESS_POINTS_BP
    )
    return BusinessStress(
        business_id, business.name, _as_of(summary), basis, profit, debt, bool(r["loss_now"]), steps
    )
