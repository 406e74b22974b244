"""Audit helper shared by the actions."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from kizashi.access import Actor
from kizashi.store.audit import AuditRecord, append_audit


def audit_write(
    session: Session,
    actor: Actor,
    action: str,
    *,
    object_type: str,
    object_id: object,
    business_id: int | None = None,
    **detail: Any,
) -> None:
    append_audit(
        session,
        AuditRecord(
            action=action,
            decision="write",
            actor_user_id=actor.user_id,
            actor_org_id=actor.org_id,
            business_id=business_id,
            object_type=object_type,
            object_id=str(object_id),
            detail={"login": actor.login, **detail},
        ),
    )
