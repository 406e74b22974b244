"""A person moves a flag through its workflow: 新規 → 確認済 → 対応中, or 対応不要 with a reason.

The moves are a person's moves in ``domain.vocabulary.FLAG_MOVES``. 解消 is never set by hand:
it is the monitoring run's finding that the condition cleared.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from kizashi.access import Actor, access_business_by_id
from kizashi.access.monitoring import _flag_scope
from kizashi.domain.vocabulary import (
    OWNER_MAY_SET,
    Category,
    FlagState,
    Purpose,
    Role,
    person_moves,
)
from kizashi.store.audit import AuditRecord, audit_write
from kizashi.store.errors import NotFound, with_audit
from kizashi.store.models import Flag

# A person's moves from each state (FLAG_MOVES, event ``person``).
ALLOWED = {state: set(person_moves(state)) for state in FlagState}


def do_change_flag_state(
    session: Session,
    actor: Actor,
    *,
    flag_id: int,
    state: FlagState,
    purpose: Purpose,
    reason: str | None = None,
    today: date | None = None,
) -> Flag:
    flag = session.get(Flag, flag_id)
    if flag is None:
        raise NotFound(f"flag {flag_id} not found")
    # Reading the flag is the gate: whoever may not see it gets the same NotFound.
    access_business_by_id(
        session,
        actor,
        flag.business_id,
        Category.FLAGS,
        purpose,
        action="change_flag_state",
        today=today,
    )
    visible = session.query(Flag.id).filter(Flag.id == flag_id).filter(_flag_scope(actor)).first()
    if visible is None:
        raise NotFound(f"flag {flag_id} not found")
    current = FlagState(flag.state)

    def refused(exc: Exception) -> Exception:
        return with_audit(
            exc,
            AuditRecord(
                action="change_flag_state",
                decision="deny",
                actor_user_id=actor.user_id,
                actor_org_id=actor.org_id,
                business_id=flag.business_id,
                category=Category.FLAGS.value,
                purpose=purpose.value,
                object_type="flag",
                object_id=str(flag.id),
                detail={
                    "login": actor.login,
                    "old": current.value,
                    "new": state.value,
                    "reason": str(exc),
                },
            ),
        )

    if actor.role == Role.OWNER and state not in OWNER_MAY_SET:
        raise refused(
            PermissionError("the business marks a flag as seen (確認済); staff handle the rest")
        )
    if state not in person_moves(current):
        raise refused(ValueError(f"a flag in state {current.value} cannot move to {state.value}"))
    if state == FlagState.NOT_NEEDED and not (reason and reason.strip()):
        raise refused(
            ValueError("対応不要には理由が必要です (a reason is required for not_needed)")
        )
    flag.state = state
    flag.state_reason = reason.strip() if reason else None
    flag.updated_at = datetime.now(UTC)
    audit_write(
        session,
        actor,
        "change_flag_state",
        object_type="flag",
        object_id=flag.id,
        business_id=flag.business_id,
        old=current.value,
        new=state.value,
        reason=reason,
    )
    return flag
