"""Risk model versions: record a trained version and make one active (both audited)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from kizashi.access import Actor
from kizashi.access.policy import require_role
from kizashi.domain.vocabulary import Role
from kizashi.model import registry
from kizashi.store.audit import audit_write


def do_record_risk_model(
    session: Session, actor: Actor, *, version: str, meta: dict[str, Any]
) -> None:
    """Audit a newly trained version (its files are already written, not yet active)."""
    require_role(actor, Role.ADMIN)
    m = (meta.get("metrics") or {}).get("model") or {}
    audit_write(
        session,
        actor,
        "risk_model_trained",
        object_type="risk_model",
        object_id=version,
        cutoff=meta.get("cutoff"),
        train_rows=(meta.get("train") or {}).get("rows"),
        test_rows=(meta.get("test") or {}).get("rows"),
        auc=m.get("auc"),
    )


def do_activate_risk_model(
    session: Session, actor: Actor, *, data_dir: Path, version: str
) -> str | None:
    """Make ``version`` the model every later monitoring run scores with; returns the version
    that was active before (None: none). Raises ``registry.ModelNotFound``."""
    require_role(actor, Role.ADMIN)
    registry.read_doc(data_dir, version)  # it must exist
    before = registry.active_version(data_dir)
    audit_write(
        session,
        actor,
        "risk_model_activated",
        object_type="risk_model",
        object_id=version,
        previous=before,
    )
    session.flush()  # the audit row is in the unit of work before the pointer moves
    registry.set_active(data_dir, version, actor.login or "system")
    return before
