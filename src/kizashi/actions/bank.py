"""Storing money that moved: bank statements, e-invoices, receivable/payable schedules.

``do_import_money`` decides the file's consent category from its format (bank statements and
transfer requests: 口座 ``bank_transactions``; invoices and schedules: 請求書 ``invoices``),
checks that the actor may submit that category for the business (audited) before the file is
analysed, checks that the file is about this business, and then stores everything in the
caller's unit of work or nothing:

* a file with errors stores nothing (``reason`` "errors");
* the same bytes again for the same business are a no-op (``duplicate``);
* transactions are unique per account and ``dedup_key``: an overlapping statement adds only
  the movements not stored yet (``skipped`` counts the rest);
* an invoice is unique per business, direction, seller, number, date and kind;
* a schedule (or a 総合振込 request) replaces the open items of its side and source.

The file is about this business: an invoice whose seller and buyer are both someone else is an
error, unless the uploader confirms the direction; an account holder or a named party that
plainly names another company is an error unless ``confirm_other_party``; a holder in
half-width kana that cannot be compared with the business's name is a warning.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kizashi.access import Actor, access_business_for_upload
from kizashi.domain import bank as money
from kizashi.domain.vocabulary import Category
from kizashi.ingest.errors import IngestError, Issue, error, warning
from kizashi.ingest.limits import DEFAULT_MAX_BYTES
from kizashi.ingest.money import (
    MoneyKind,
    MoneyOptions,
    MoneyResult,
    analyse_money,
    default_money_importers,
    sniff_money,
)
from kizashi.store.audit import audit_write
from kizashi.store.models import (
    BankAccount,
    BankTransaction,
    Business,
    ColumnMappingPreset,
    Counterparty,
    Invoice,
    OpenItem,
    Submission,
)
from kizashi.store.rawfiles import put_raw_file

from .mappings import PRESET_ROLES
from .matching import match_business

CATEGORY_OF: dict[MoneyKind, Category] = {
    "bank": Category.BANK_TRANSACTIONS,
    "planned_payments": Category.BANK_TRANSACTIONS,
    "invoices": Category.INVOICES,
    "open_items": Category.INVOICES,
}


@dataclass
class MoneyOutcome:
    business_id: int
    filename: str
    format: str | None = None
    kind: str | None = None
    issues: list[Issue] = field(default_factory=list)
    stored: bool = False
    duplicate: bool = False
    dry_run: bool = False
    submission_id: int | None = None
    raw_sha256: str | None = None
    added: Counter[str] = field(default_factory=Counter)  # table → rows added
    skipped: Counter[str] = field(default_factory=Counter)  # table → rows already stored
    replaced: Counter[str] = field(default_factory=Counter)  # open items replaced
    directions: list[str] = field(default_factory=list)  # invoices: issued / received
    added_transaction_ids: list[int] = field(default_factory=list)
    matched: dict[str, Any] | None = None  # invoices matched to payments after this import

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def reason(self) -> str:
        if self.duplicate:
            return "duplicate"
        if self.errors:
            return "errors"
        return "dry_run" if self.dry_run else "stored"

    @property
    def ok(self) -> bool:
        return self.reason in ("stored", "duplicate", "dry_run")

    def to_dict(self) -> dict[str, Any]:
        return {
            "business_id": self.business_id,
            "filename": self.filename,
            "format": self.format,
            "kind": self.kind,
            "reason": self.reason,
            "stored": self.stored,
            "duplicate": self.duplicate,
            "dry_run": self.dry_run,
            "submission_id": self.submission_id,
            "raw_sha256": self.raw_sha256,
            "added": dict(self.added),
            "skipped": dict(self.skipped),
            "replaced": dict(self.replaced),
            "directions": self.directions,
            "matched": self.matched,
            "issues": [i.to_dict() for i in self.issues],
        }


def money_format_of(data: bytes, filename: str, format: str | None = None) -> str | None:
    """The money format that reads the file (or ``format`` when it is one), else None."""
    if format is not None:
        return format if format in default_money_importers() else None
    found = sniff_money(data, filename)
    return found[0] if found else None


def do_import_money(
    session: Session,
    actor: Actor,
    *,
    business_id: int,
    data: bytes,
    filename: str,
    raw_dir: Path,
    format: str | None = None,
    options: MoneyOptions | None = None,
    direction: str | None = None,
    confirm_other_party: bool = False,
    dry_run: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> MoneyOutcome:
    """Analyse one money file for a business and store it atomically (see the module doc).

    Raises ``NotFound`` (audited) when the actor may not submit the file's category for the
    business; every other problem is in the outcome's issues.
    """
    outcome = MoneyOutcome(business_id, filename, dry_run=dry_run)
    name = money_format_of(data, filename, format)
    importers = default_money_importers()
    kind: MoneyKind = importers[name].kind if name else "bank"
    business = access_business_for_upload(session, actor, business_id, category=CATEGORY_OF[kind])
    if name is None:
        known = ", ".join(sorted(importers))
        outcome.issues.append(
            IngestError(
                f"{filename}: この形式は認識できません（使える形式: {known}）",
                f"{filename}: unrecognised file format (known: {known})",
                file=filename,
            ).issue()
        )
        return outcome
    try:
        result = analyse_money(data, filename, format=name, options=options, max_bytes=max_bytes)
    except IngestError as exc:
        outcome.format = name
        outcome.issues.append(exc.issue(filename))
        return outcome
    outcome.format, outcome.kind = result.format, result.kind
    outcome.issues.extend(result.issues)
    outcome.raw_sha256 = hashlib.sha256(data).hexdigest()
    directions = _check_parties(business, result, outcome, direction, confirm_other_party)
    existing = session.execute(
        select(Submission.id).where(
            Submission.business_id == business.id, Submission.raw_sha256 == outcome.raw_sha256
        )
    ).scalar_one_or_none()
    if existing is not None:
        outcome.duplicate, outcome.submission_id = True, existing
        return outcome
    if outcome.errors or dry_run:
        return outcome
    _store(session, actor, business, result, outcome, directions, data, raw_dir)
    outcome.stored = True
    if outcome.added["bank_transaction"] or outcome.added["invoice"]:
        # invoices and the movements that paid them, in the same unit of work
        outcome.matched = match_business(
            session, actor, business.id, submission_id=outcome.submission_id
        ).to_dict()
    return outcome


# --------------------------------------------------------------------------- the file's party


def _matches(business: Business, party: money.Party) -> bool | None:
    return money.party_is(business.name, business.corporate_number, party)


def _check_parties(
    business: Business,
    result: MoneyResult,
    outcome: MoneyOutcome,
    direction: str | None,
    confirmed: bool,
) -> list[str]:
    """Per invoice its direction; issues for a file about another business."""
    fname = result.filename
    directions: list[str] = []
    for n, inv in enumerate(result.file.invoices, 1):
        seller, buyer = _matches(business, inv.seller), _matches(business, inv.buyer)
        if direction in ("issued", "received"):
            directions.append(direction)
        elif seller and not buyer:
            directions.append("issued")
        elif buyer and not seller:
            directions.append("received")
        else:
            directions.append("")
            outcome.issues.append(
                error(
                    "invoice.not_this_business",
                    f"{fname}: invoice {inv.invoice_id}: neither the seller "
                    f"({inv.seller.name or inv.seller.registration_number}) nor the buyer "
                    f"({inv.buyer.name or inv.buyer.corporate_number}) is {business.name}; "
                    "choose issued or received to store it anyway",
                    file=fname,
                    field="AccountingSupplierParty / AccountingCustomerParty",
                    value=inv.invoice_id,
                    params={"business": business.name, "invoice": inv.invoice_id},
                )
            )
        _ = n
    if result.kind in ("bank", "planned_payments"):
        for party in result.file.named_parties:
            verdict = _matches(business, party)
            if verdict is False and not confirmed:
                outcome.issues.append(
                    error(
                        "upload.other_party",
                        f"{fname}: the account holder {party.name} is not {business.name}; "
                        "confirm to store it for this business anyway",
                        file=fname,
                        field="口座名",
                        value=party.name,
                        params={"business": business.name, "named": party.name},
                    )
                )
            elif verdict is None and party.name:
                outcome.issues.append(
                    warning(
                        "upload.party_unchecked",
                        f"{fname}: the account holder {party.name} could not be compared with "
                        f"{business.name} (half-width kana); check it is this business's account",
                        file=fname,
                        field="口座名",
                        value=party.name,
                    )
                )
    return directions


# --------------------------------------------------------------------------- writes


def _clean(text: str, limit: int) -> str:
    return text.replace("\x00", "\ufffd")[:limit]


def _sha(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()


def _store(
    session: Session,
    actor: Actor,
    business: Business,
    result: MoneyResult,
    outcome: MoneyOutcome,
    directions: list[str],
    data: bytes,
    raw_dir: Path,
) -> None:
    now = datetime.now(UTC)
    put_raw_file(session, raw_dir, data, _clean(result.filename, 400))
    session.flush()
    submission = Submission(
        business_id=business.id,
        raw_sha256=outcome.raw_sha256,
        filename=_clean(result.filename, 400),
        format=_clean(result.format, 64),
        encoding=None,
        uploaded_by_user_id=actor.user_id,
        uploaded_by_org_id=actor.org_id,
        report_json=json.dumps(
            {"kind": result.kind, "issues": [i.to_dict() for i in result.issues]},
            ensure_ascii=False,
        ).replace("\x00", "\ufffd"),
        created_at=now,
    )
    session.add(submission)
    session.flush()
    f = result.file
    _store_transactions(session, business.id, submission.id, f, outcome, now)
    cps = _Counterparties(session, business.id)
    for inv, direction in zip(f.invoices, directions, strict=True):
        _store_invoice(session, business.id, submission.id, inv, direction, cps, outcome)
    if f.open_items:
        _replace_open_items(
            session, business.id, submission.id, f.open_items, "schedule", cps, outcome
        )
    if f.planned_payments:
        items = [
            money.OpenItem(
                side=money.OpenItemSide.PAYABLE,
                counterparty=p.payee,
                amount_yen=p.amount_yen,
                due_date=p.pay_on,
                line=p.line,
            )
            for p in f.planned_payments
        ]
        _replace_open_items(
            session, business.id, submission.id, items, "transfer_request", cps, outcome
        )
    outcome.submission_id = submission.id
    outcome.directions = directions
    audit_write(
        session,
        actor,
        "import_money",
        object_type="submission",
        object_id=submission.id,
        business_id=business.id,
        category=CATEGORY_OF[result.kind].value,
        format=result.format,
        filename=_clean(result.filename, 400),
        raw_sha256=outcome.raw_sha256,
        added=dict(outcome.added),
        skipped=dict(outcome.skipped),
        replaced=dict(outcome.replaced),
    )


def _store_transactions(
    session: Session,
    business_id: int,
    submission_id: int,
    f: money.MoneyFile,
    outcome: MoneyOutcome,
    now: datetime,
) -> None:
    accounts: dict[str, BankAccount] = {}
    for key, ref in f.accounts.items():
        row = session.execute(
            select(BankAccount).where(
                BankAccount.business_id == business_id,
                BankAccount.account_key == _clean(key, 64),  # as stored (no NUL: PostgreSQL)
            )
        ).scalar_one_or_none()
        if row is None:
            row = BankAccount(
                business_id=business_id,
                account_key=_clean(key, 64),
                bank_code=_clean(ref.bank_code, 4),
                branch_code=_clean(ref.branch_code, 3),
                account_type=ref.account_type.value,
                number=_clean(ref.number, 10),
                bank_name=_clean(ref.bank_name, 100),
                branch_name=_clean(ref.branch_name, 100),
                holder=_clean(ref.holder, 200),
                created_at=now,
            )
            session.add(row)
            session.flush()
            outcome.added["bank_account"] += 1
        accounts[key] = row
    seq: Counter[tuple[str, str]] = Counter()
    planned: list[tuple[BankAccount, str, money.BankTransaction]] = []
    for tx in f.transactions:
        base = tx.dedup_key(0)
        seq[(tx.account.key, base)] += 1
        key = _sha(tx.dedup_key(seq[(tx.account.key, base)]))
        planned.append((accounts[tx.account.key], key, tx))
    by_account: dict[int, set[str]] = {}
    for acc in accounts.values():
        keys = [k for a, k, _ in planned if a.id == acc.id]
        have: set[str] = set()
        for i in range(0, len(keys), 500):
            have |= set(
                session.execute(
                    select(BankTransaction.dedup_key).where(
                        BankTransaction.account_id == acc.id,
                        BankTransaction.dedup_key.in_(keys[i : i + 500]),
                    )
                ).scalars()
            )
        by_account[acc.id] = have
    rows = []
    for acc, key, tx in planned:
        if key in by_account[acc.id]:
            outcome.skipped["bank_transaction"] += 1
            continue
        by_account[acc.id].add(key)
        rows.append(
            BankTransaction(
                business_id=business_id,
                account_id=acc.id,
                submission_id=submission_id,
                booked_on=tx.booked_on,
                value_on=tx.value_on,
                amount_yen=tx.amount_yen,
                balance_yen=tx.balance_yen,
                counterparty=_clean(tx.counterparty, 200),
                description=_clean(tx.description, 200),
                kind=tx.kind.value,
                reference=_clean(tx.reference, 100),
                dedup_key=key,
            )
        )
    session.add_all(rows)
    session.flush()
    outcome.added["bank_transaction"] += len(rows)
    outcome.added_transaction_ids.extend(r.id for r in rows)


class _Counterparties:
    def __init__(self, session: Session, business_id: int) -> None:
        self.session = session
        self.business_id = business_id
        self.cache: dict[str, Counterparty] = {}

    def get(self, party: money.Party) -> Counterparty:
        key = _clean(money.match_key(party.name) or party.registration_number or "?", 200)
        if key in self.cache:
            return self.cache[key]
        row = self.session.execute(
            select(Counterparty).where(
                Counterparty.business_id == self.business_id, Counterparty.match_key == key
            )
        ).scalar_one_or_none()
        if row is None:
            row = Counterparty(
                business_id=self.business_id,
                name=_clean(party.name or party.registration_number, 200),
                match_key=key,
                registration_number=party.registration_number or None,
                corporate_number=party.corporate_number or None,
            )
            self.session.add(row)
            self.session.flush()
        else:
            row.registration_number = row.registration_number or party.registration_number or None
            row.corporate_number = row.corporate_number or party.corporate_number or None
        self.cache[key] = row
        return row


def _store_invoice(
    session: Session,
    business_id: int,
    submission_id: int,
    inv: money.Invoice,
    direction: str,
    cps: _Counterparties,
    outcome: MoneyOutcome,
) -> None:
    other = inv.buyer if direction == "issued" else inv.seller
    seller_key = inv.seller.registration_number or money.match_key(inv.seller.name)
    key = _sha(direction, seller_key, inv.invoice_id, inv.issue_date, inv.credit_note)
    exists = session.execute(
        select(Invoice.id).where(Invoice.business_id == business_id, Invoice.dedup_key == key)
    ).scalar_one_or_none()
    if exists is not None:
        outcome.skipped["invoice"] += 1
        return
    cp = cps.get(other)
    session.add(
        Invoice(
            business_id=business_id,
            counterparty_id=cp.id,
            submission_id=submission_id,
            direction=direction,
            invoice_number=_clean(inv.invoice_id, 100),
            issue_date=inv.issue_date,
            due_date=inv.due_date,
            total_yen=inv.total_yen,
            tax_yen=inv.tax_yen,
            payable_yen=inv.payable_yen,
            credit_note=inv.credit_note,
            paid=False,
            source_format=_clean(inv.source_format, 100),
            dedup_key=key,
        )
    )
    session.flush()
    outcome.added["invoice"] += 1


def _replace_open_items(
    session: Session,
    business_id: int,
    submission_id: int,
    items: list[money.OpenItem],
    source: str,
    cps: _Counterparties,
    outcome: MoneyOutcome,
) -> None:
    for side in {i.side for i in items}:
        gone = session.execute(
            delete(OpenItem).where(
                OpenItem.business_id == business_id,
                OpenItem.side == side.value,
                OpenItem.source == source,
            )
        )
        outcome.replaced["open_item"] += int(getattr(gone, "rowcount", 0) or 0)
    for item in items:
        cp = cps.get(money.Party(name=item.counterparty, corporate_number=item.corporate_number))
        session.add(
            OpenItem(
                business_id=business_id,
                counterparty_id=cp.id,
                submission_id=submission_id,
                side=item.side.value,
                source=source,
                amount_yen=item.amount_yen,
                due_date=item.due_date,
                as_of=item.as_of,
                invoice_number=_clean(item.invoice_id, 100),
            )
        )
    session.flush()
    outcome.added["open_item"] += len(items)


# --------------------------------------------------------------------------- saved column layouts

PRESET_PREFIX = "money:"  # kept beside the trial-balance presets, never confused with them


def preset_fields() -> frozenset[str]:
    """The logical fields a bank-CSV or balance-list layout may name."""
    from kizashi.ingest.importers import netbank_csv, open_items

    return frozenset({*netbank_csv.NAMES, *open_items.NAMES, "account"})


def do_save_money_preset(
    session: Session, actor: Actor, org_id: int, name: str, columns: dict[str, str]
) -> ColumnMappingPreset:
    """Save (or replace) the organisation's layout ``name`` for bank CSVs and balance lists:
    logical field (date, out, in, balance, description, counterparty, due, side …) → header
    text or 1-based column number; ``account`` → the account number the file lacks."""
    if actor.org_id != org_id and not actor.is_system:
        raise PermissionError("a layout belongs to your own organisation")
    if not actor.is_system and actor.role not in PRESET_ROLES:
        raise PermissionError("only the organisation's owners, officers and administrators")
    name = name.strip()
    if not name or len(name) > 100:
        raise ValueError("a layout name is 1 to 100 characters")
    if "\x00" in name or any("\x00" in f"{k}{v}" for k, v in columns.items()):
        raise ValueError("a layout holds no NUL characters")
    unknown = sorted(set(columns) - preset_fields())
    if unknown or not columns:
        raise ValueError(f"unknown fields {unknown}; known: {sorted(preset_fields())}")
    key = PRESET_PREFIX + name
    row = session.execute(
        select(ColumnMappingPreset).where(
            ColumnMappingPreset.org_id == org_id, ColumnMappingPreset.name == key
        )
    ).scalar_one_or_none()
    replaced = row is not None
    if row is None:
        row = ColumnMappingPreset(org_id=org_id, name=key, created_at=datetime.now(UTC))
        session.add(row)
    row.mapping_json = json.dumps({"money_columns": columns}, ensure_ascii=False, sort_keys=True)
    session.flush()
    audit_write(
        session,
        actor,
        "save_money_preset",
        object_type="column_mapping_preset",
        object_id=row.id,
        org_id=org_id,
        name=name,
        replaced=replaced,
    )
    return row


def load_money_preset(session: Session, actor: Actor, name: str) -> dict[str, str]:
    """The actor's organisation's saved layout ``name`` (IngestError when there is none)."""
    row = session.execute(
        select(ColumnMappingPreset).where(
            ColumnMappingPreset.org_id == actor.org_id,
            ColumnMappingPreset.name == PRESET_PREFIX + name,
        )
    ).scalar_one_or_none()
    if row is None:
        raise IngestError(
            f"この組織に保存されたレイアウト「{name}」はありません",
            f"no saved layout named {name!r} in your organisation",
        )
    return {str(k): str(v) for k, v in json.loads(row.mapping_json)["money_columns"].items()}
