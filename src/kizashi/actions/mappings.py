"""What a person tells kizashi once: account confirmations and column-layout presets.

* ``do_confirm_account_mapping``: "this business's 「雑費(本社)」 in its 弥生 files is
  misc_expense" — remembered per business and source format, so it is never asked again
  (``load_confirmations`` feeds it to every later import of that business).
* ``do_save_column_mapping``: an organisation's saved ``ColumnMapping`` for a trial-balance
  layout kizashi has not seen, used by name (``load_column_preset``).

Both are writes: checked, then audited.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizashi.access import Actor, access_business_for_upload
from kizashi.domain.chart import load_chart
from kizashi.domain.vocabulary import Role
from kizashi.ingest import ColumnMapping, IngestError, load_importers
from kizashi.ingest.mapping import CLEARING, normalise_name
from kizashi.store.audit import audit_write
from kizashi.store.models import AccountMapping, ColumnMappingPreset

KEY_MAX = 200  # AccountMapping.as_reported_key / as_reported_name
PRESET_ROLES = frozenset({Role.OWNER, Role.OFFICER, Role.ADMIN})


def load_confirmations(session: Session, business_id: int) -> dict[str, dict[str, str]]:
    """source format → {as-reported name or its normalised key → standard code}."""
    out: dict[str, dict[str, str]] = {}
    for fmt, key, name, code in session.execute(
        select(
            AccountMapping.source_format,
            AccountMapping.as_reported_key,
            AccountMapping.as_reported_name,
            AccountMapping.item_code,
        ).where(AccountMapping.business_id == business_id)
    ):
        by_key = out.setdefault(fmt, {})
        by_key[key] = code
        by_key[name] = code
    return out


def do_confirm_account_mapping(
    session: Session,
    actor: Actor,
    business_id: int,
    source_format: str,
    as_reported_name: str,
    item_code: str,
) -> AccountMapping:
    """Remember that ``as_reported_name`` in this business's ``source_format`` files is
    ``item_code`` (a standard leaf, or ``_clearing`` for a clearing account such as 諸口).

    Whoever may submit the business's data may confirm (``access_business_for_upload``).
    Confirming again replaces the earlier answer; both are in the audit log.
    """
    access_business_for_upload(session, actor, business_id)
    name = as_reported_name.strip()
    key = normalise_name(name)
    if not key or "\x00" in name:
        raise ValueError("give the account name as it appears in the file")
    if len(name) > KEY_MAX:
        raise ValueError(f"an account name is at most {KEY_MAX} characters")
    chart = load_chart()
    if item_code != CLEARING and (item_code not in chart or chart[item_code].kind != "leaf"):
        raise ValueError(
            f"{item_code!r} is not a standard leaf item (see `kizashi chart`) or {CLEARING!r}"
        )
    if source_format not in load_importers():
        raise ValueError(
            f"unknown source format {source_format!r}; choose from {sorted(load_importers())}"
        )
    row = session.execute(
        select(AccountMapping).where(
            AccountMapping.business_id == business_id,
            AccountMapping.source_format == source_format,
            AccountMapping.as_reported_key == key,
        )
    ).scalar_one_or_none()
    previous = row.item_code if row is not None else None
    now = datetime.now(UTC)
    if row is None:
        row = AccountMapping(
            business_id=business_id, source_format=source_format, as_reported_key=key
        )
        session.add(row)
    row.as_reported_name = name
    row.item_code = item_code
    row.confirmed_by_user_id = actor.user_id
    row.confirmed_at = now
    session.flush()
    audit_write(
        session,
        actor,
        "confirm_account_mapping",
        object_type="account_mapping",
        object_id=row.id,
        business_id=business_id,
        source_format=source_format,
        as_reported_name=name,
        item_code=item_code,
        previous=previous,
    )
    return row


def _check_org(actor: Actor, org_id: int) -> None:
    if actor.is_system:
        return
    if actor.org_id != org_id or actor.role not in PRESET_ROLES:
        raise PermissionError("only the organisation's own users manage its column mappings")


def do_save_column_mapping(
    session: Session, actor: Actor, org_id: int, name: str, mapping: Mapping[str, Any]
) -> ColumnMappingPreset:
    """Save (or replace) the organisation's column mapping ``name``; validated first."""
    _check_org(actor, org_id)
    name = name.strip()
    if not name or len(name) > 120:
        raise ValueError("a preset name is 1 to 120 characters")
    try:
        ColumnMapping.from_dict(dict(mapping))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"invalid column mapping: {exc}") from exc
    text = json.dumps(dict(mapping), ensure_ascii=False, sort_keys=True)
    row = session.execute(
        select(ColumnMappingPreset).where(
            ColumnMappingPreset.org_id == org_id, ColumnMappingPreset.name == name
        )
    ).scalar_one_or_none()
    replaced = row is not None
    if row is None:
        row = ColumnMappingPreset(org_id=org_id, name=name, created_at=datetime.now(UTC))
        session.add(row)
    row.mapping_json = text
    session.flush()
    audit_write(
        session,
        actor,
        "save_column_mapping",
        object_type="column_mapping_preset",
        object_id=row.id,
        org_id=org_id,
        name=name,
        replaced=replaced,
        mapping=json.loads(text),
    )
    return row


def load_column_preset(session: Session, actor: Actor, name: str) -> ColumnMapping:
    """The actor's organisation's preset ``name`` (IngestError, for the uploader, if none)."""
    row = session.execute(
        select(ColumnMappingPreset).where(
            ColumnMappingPreset.org_id == actor.org_id, ColumnMappingPreset.name == name
        )
    ).scalar_one_or_none()
    if row is None:
        raise IngestError(
            f"この組織に保存された列の対応づけ「{name}」はありません",
            f"no saved column mapping named {name!r} in your organisation",
        )
    return ColumnMapping.from_dict(json.loads(row.mapping_json))
