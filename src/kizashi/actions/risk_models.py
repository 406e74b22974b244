"""Risk model versions: record a trained version and make one active (both audited).

A version belongs to the organisation that trained it, or to the deployment (ADR 0010). An
organisation's administrator activates its own versions for its organisation (and ends that:
the deployment's model applies again); the operator at the command line activates the
deployment's fallback model, or an organisation's version for that organisation."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from kizashi.access import Actor
from kizashi.access.org_models import model_org, read_model_doc
from kizashi.access.policy import audited_refusal
from kizashi.access.risk_admin import require_model_admin
from kizashi.model import registry
from kizashi.store.audit import audit_write
from kizashi.store.risk_admin_models import RiskModelActive


def do_record_risk_model(
    session: Session, actor: Actor, *, version: str, meta: dict[str, Any]
) -> None:
    """Audit a newly trained version (its files are already written, not yet active)."""
    require_model_admin(actor)
    m = (meta.get("metrics") or {}).get("model") or {}
    audit_write(
        session,
        actor,
        "risk_model_trained",
        object_type="risk_model",
        object_id=version,
        owner_org_id=meta.get("owner_org_id"),
        businesses=(meta.get("scope") or {}).get("businesses"),
        cutoff=meta.get("cutoff"),
        train_rows=(meta.get("train") or {}).get("rows"),
        test_rows=(meta.get("test") or {}).get("rows"),
        auc=m.get("auc"),
    )


def do_activate_risk_model(
    session: Session, actor: Actor, *, data_dir: Path, version: str
) -> str | None:
    """Make ``version`` the model its owner scores with from the next monitoring run: the
    owner organisation's (its administrator, or the operator), or the deployment's fallback
    (the operator only). Returns the version that was active before for that owner (None:
    none). Raises ``registry.ModelNotFound``; another organisation's version, or the
    deployment's for an organisation's administrator: the audited ``NotFound``."""
    doc = read_model_doc(actor, data_dir, version)  # another organisation's: refused
    owner = registry.owner_of(doc)
    if owner is None:
        if not actor.is_system:
            raise audited_refusal(
                actor, "activate_risk_model", "risk_model", "the deployment's model"
            )
        before = registry.active_version(data_dir)
        audit_write(
            session,
            actor,
            "risk_model_activated",
            object_type="risk_model",
            object_id=version,
            previous=before,
            owner_org_id=None,
        )
        session.flush()  # the audit row is in the unit of work before the pointer moves
        registry.set_active(data_dir, version, actor.login or "system")
        return before
    row = session.get(RiskModelActive, owner)
    before = row.version if row else None
    if row is None:
        row = RiskModelActive(org_id=owner)
        session.add(row)
    row.version = version
    row.activated_at = datetime.now(UTC)
    row.activated_by_user_id = actor.user_id
    session.flush()
    audit_write(
        session,
        actor,
        "risk_model_activated",
        object_type="risk_model",
        object_id=version,
        previous=before,
        owner_org_id=owner,
    )
    return before


def do_deactivate_risk_model(
    session: Session, actor: Actor, *, org_id: int | None = None
) -> str | None:
    """End the organisation's own active version (the operator: of ``org_id``): it scores with
    the deployment's model again. Returns the version that was active (None: none was)."""
    target = model_org(actor, org_id)
    row = session.get(RiskModelActive, target) if target is not None else None
    if row is None:
        return None
    before = row.version
    session.delete(row)
    session.flush()
    audit_write(
        session,
        actor,
        "risk_model_deactivated",
        object_type="risk_model",
        object_id=before,
        owner_org_id=target,
    )
    return before
