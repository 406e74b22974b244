"""What a document shows, read through ``kizashi.access`` as the reading user (consent + audit).

The indicators are read exactly as the indicators API reads them (``read_indicator_history``),
so a document's figures are the API's. The financials consent is the gate: without it the read
raises ``NotFound`` (audited as a refusal) and no document is made. The other parts (profile,
monthly figures, flags) are read only when the user may read them (``policy.decide``, which
audits nothing) and each such read is audited; a part the user may not read is left out and
the document says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from kizashi.access.actor import Actor
from kizashi.access.cases import (
    DialogueView,
    NonFinancialView,
    list_cases,
    read_case,
    shared_dialogues,
)
from kizashi.access.monitoring import FlagView, IndicatorsView, read_flags, read_indicator_history
from kizashi.access.policy import decide_by_id
from kizashi.access.reads import (
    BusinessProfile,
    MonthlyPoint,
    read_business_profile,
    read_monthly_series,
)
from kizashi.domain.vocabulary import Category, Purpose, Role

LOCABEN_GROUP = "locaben"


@dataclass(frozen=True)
class DocumentData:
    business_id: int
    business_name: str
    purpose: Purpose
    periods: list[IndicatorsView]  # up to three, oldest first (a year apart when possible)
    history: list[IndicatorsView]  # every month with values, oldest first
    profile: BusinessProfile | None = None
    monthly: list[MonthlyPoint] = field(default_factory=list)
    flags: list[FlagView] | None = None  # None: no flags consent (left out, said so)
    missing: list[Category] = field(default_factory=list)  # parts left out for want of consent
    # the newest dialogue record the user may read (support cases, 定性・面談記録) and the
    # non-financial ロカベン items of the newest period entered in a case the user may read
    dialogue: DialogueView | None = None
    non_financial: list[NonFinancialView] = field(default_factory=list)


def read_dialogue_parts(
    session: Session, actor: Actor, business_id: int, purpose: Purpose, today: date | None
) -> tuple[DialogueView | None, list[NonFinancialView]]:
    """The newest dialogue and the newest period's non-financial items, from the cases the user
    may read (``access.cases``: its organisation's own, others' under a 定性 consent; the owner
    only the records shared with them, and no non-financial items)."""
    if actor.role == Role.OWNER:
        shared = shared_dialogues(session, actor, business_id, purpose)
        return (shared[0] if shared else None), []
    if actor.role != Role.OFFICER:
        return None, []
    dialogues: list[DialogueView] = []
    items: list[NonFinancialView] = []
    for row in list_cases(session, actor, purpose, business_id=business_id, today=today)[:10]:
        detail = read_case(session, actor, row.id, purpose, today=today)
        dialogues += detail.dialogues
        items += detail.non_financial
    newest = max(dialogues, key=lambda d: (d.held_on, d.id), default=None)
    if items:
        period = max(n.period for n in items)
        items = [n for n in items if n.period == period]
    return newest, items


def pick_periods(history: list[IndicatorsView], n: int = 3) -> list[IndicatorsView]:
    """The latest month with values and, before it, the newest month at least twelve months
    earlier than the one after it (a year apart, as ロカベン's three fiscal periods); when the
    history has none that old, the next older month. Oldest first."""
    have = [v for v in history if v.as_of is not None]
    if not have:
        return []
    chosen = [have[-1]]
    rest = have[:-1]
    while rest and len(chosen) < n:
        after = chosen[-1].as_of
        assert after is not None
        year_back = [
            v
            for v in rest
            if v.as_of is not None
            and (after.year - v.as_of.year) * 12 + after.month - v.as_of.month >= 12
        ]
        pick = year_back[-1] if year_back else rest[-1]
        chosen.append(pick)
        rest = rest[: rest.index(pick)]
    return list(reversed(chosen))


def gather(
    session: Session,
    actor: Actor,
    data_dir: Path,
    business_id: int,
    purpose: Purpose,
    *,
    with_flags: bool = True,
    with_monthly: bool = True,
    today: date | None = None,
) -> DocumentData:
    """Read what a document needs; ``NotFound`` without a financials consent (audited)."""
    history = read_indicator_history(session, actor, data_dir, business_id, purpose, today=today)
    missing: list[Category] = []

    def may(category: Category) -> bool:
        ok = decide_by_id(session, actor, business_id, category, purpose, today).allowed
        if not ok:
            missing.append(category)
        return ok

    profile = (
        read_business_profile(session, actor, business_id, purpose=purpose, today=today)
        if may(Category.PROFILE)
        else None
    )
    monthly = (
        read_monthly_series(session, actor, business_id, months=36, purpose=purpose, today=today)
        if with_monthly
        else []
    )
    flags = None
    if with_flags and may(Category.FLAGS):
        flags = read_flags(session, actor, business_id, purpose, today=today)
    dialogue, non_financial = read_dialogue_parts(session, actor, business_id, purpose, today)
    return DocumentData(
        business_id=business_id,
        business_name=profile.name if profile is not None else f"事業者 {business_id}",
        purpose=purpose,
        periods=pick_periods(history),
        history=history,
        profile=profile,
        monthly=monthly,
        flags=flags,
        missing=missing,
        dialogue=dialogue,
        non_financial=non_financial,
    )


def period_label(v: IndicatorsView) -> str:
    """2026年9月末 (the month the values are of)."""
    assert v.as_of is not None
    return f"{v.as_of.year}年{v.as_of.month}月末"
