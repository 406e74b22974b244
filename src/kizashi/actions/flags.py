"""An organisation's own response to a flag: its state, reason, assignee and due date.

A flag is a fact about the business (the monitoring run opens and closes it); how each
organisation answers it — the business itself included — is that organisation's own
``FlagResponse`` row, and every change is a ``FlagResponseEvent`` (who, when, what, why).
No organisation reads another's row.

The moves are a person's moves in ``domain.vocabulary.FLAG_MOVES``: 新規 → 確認済 → 対応中, or
対応不要 with a reason. 解消 is never set by hand: it is the run's finding that the condition
cleared, applied to every organisation's response by :func:`move_responses_for_run`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizashi.access import Actor, access_business_by_id
from kizashi.access.flag_responses import response_state
from kizashi.access.monitoring import _flag_scope
from kizashi.domain.refusals import Refused
from kizashi.domain.vocabulary import (
    OPEN_STATES,
    OWNER_MAY_SET,
    Category,
    FlagEvent,
    FlagState,
    Purpose,
    Role,
    person_moves,
    run_move,
)
from kizashi.store.audit import AuditRecord, audit_write
from kizashi.store.errors import NotFound, with_audit
from kizashi.store.models import Flag, FlagResponse, FlagResponseEvent, User

# A person's moves from each state (FLAG_MOVES, event ``person``).
ALLOWED = {state: set(person_moves(state)) for state in FlagState}


class ReasonRequired(Refused):
    """対応不要 without a reason (the pages and the CLI ask for the reason)."""


class Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset()


@dataclass(frozen=True)
class ResponseChange:
    """What a person asks to change; a field left UNSET stays as it is."""

    state: FlagState | Unset = UNSET
    reason: str | None = None
    assignee_user_id: int | Unset | None = UNSET
    due_on: date | Unset | None = UNSET


def _gate(
    session: Session, actor: Actor, flag_id: int, purpose: Purpose, today: date | None, action: str
) -> Flag:
    """The flag, if the actor may read it (category ``flags``); the same NotFound otherwise."""
    flag = session.get(Flag, flag_id)
    if flag is None:
        raise NotFound(f"flag {flag_id} not found")
    access_business_by_id(
        session,
        actor,
        flag.business_id,
        Category.FLAGS,
        purpose,
        action=action,
        today=today,
    )
    visible = session.query(Flag.id).filter(Flag.id == flag_id).filter(_flag_scope(actor)).first()
    if visible is None or actor.org_id is None:
        raise NotFound(f"flag {flag_id} not found")
    return flag


def _check_assignee(session: Session, actor: Actor, user_id: int) -> User:
    user = session.get(User, user_id)
    if (
        user is None
        or user.org_id != actor.org_id
        or not user.active
        or user.role not in (Role.OFFICER, Role.OWNER)
    ):
        raise Refused(
            "担当者は自組織の有効な担当者から選んでください",
            "Choose the assignee among the active users of your organisation.",
        )
    return user


def do_update_flag_response(
    session: Session,
    actor: Actor,
    *,
    flag_id: int,
    change: ResponseChange,
    purpose: Purpose,
    today: date | None = None,
) -> FlagResponse:
    """Change the actor's organisation's response to a flag (state, assignee, due date).

    Refusals (a move the table does not allow, the owner setting more than 確認済, 対応不要
    without a reason, an assignee outside the organisation) change nothing and are audited.
    """
    # a state change is audited as change_flag_state, an assignment / due date as assign_flag
    action = "change_flag_state" if isinstance(change.state, FlagState) else "assign_flag"
    flag = _gate(session, actor, flag_id, purpose, today, action)
    org_id = actor.org_id
    assert org_id is not None
    response = session.execute(
        select(FlagResponse).where(FlagResponse.flag_id == flag.id, FlagResponse.org_id == org_id)
    ).scalar_one_or_none()
    before = response_state(flag, response)

    def refused(exc: Exception) -> Exception:
        return with_audit(
            exc,
            AuditRecord(
                action=action,
                decision="deny",
                actor_user_id=actor.user_id,
                actor_org_id=actor.org_id,
                business_id=flag.business_id,
                category=Category.FLAGS.value,
                purpose=purpose.value,
                object_type="flag",
                object_id=str(flag.id),
                detail={"login": actor.login, "old": before.value, "reason": str(exc)},
            ),
        )

    reason = change.reason.strip() if change.reason and change.reason.strip() else None
    changes: list[tuple[str, str | None, str | None]] = []
    new_state = before
    if isinstance(change.state, FlagState):
        state = change.state
        if actor.role == Role.OWNER and state not in OWNER_MAY_SET:
            raise refused(
                PermissionError("the business marks a flag as seen (確認済); staff handle the rest")
            )
        if state != before:
            if state not in person_moves(before):
                raise refused(
                    ValueError(f"a flag in state {before.value} cannot move to {state.value}")
                )
            changes.append(("state", before.value, state.value))
            new_state = state
        if state == FlagState.NOT_NEEDED and reason is None:
            raise refused(
                ReasonRequired("対応不要には理由が必要です", "Not needed requires a reason.")
            )
    old_assignee = response.assignee_user_id if response else None
    new_assignee = old_assignee
    if not isinstance(change.assignee_user_id, Unset):
        if change.assignee_user_id is not None:
            try:
                _check_assignee(session, actor, change.assignee_user_id)
            except ValueError as exc:
                raise refused(exc) from None
        new_assignee = change.assignee_user_id
        if new_assignee != old_assignee:
            changes.append(("assignee", _str(old_assignee), _str(new_assignee)))
    old_due = response.due_on if response else None
    new_due = old_due
    if not isinstance(change.due_on, Unset):
        new_due = change.due_on
        if new_due != old_due:
            changes.append(("due_on", _str(old_due), _str(new_due)))
    now = datetime.now(UTC)
    if response is None:
        response = FlagResponse(flag_id=flag.id, org_id=org_id, state=before)
        session.add(response)
    response.state = new_state
    if any(c[0] == "state" for c in changes) or reason is not None:
        response.reason = reason
    response.assignee_user_id = new_assignee
    response.due_on = new_due
    response.updated_at = now
    response.updated_by_user_id = actor.user_id
    if not changes and reason is not None:
        changes.append(("note", None, None))  # a note alone is a change of its own
    for field, old, new in changes:
        session.add(
            FlagResponseEvent(
                flag_id=flag.id,
                org_id=org_id,
                at=now,
                user_id=actor.user_id,
                field=field,
                old=old,
                new=new,
                reason=reason,
            )
        )
    session.flush()
    audit_write(
        session,
        actor,
        action,
        object_type="flag",
        object_id=flag.id,
        business_id=flag.business_id,
        changes=[{"field": f, "old": o, "new": n} for f, o, n in changes],
        reason=reason,
    )
    return response


def _str(value: object | None) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)


def do_change_flag_state(
    session: Session,
    actor: Actor,
    *,
    flag_id: int,
    state: FlagState,
    purpose: Purpose,
    reason: str | None = None,
    today: date | None = None,
) -> FlagResponse:
    """Move the actor's organisation's response to ``state`` (with an optional reason)."""
    return do_update_flag_response(
        session,
        actor,
        flag_id=flag_id,
        change=ResponseChange(state=state, reason=reason),
        purpose=purpose,
        today=today,
    )


def do_assign_flag(
    session: Session,
    actor: Actor,
    *,
    flag_id: int,
    assignee_user_id: int | Unset | None = UNSET,
    due_on: date | Unset | None = UNSET,
    purpose: Purpose,
    reason: str | None = None,
    today: date | None = None,
) -> FlagResponse:
    """Give the actor's organisation's response an assignee and/or a due date (None clears)."""
    return do_update_flag_response(
        session,
        actor,
        flag_id=flag_id,
        change=ResponseChange(assignee_user_id=assignee_user_id, due_on=due_on, reason=reason),
        purpose=purpose,
        today=today,
    )


def move_responses_for_run(
    session: Session,
    *,
    closed: Iterable[int] = (),
    gone: Iterable[int] = (),
    reopened: Iterable[int] = (),
    run_id: int | None = None,
) -> int:
    """Apply the run's findings (FLAG_MOVES, events closed / gone / open) to every
    organisation's response of the flags whose episode closed, vanished or reopened; each
    change is a history entry by the run (no person). Audited with the run's own event.
    Returns the number of responses moved."""
    now = datetime.now(UTC)
    moved = 0
    for ids, event in (
        (list(closed), FlagEvent.CLOSED),
        (list(gone), FlagEvent.GONE),
        (list(reopened), FlagEvent.OPEN),
    ):
        if not ids:
            continue
        for i in range(0, len(ids), 500):
            rows = session.execute(
                select(FlagResponse).where(FlagResponse.flag_id.in_(ids[i : i + 500]))
            ).scalars()
            for r in rows:
                before = FlagState(r.state)
                if event == FlagEvent.OPEN and before in OPEN_STATES:
                    continue  # still open for this organisation: nothing to carry
                after = run_move(before, event)
                if after == before:
                    continue
                r.state = after
                r.updated_at = now
                r.updated_by_user_id = None
                session.add(
                    FlagResponseEvent(
                        flag_id=r.flag_id,
                        org_id=r.org_id,
                        at=now,
                        user_id=None,
                        run_id=run_id,
                        field="state",
                        old=before.value,
                        new=after.value,
                        reason=None,
                    )
                )
                moved += 1
    return moved
