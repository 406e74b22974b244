"""An organisation's own rule pack: install a new version (checked first) and make it active."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kizashi.access import Actor, require_role
from kizashi.domain.vocabulary import OrgKind, Role
from kizashi.engine.spec.packs import default_pack, load_pack_text
from kizashi.store.audit import audit_write
from kizashi.store.models import Organisation, RulePack


def do_install_rule_pack(
    session: Session, actor: Actor, *, org: Organisation, yaml_text: str
) -> RulePack:
    """Store the pack as a new version for ``org`` and make it the org's active pack.

    Every problem in the pack is reported at once (``PackError``); nothing is stored then.
    The pack id must not be the shipped default's, and a version is never overwritten.
    """
    require_role(actor, Role.ADMIN, Role.OFFICER)
    if not actor.is_system and actor.org_id != org.id:
        raise PermissionError("an organisation installs only its own packs")
    if org.kind == OrgKind.BUSINESS:
        raise PermissionError("rule packs belong to institutions")
    pack = load_pack_text(yaml_text)  # raises PackError with every problem and its line
    if pack.id == default_pack().id:
        raise ValueError(
            f"change the pack id (it is still {pack.id!r}): an organisation's pack needs its own id"
        )
    clash = session.execute(
        select(RulePack).where(RulePack.pack_id == pack.id, RulePack.version == pack.version)
    ).scalar_one_or_none()
    if clash is not None:
        raise ValueError(f"{pack.ref} is already installed: give the changed pack a new version")
    others = (
        session.execute(select(RulePack.org_id).where(RulePack.pack_id == pack.id)).scalars().all()
    )
    if any(o != org.id for o in others):
        raise ValueError(f"pack id {pack.id!r} belongs to another organisation")
    session.execute(update(RulePack).where(RulePack.org_id == org.id).values(active=False))
    row = RulePack(
        org_id=org.id,
        pack_id=pack.id,
        version=pack.version,
        title=pack.ja,
        yaml_text=yaml_text,
        active=True,
        created_by_user_id=actor.user_id,
        created_at=datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    audit_write(
        session,
        actor,
        "install_rule_pack",
        object_type="rule_pack",
        object_id=row.id,
        pack=pack.ref,
        org_id=org.id,
        based_on=pack.based_on,
    )
    return row
