"""Reads of an organisation's own responses to flags (state, reason, assignee, due date, history).

Only ever the reading organisation's rows: ``org_id == actor.org_id`` is part of every query
here, so no organisation reads another's state or reasons. The flag itself is gated by the
caller (``access_business_by_id`` on category ``flags`` and the flag's pack scope).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, Subquery, and_, case, func, literal, select, true
from sqlalchemy.orm import Session, aliased

from kizashi.domain.vocabulary import OPEN_STATES, FlagState, Purpose, RunStatus
from kizashi.store.models import Flag, FlagResponse, FlagResponseEvent, MonitoringRun, User

from .actor import Actor
from .rule import flag_rows


@dataclass(frozen=True)
class ResponseEventView:
    """One change of an organisation's response: by a person (``user_name``) or by the run."""

    at: datetime
    user_name: str | None  # None: the monitoring run
    field: str  # state | assignee (old/new: display names) | due_on | note
    old: str | None
    new: str | None
    reason: str | None


def response_state(flag: Flag, response: FlagResponse | None) -> FlagState:
    """An organisation's state of a flag: its own response's, else 新規 while the flag is open
    and 解消 once the run closed it."""
    if response is not None:
        return FlagState(response.state)
    return FlagState.NEW if flag.is_open else FlagState.RESOLVED


def latest_runs(session: Session, pack_refs: set[str]) -> dict[str, int]:
    """Each pack's latest finished run id ("new since the last run": first found by it)."""
    if not pack_refs:
        return {}
    rows = session.execute(
        select(MonitoringRun.pack_ref, func.max(MonitoringRun.id))
        .where(MonitoringRun.pack_ref.in_(pack_refs), MonitoringRun.status == RunStatus.FINISHED)
        .group_by(MonitoringRun.pack_ref)
    ).all()
    return {ref: int(rid) for ref, rid in rows}


def own_responses(
    session: Session, actor: Actor, flag_ids: list[int]
) -> tuple[dict[int, FlagResponse], dict[int, str]]:
    """The actor's organisation's responses to these flags (never another's), and the display
    names of their assignees."""
    if not flag_ids or actor.org_id is None:
        return {}, {}
    responses: dict[int, FlagResponse] = {}
    for i in range(0, len(flag_ids), 500):
        for r in session.execute(
            select(FlagResponse).where(
                FlagResponse.org_id == actor.org_id,
                FlagResponse.flag_id.in_(flag_ids[i : i + 500]),
            )
        ).scalars():
            responses[r.flag_id] = r
    users = {r.assignee_user_id for r in responses.values() if r.assignee_user_id}
    names: dict[int, str] = (
        {
            int(k): str(v)
            for k, v in session.execute(
                select(User.id, User.display_name).where(User.id.in_(users))
            ).all()
        }
        if users
        else {}
    )
    return responses, names


def response_history(session: Session, actor: Actor, flag_id: int) -> list[ResponseEventView]:
    """The actor's organisation's history of one flag, oldest first (caller gates the flag)."""
    if actor.org_id is None:
        return []
    rows = session.execute(
        select(FlagResponseEvent, User.display_name)
        .outerjoin(User, User.id == FlagResponseEvent.user_id)
        .where(FlagResponseEvent.flag_id == flag_id, FlagResponseEvent.org_id == actor.org_id)
        .order_by(FlagResponseEvent.at, FlagResponseEvent.id)
    ).all()
    # an assignment reads as people's names (always users of the same organisation)
    ids = {int(v) for e, _ in rows if e.field == "assignee" for v in (e.old, e.new) if v}
    names = (
        {
            str(k): str(v)
            for k, v in session.execute(
                select(User.id, User.display_name).where(
                    User.id.in_(ids), User.org_id == actor.org_id
                )
            ).all()
        }
        if ids
        else {}
    )

    def shown(e: FlagResponseEvent, value: str | None) -> str | None:
        return names.get(value, value) if e.field == "assignee" and value else value

    return [
        ResponseEventView(e.at, name, e.field, shown(e, e.old), shown(e, e.new), e.reason)
        for e, name in rows
    ]


# Severity weights of the run's priority (engine.spec.packs.SEVERITIES), here as SQL.
_WEIGHTS = {"critical": 8, "high": 4, "medium": 2, "low": 1}


def queue_counts(
    actor: Actor,
    purpose: Purpose,
    on: date,
    *,
    state: FlagState | None = None,
    assignee_user_id: int | None = None,
) -> Subquery:
    """Per business, the flags the actor may see counted by what they are **for the actor's
    organisation** (one SQL subquery, joined by the portfolio):

    ``open_<severity>``/``points``: open episodes still open for it (新規, 確認済, 対応中 —
    no response yet counts as 新規); ``new_since_last_run``: of those, first found by the latest
    finished run of their pack; ``handled``: open episodes it marked 対応不要 (or that its
    response shows as 解消); ``matched``: flags in ``state`` for it and/or open ones assigned to
    ``assignee_user_id`` (the portfolio's filters).
    """
    r = aliased(FlagResponse)
    no_answer = r.id.is_(None)
    open_for_me = Flag.is_open & (no_answer | r.state.in_(sorted(OPEN_STATES)))
    latest = (
        select(func.max(MonitoringRun.id))
        .where(MonitoringRun.pack_ref == Flag.pack_ref, MonitoringRun.status == RunStatus.FINISHED)
        .correlate(Flag)
        .scalar_subquery()
    )
    match: ColumnElement[bool] = true()
    if state is not None:
        if state == FlagState.NEW:
            match = Flag.is_open & (no_answer | (r.state == FlagState.NEW))
        elif state == FlagState.RESOLVED:
            match = (r.state == FlagState.RESOLVED) | (no_answer & ~Flag.is_open)
        else:
            match = r.state == state
    if assignee_user_id is not None:
        match = and_(match, Flag.is_open, r.assignee_user_id == assignee_user_id)

    def n(cond: ColumnElement[bool]) -> ColumnElement[int]:
        return func.count(case((cond, 1)))

    points = sum(
        (n(open_for_me & (Flag.severity == sev)) * w for sev, w in _WEIGHTS.items()),
        start=literal(0),
    )
    return (
        select(
            Flag.business_id.label("business_id"),
            *(n(open_for_me & (Flag.severity == sev)).label(f"open_{sev}") for sev in _WEIGHTS),
            points.label("points"),
            n(open_for_me & (Flag.first_run_id == latest)).label("new_since_last_run"),
            n(Flag.is_open & ~no_answer & r.state.in_(["resolved", "not_needed"])).label("handled"),
            n(match).label("matched"),
        )
        .select_from(Flag)
        .outerjoin(r, (r.flag_id == Flag.id) & (r.org_id == (actor.org_id or -1)))
        .where(flag_rows(actor, purpose, on))
        .group_by(Flag.business_id)
        .subquery("queue")
    )


def assignable_users(session: Session, actor: Actor) -> list[tuple[int, str]]:
    """The people an organisation may give its flags to: its own active officers (the
    business: its owners), by name. Not business data: one's own colleagues."""
    if actor.org_id is None:
        return []
    rows = session.execute(
        select(User.id, User.display_name)
        .where(
            User.org_id == actor.org_id,
            User.active.is_(True),
            User.role.in_(["officer", "owner"]),
        )
        .order_by(User.display_name, User.id)
    ).all()
    return [(int(i), str(n)) for i, n in rows]
