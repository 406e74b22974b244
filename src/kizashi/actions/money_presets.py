"""An organisation's saved layouts for bank CSVs and balance lists (入出金明細の列の設定).

Saved by ``actions.bank.do_save_money_preset`` (beside the trial-balance column mappings, under
the ``money:`` prefix); listed and deleted here. A layout belongs to one organisation: its
owners, officers and administrators save and delete it; any of its users may use it when
uploading. Both writes are audited.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizashi.access import Actor
from kizashi.store.audit import audit_write
from kizashi.store.models import ColumnMappingPreset

from .bank import PRESET_PREFIX
from .mappings import PRESET_ROLES


@dataclass(frozen=True)
class MoneyPreset:
    name: str
    columns: dict[str, str]  # logical field → header text or 1-based column number
    saved_at: datetime


def list_money_presets(session: Session, actor: Actor) -> list[MoneyPreset]:
    """The actor's organisation's saved bank-file layouts, by name (none for the system)."""
    rows = session.execute(
        select(ColumnMappingPreset)
        .where(
            ColumnMappingPreset.org_id == actor.org_id,
            ColumnMappingPreset.name.startswith(PRESET_PREFIX, autoescape=True),
        )
        .order_by(ColumnMappingPreset.name)
    ).scalars()
    return [
        MoneyPreset(
            r.name[len(PRESET_PREFIX) :],
            {str(k): str(v) for k, v in json.loads(r.mapping_json)["money_columns"].items()},
            r.created_at,
        )
        for r in rows
    ]


def check_preset_role(actor: Actor) -> None:
    """Only the organisation's owners, officers and administrators change its layouts."""
    if not actor.is_system and actor.role not in PRESET_ROLES:
        raise PermissionError("only the organisation's owners, officers and administrators")


def do_delete_money_preset(session: Session, actor: Actor, name: str) -> None:
    """Delete the actor's organisation's layout ``name`` (``LookupError`` when there is none)."""
    check_preset_role(actor)
    row = session.execute(
        select(ColumnMappingPreset).where(
            ColumnMappingPreset.org_id == actor.org_id,
            ColumnMappingPreset.name == PRESET_PREFIX + name,
        )
    ).scalar_one_or_none()
    if row is None:
        raise LookupError(name)
    audit_write(
        session,
        actor,
        "delete_money_preset",
        object_type="column_mapping_preset",
        object_id=row.id,
        org_id=actor.org_id,
        name=name,
    )
    session.delete(row)
    session.flush()
