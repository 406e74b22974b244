"""Risk models per organisation (ADR 0010): which version an organisation scores with, which
versions its administrator may see, and what an organisation's training reads.

- A version belongs to the organisation that trained it (``meta.owner_org_id`` in its files) or
  to the deployment (None: trained by the operator at the command line over the whole store).
- An organisation scores with its own active version (``risk_model_active``), else with the
  deployment's (``<data_dir>/models/active.json``): the fallback for organisations without
  their own.
- An administrator sees and activates its organisation's versions; it sees the deployment's
  (the fallback it scores with) but cannot activate them; another organisation's versions are
  missing to it (the audited 404). The operator sees and activates every version.
- An organisation's training reads what its officers may read for 期中モニタリング: the
  businesses whose ``financials`` the rule (``access.rule``) opens to the organisation, and, of
  their credit events, only the rows ``rule.credit_event_rows`` opens (its own loans', those
  under a ``loans`` consent, those it recorded). The listing is audited (``list``, object
  ``portfolio``, ``for: train_risk_model``). The administrator never sees the rows: only the
  model trained on them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizashi.domain.vocabulary import Category, OrgKind, Purpose, Role
from kizashi.model import registry
from kizashi.store.models import CreditEvent, Organisation
from kizashi.store.risk_admin_models import RiskModelActive

from .actor import Actor
from .policy import accessible_business_ids, audit_listing, audited_refusal
from .risk_admin import require_model_admin
from .rule import credit_event_rows

TRAINING_PURPOSE = Purpose.MONITORING


@dataclass(frozen=True)
class ActiveModel:
    version: str
    owner_org_id: int | None  # None: the deployment's model (the fallback)


@dataclass(frozen=True)
class TrainingScope:
    """What an organisation's model is trained (or scored) on."""

    org_id: int
    business_ids: tuple[int, ...]  # ascending
    # (business_id, loan_id, kind, occurred_on, days_past_due) of the visible credit events
    events: tuple[tuple[Any, ...], ...]

    def summary(self) -> dict[str, Any]:
        """For the model's meta: the count and a fingerprint of the businesses (sha256 of the
        ascending ids, one per line) — which businesses, without listing them."""
        return {
            "org_id": self.org_id,
            "purpose": TRAINING_PURPOSE.value,
            "category": Category.FINANCIALS.value,
            "businesses": len(self.business_ids),
            "businesses_sha256": fingerprint(self.business_ids),
            "credit_events": len(self.events),
        }


def fingerprint(ids: Sequence[int]) -> str:
    return hashlib.sha256("".join(f"{i}\n" for i in sorted(ids)).encode()).hexdigest()


def org_reader(session: Session, org_id: int) -> Actor:
    """The organisation as its officers read: the actor the consent rule is asked about for
    the organisation's own model (no user: the audit names the administrator who asked)."""
    org = session.get(Organisation, org_id)
    kind = org.kind if org is not None else OrgKind.BANK
    return Actor(
        user_id=None, org_id=org_id, org_kind=kind, role=Role.OFFICER, login=f"org-{org_id}"
    )


def org_active_versions(session: Session) -> dict[int, str]:
    """Every organisation's own active version."""
    rows = session.execute(select(RiskModelActive.org_id, RiskModelActive.version)).all()
    return {int(o): str(v) for o, v in rows}


def active_model(session: Session, data_dir: Path, org_id: int | None) -> ActiveModel | None:
    """The version ``org_id`` scores with: its own active one, else the deployment's (None:
    neither). Not business data: which model file applies to a reader's organisation."""
    row = session.get(RiskModelActive, org_id) if org_id is not None else None
    if row is not None:
        return ActiveModel(row.version, org_id)
    version = registry.active_version(data_dir)
    return ActiveModel(version, None) if version else None


def model_org(actor: Actor, org_id: int | None = None) -> int | None:
    """The organisation whose models ``actor`` administers: its own; the operator: ``org_id``
    (None: the deployment's)."""
    require_model_admin(actor)
    return org_id if actor.is_system else actor.org_id


def read_model_doc(actor: Actor, data_dir: Path, version: str) -> dict[str, Any]:
    """The version's document if ``actor`` may see it (its organisation's, or the deployment's);
    another organisation's: the audited 404, like a missing one. Raises ``ModelNotFound``
    when there is no such version."""
    require_model_admin(actor)
    doc = registry.read_doc(data_dir, version)
    owner = registry.owner_of(doc)
    if not actor.is_system and owner is not None and owner != actor.org_id:
        raise audited_refusal(actor, "read_risk_model", "risk_model", "another organisation's")
    return doc


def visible_versions(session: Session, actor: Actor, data_dir: Path) -> list[dict[str, Any]]:
    """The versions ``actor`` may see, newest first; ``active``: the one its organisation
    scores with (the operator: each version's owner's active one, or the deployment's)."""
    require_model_admin(actor)
    if actor.is_system:
        own = org_active_versions(session)
        deployment = registry.active_version(data_dir)
        rows = registry.list_versions(data_dir, use_deployment_active=False)
        for r in rows:
            o = r["owner_org_id"]
            r["active"] = r["version"] == (deployment if o is None else own.get(o))
        return rows
    current = active_model(session, data_dir, actor.org_id)
    rows = registry.list_versions(
        data_dir, active=current.version if current else None, use_deployment_active=False
    )
    return [r for r in rows if r["owner_org_id"] in (None, actor.org_id)]


def training_scope(
    session: Session, actor: Actor, org_id: int, on: date | None = None, *, audit: bool = True
) -> TrainingScope:
    """The businesses and credit events organisation ``org_id``'s model learns from (module
    text); the listing is audited under ``actor`` (an administrator of ``org_id`` or the
    operator). ``audit=False``: the monitoring run's scoring (a system job, like its inputs)."""
    if audit and model_org(actor, org_id) != org_id:
        raise audited_refusal(actor, "train_risk_model", "risk_model", "another organisation")
    on = on or date.today()
    reader = org_reader(session, org_id)
    ids = tuple(
        sorted(
            int(i)
            for i in session.execute(
                accessible_business_ids(reader, Category.FINANCIALS, TRAINING_PURPOSE, on)
            ).scalars()
        )
    )
    events: tuple[tuple[Any, ...], ...] = ()
    if ids:
        visible = set(ids)
        rows = session.execute(
            select(
                CreditEvent.business_id,
                CreditEvent.loan_id,
                CreditEvent.kind,
                CreditEvent.occurred_on,
                CreditEvent.days_past_due,
            )
            .where(credit_event_rows(reader, TRAINING_PURPOSE, on))
            .order_by(CreditEvent.id)
        ).all()
        events = tuple(tuple(r) for r in rows if r[0] in visible)
    scope = TrainingScope(org_id, ids, events)
    if audit:
        audit_listing(
            session,
            actor,
            Category.FINANCIALS,
            TRAINING_PURPOSE,
            len(ids),
            {"for": "train_risk_model", "org_id": org_id, "credit_events": len(events)},
        )
    return scope
