"""Loans, guarantees, repayment schedules and credit events (条件変更, 延滞, 事故報告, 代位弁済).

Entered by the lender (a bank's officer) or the guarantor (the 信用保証協会's officer), one at a
time or as a CSV import that stores all rows or none (``ingest.loans`` reads the file;
problems come back by line and column). Every write is audited. What is entered is read back
only under the ``loans`` category (``access.policy.access_loans_by_business``); the monitoring
run reads loans and credit events for the credit-event rules.

The gate for a business: the officer's organisation must be allowed to read the business's
profile (linked to it, or under consent) — the same NotFound as a business that does not exist.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizashi.access import Actor, access_business_by_id
from kizashi.access.loans import party_loan
from kizashi.domain.refusals import Refused, RefusedPermission
from kizashi.domain.vocabulary import Category, CreditEventKind, OrgKind, Purpose, Role
from kizashi.ingest.loans import (
    BusinessRef,
    CreditEventRow,
    InstalmentRow,
    LoanFileError,
    Problem,
    read_credit_events_file,
    read_loans_file,
    read_schedule_file,
)
from kizashi.store.audit import AuditRecord, audit_write
from kizashi.store.errors import NotFound, with_audit
from kizashi.store.models import Business, CreditEvent, Loan, Organisation, RepaymentInstalment

GUARANTEE_RATIOS = (0, 80, 100)  # 80: 責任共有制度


@dataclass
class LoanInput:
    business_id: int
    lender_org_id: int
    guarantor_org_id: int | None
    loan_number: str
    original_amount: int
    balance: int
    balance_as_of: date
    guarantee_ratio_pct: int
    interest_rate_bp: int
    start_date: date
    maturity_date: date
    grace_end_date: date | None = None
    guarantee_number: str | None = None  # 保証番号
    paid_off_on: date | None = None  # 完済日


def _check_party(actor: Actor, *org_ids: int | None, business_id: int | None, action: str) -> None:
    """The actor is an officer of one of ``org_ids`` (or the system); else PermissionError
    carrying its ``deny`` audit record (kept by ``Store.session`` after the rollback)."""
    if actor.is_system:
        return
    if actor.role != Role.OFFICER or actor.org_id not in org_ids:
        raise with_audit(
            RefusedPermission(
                "融資を登録・変更できるのは貸付金融機関か保証協会の担当者だけです",
                "Only an officer of the lender or the guarantor records loan data.",
            ),
            AuditRecord(
                action=action,
                decision="deny",
                actor_user_id=actor.user_id,
                actor_org_id=actor.org_id,
                business_id=business_id,
                category=Category.LOANS.value,
                object_type="loan",
                detail={
                    "reason": "not an officer of the lender or guarantor",
                    "login": actor.login,
                },
            ),
        )


def _gate_business(session: Session, actor: Actor, business_id: int, action: str) -> Business:
    """The business, if the actor's organisation already lends to or guarantees it, or may
    read its profile (linked or under consent; audited)."""
    party = session.execute(
        select(Loan.id).where(
            Loan.business_id == business_id,
            (Loan.lender_org_id == actor.org_id) | (Loan.guarantor_org_id == actor.org_id),
        )
    ).first()
    if actor.is_system or party is not None:
        business = session.get(Business, business_id)
        if business is None:
            raise NotFound(f"business {business_id} not found")
        return business
    return access_business_by_id(
        session, actor, business_id, Category.PROFILE, Purpose.MONITORING, action=action
    )


class LoanRefused(Refused):
    """An entry the rules refuse (a :class:`Refused`): ``str()`` is the Japanese text (the CLI,
    the API, the Japanese page); ``english`` says the same in English, sentence by sentence."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:  # (Japanese, English)
        super().__init__(problems)


def loan_problems(session: Session, data: LoanInput) -> list[tuple[str, str, str]]:
    """What is wrong with a loan (field, Japanese, English); empty when it may be stored."""
    out: list[tuple[str, str, str]] = []

    def bad(field: str, ja: str, en: str) -> None:
        out.append((field, ja, en))

    if data.original_amount <= 0:
        bad("original_amount", "当初金額は 1 円以上です", "The original amount is at least 1 yen.")
    if data.balance < 0 or data.balance > max(data.original_amount, 0):
        bad(
            "balance",
            "残高は 0 円以上、当初金額以下です",
            "The balance is between 0 yen and the original amount.",
        )
    if data.guarantee_ratio_pct not in GUARANTEE_RATIOS:
        bad(
            "guarantee_ratio_pct",
            "保証割合は 0・80(責任共有)・100 のいずれかです",
            "The guarantee ratio is 0, 80 (shared responsibility) or 100.",
        )
    if data.guarantee_ratio_pct and data.guarantor_org_id is None:
        bad(
            "guarantor",
            "保証付きの融資には保証協会が必要です",
            "A guaranteed loan needs its credit guarantee corporation.",
        )
    if data.maturity_date < data.start_date:
        bad(
            "maturity_date",
            "最終期限が実行日より前です",
            "The maturity date is before the start date.",
        )
    if data.grace_end_date and not data.start_date <= data.grace_end_date <= data.maturity_date:
        bad(
            "grace_end_date",
            "据置期間終了日は実行日から最終期限までの間です",
            "The end of the grace period lies between the start date and the maturity date.",
        )
    if data.paid_off_on is not None and data.balance != 0:
        bad(
            "paid_off_on",
            "完済日のある融資の残高は 0 円です",
            "A loan with a paid-off date has a balance of 0 yen.",
        )
    lender = session.get(Organisation, data.lender_org_id)
    if lender is None or lender.kind != OrgKind.BANK:
        bad("lender", "貸付金融機関が見つかりません", "The lending bank was not found.")
    if data.guarantor_org_id is not None:
        guarantor = session.get(Organisation, data.guarantor_org_id)
        if guarantor is None or guarantor.kind != OrgKind.GUARANTOR:
            bad(
                "guarantor",
                "保証協会が見つかりません",
                "The credit guarantee corporation was not found.",
            )
    dup = session.execute(
        select(Loan.id).where(
            Loan.business_id == data.business_id,
            Loan.lender_org_id == data.lender_org_id,
            Loan.loan_number == data.loan_number,
        )
    ).first()
    if dup is not None:
        bad(
            "loan_number",
            f"融資番号 {data.loan_number} は登録済みです",
            f"Loan number {data.loan_number} is already recorded.",
        )
    return out


def check_loan(session: Session, data: LoanInput) -> list[tuple[str, str]]:
    """What is wrong with a loan (field, Japanese message); empty when it may be stored."""
    return [(field, ja) for field, ja, _ in loan_problems(session, data)]


def do_add_loan(session: Session, actor: Actor, data: LoanInput) -> Loan:
    """One loan (with its guarantee, if any). ValueError lists what is wrong, in Japanese."""
    # the business first: whoever may not see it gets the same audited 404 as for a missing one
    _gate_business(session, actor, data.business_id, "add_loan")
    _check_party(
        actor,
        data.lender_org_id,
        data.guarantor_org_id,
        business_id=data.business_id,
        action="add_loan",
    )
    problems = loan_problems(session, data)
    if problems:
        raise LoanRefused([(ja, en) for _, ja, en in problems])
    loan = Loan(**{f.name: getattr(data, f.name) for f in fields(data)})
    session.add(loan)
    session.flush()
    audit_write(
        session,
        actor,
        "add_loan",
        object_type="loan",
        object_id=loan.id,
        business_id=data.business_id,
        loan_number=data.loan_number,
        amount=data.original_amount,
        guarantee_ratio_pct=data.guarantee_ratio_pct,
        guarantee_number=data.guarantee_number,
    )
    return loan


def _party_loan(session: Session, actor: Actor, loan_id: int) -> Loan:
    """A loan the actor's organisation lent or guaranteed; NotFound otherwise (no hint),
    audited (``access.loans.party_loan``)."""
    return party_loan(session, actor, loan_id)


def do_close_loan(session: Session, actor: Actor, *, loan_id: int, paid_off_on: date) -> Loan:
    """Mark a loan paid off (完済): balance 0 as of that day."""
    loan = _party_loan(session, actor, loan_id)
    if loan.paid_off_on is not None:
        raise LoanRefused(
            [
                (
                    f"融資番号 {loan.loan_number} は {loan.paid_off_on} に完済済みです",
                    f"Loan {loan.loan_number} was already paid off on {loan.paid_off_on}.",
                )
            ]
        )
    if paid_off_on < loan.start_date:
        raise LoanRefused(
            [("完済日が実行日より前です", "The paid-off date is before the loan's start date.")]
        )
    old_balance = loan.balance
    loan.paid_off_on = paid_off_on
    loan.balance = 0
    loan.balance_as_of = paid_off_on
    audit_write(
        session,
        actor,
        "close_loan",
        object_type="loan",
        object_id=loan.id,
        business_id=loan.business_id,
        paid_off_on=paid_off_on.isoformat(),
        old_balance=old_balance,
    )
    return loan


def do_record_credit_event(
    session: Session,
    actor: Actor,
    *,
    loan: Loan | None = None,
    business_id: int | None = None,
    kind: CreditEventKind,
    occurred_on: date,
    days_past_due: int | None = None,
    note: str | None = None,
) -> CreditEvent:
    """A credit event on a loan (or, without one, on the business: the recording organisation
    must lend to or guarantee the business, or be linked to it)."""
    if loan is not None:
        _check_party(
            actor,
            loan.lender_org_id,
            loan.guarantor_org_id,
            business_id=loan.business_id,
            action="record_credit_event",
        )
        business_id = loan.business_id
    else:
        if business_id is None:
            raise LoanRefused([("融資か事業者を指定してください", "Name a loan or a business.")])
        _check_party(actor, actor.org_id, business_id=business_id, action="record_credit_event")
        _gate_business(session, actor, business_id, "record_credit_event")
    if kind == CreditEventKind.DELINQUENCY and (days_past_due is None or days_past_due <= 0):
        raise LoanRefused(
            [
                (
                    "延滞には延滞日数 (1 以上) が必要です",
                    "A delinquency needs its days past due (1 or more).",
                )
            ]
        )
    if days_past_due is not None and days_past_due < 0:
        raise LoanRefused([("延滞日数は 0 以上です", "The days past due are 0 or more.")])
    ev = CreditEvent(
        business_id=business_id,
        loan_id=loan.id if loan else None,
        kind=kind,
        occurred_on=occurred_on,
        days_past_due=days_past_due,
        note=note.strip() if note and note.strip() else None,
        recorded_by_org_id=actor.org_id,
    )
    session.add(ev)
    session.flush()
    audit_write(
        session,
        actor,
        "record_credit_event",
        object_type="credit_event",
        object_id=ev.id,
        business_id=business_id,
        loan_id=loan.id if loan else None,
        kind=kind.value,
        occurred_on=occurred_on.isoformat(),
        days_past_due=days_past_due,
    )
    return ev


# --------------------------------------------------------------------------- imports


class _Resolver:
    """Businesses, organisations and loans named in a file, looked up once each."""

    def __init__(self, session: Session, actor: Actor) -> None:
        self.session = session
        self.actor = actor
        self.businesses: dict[BusinessRef, int | None] = {}
        self.orgs: dict[str, Organisation | None] = {}

    def business(self, ref: BusinessRef) -> int | None:
        if ref not in self.businesses:
            if ref.business_id is not None:
                found = self.session.get(Business, ref.business_id)
            else:
                found = self.session.execute(
                    select(Business).where(Business.corporate_number == ref.corporate_number)
                ).scalar_one_or_none()
            if (
                found is not None
                and ref.corporate_number
                and ref.business_id is not None
                and found.corporate_number != ref.corporate_number
            ):
                found = None  # the id and the 法人番号 name different businesses
            bid = None
            if found is not None:
                try:
                    _gate_business(self.session, self.actor, found.id, "import_loans")
                    bid = found.id
                except NotFound:
                    bid = None
            self.businesses[ref] = bid
        return self.businesses[ref]

    def org(self, code: str) -> Organisation | None:
        if code not in self.orgs:
            self.orgs[code] = self.session.execute(
                select(Organisation).where(Organisation.code == code)
            ).scalar_one_or_none()
        return self.orgs[code]

    def loan(self, business_id: int, number: str) -> Loan | None:
        """The loan of that number the actor's organisation lent or guaranteed."""
        rows = (
            self.session.execute(
                select(Loan).where(Loan.business_id == business_id, Loan.loan_number == number)
            )
            .scalars()
            .all()
        )
        mine = [
            x
            for x in rows
            if self.actor.is_system or self.actor.org_id in (x.lender_org_id, x.guarantor_org_id)
        ]
        return mine[0] if len(mine) == 1 else None


NO_BUSINESS = "事業者が見つからないか、閲覧できません"


def do_import_loans(session: Session, actor: Actor, data: bytes, filename: str) -> list[Loan]:
    """Every loan of a CSV file, or none: LoanFileError lists each problem by line and column."""
    if not actor.is_system and actor.role != Role.OFFICER:
        raise PermissionError("融資を取り込めるのは担当者だけです")
    rows, problems = read_loans_file(data, filename)
    find = _Resolver(session, actor)
    inputs: list[tuple[int, LoanInput]] = []
    seen: set[tuple[int, int, str]] = set()
    for row in rows:
        bid = find.business(row.business)
        lender = find.org(row.lender)
        guarantor = find.org(row.guarantor) if row.guarantor else None
        bad = problems.append
        if bid is None:
            bad(Problem(row.line, "事業者ID", NO_BUSINESS))
        if lender is None or lender.kind != OrgKind.BANK:
            bad(Problem(row.line, "貸付金融機関コード", f"金融機関 {row.lender} が見つかりません"))
        if row.guarantor and (guarantor is None or guarantor.kind != OrgKind.GUARANTOR):
            bad(Problem(row.line, "保証協会コード", f"保証協会 {row.guarantor} が見つかりません"))
        if bid is None or lender is None:
            continue
        party = (lender.id, guarantor.id if guarantor else None)
        if not actor.is_system and actor.org_id not in party:
            bad(
                Problem(
                    row.line, "貸付金融機関コード", "自組織が貸付金融機関でも保証協会でもありません"
                )
            )
            continue
        key = (bid, lender.id, row.loan_number)
        if key in seen:
            bad(
                Problem(
                    row.line, "融資番号", f"融資番号 {row.loan_number} がファイル内で重複しています"
                )
            )
            continue
        seen.add(key)
        item = LoanInput(
            business_id=bid,
            lender_org_id=lender.id,
            guarantor_org_id=guarantor.id if guarantor else None,
            loan_number=row.loan_number,
            original_amount=row.original_amount,
            balance=row.balance,
            balance_as_of=row.balance_as_of,
            guarantee_ratio_pct=row.guarantee_ratio_pct,
            interest_rate_bp=row.interest_rate_bp,
            start_date=row.start_date,
            maturity_date=row.maturity_date,
            grace_end_date=row.grace_end_date,
            guarantee_number=row.guarantee_number,
            paid_off_on=row.paid_off_on,
        )
        headers = {
            "loan_number": "融資番号",
            "original_amount": "当初金額",
            "balance": "残高",
            "guarantee_ratio_pct": "保証割合",
            "guarantor": "保証協会コード",
            "lender": "貸付金融機関コード",
            "maturity_date": "最終期限",
            "grace_end_date": "据置期間終了日",
            "paid_off_on": "完済日",
        }
        for field, message in check_loan(session, item):
            bad(Problem(row.line, headers.get(field, field), message))
        inputs.append((row.line, item))
    if problems:
        raise LoanFileError(filename, sorted(problems, key=lambda p: p.line))
    return [do_add_loan(session, actor, item) for _, item in inputs]


def do_import_schedule(
    session: Session, actor: Actor, data: bytes, filename: str
) -> list[RepaymentInstalment]:
    """Repayment instalments of stored loans, all or none; an instalment of a loan and due
    date already stored is replaced (its amounts and paid date)."""
    if not actor.is_system and actor.role != Role.OFFICER:
        raise PermissionError("返済予定を取り込めるのは担当者だけです")
    rows, problems = read_schedule_file(data, filename)
    find = _Resolver(session, actor)
    targets: list[tuple[Loan, InstalmentRow]] = []
    seen: set[tuple[int, date]] = set()
    for row in rows:
        bid = find.business(row.business)
        if bid is None:
            problems.append(Problem(row.line, "事業者ID", NO_BUSINESS))
            continue
        loan = find.loan(bid, row.loan_number)
        if loan is None:
            problems.append(
                Problem(row.line, "融資番号", f"自組織の融資 {row.loan_number} が見つかりません")
            )
            continue
        if (loan.id, row.due_date) in seen:
            problems.append(Problem(row.line, "約定返済日", "同じ融資・約定返済日が重複しています"))
            continue
        seen.add((loan.id, row.due_date))
        targets.append((loan, row))
    if problems:
        raise LoanFileError(filename, sorted(problems, key=lambda p: p.line))
    out = []
    per_loan: dict[int, int] = defaultdict(int)
    for loan, row in targets:
        existing = session.execute(
            select(RepaymentInstalment).where(
                RepaymentInstalment.loan_id == loan.id,
                RepaymentInstalment.due_date == row.due_date,
            )
        ).scalar_one_or_none()
        inst = existing or RepaymentInstalment(loan_id=loan.id, due_date=row.due_date)
        inst.principal = row.principal
        inst.interest = row.interest
        inst.paid_on = row.paid_on
        if existing is None:
            session.add(inst)
        out.append(inst)
        per_loan[loan.id] += 1
    session.flush()
    for loan in {loan.id: loan for loan, _ in targets}.values():
        audit_write(
            session,
            actor,
            "import_repayment_schedule",
            object_type="loan",
            object_id=loan.id,
            business_id=loan.business_id,
            instalments=per_loan[loan.id],
            filename=filename,
        )
    return out


def do_import_credit_events(
    session: Session, actor: Actor, data: bytes, filename: str
) -> list[CreditEvent]:
    """Credit events of a CSV file, all or none (LoanFileError by line and column)."""
    if not actor.is_system and actor.role != Role.OFFICER:
        raise PermissionError("信用事象を取り込めるのは担当者だけです")
    rows, problems = read_credit_events_file(data, filename)
    find = _Resolver(session, actor)
    targets: list[tuple[int, Loan | None, CreditEventRow]] = []
    for row in rows:
        bid = find.business(row.business)
        if bid is None:
            problems.append(Problem(row.line, "事業者ID", NO_BUSINESS))
            continue
        loan = None
        if row.loan_number:
            loan = find.loan(bid, row.loan_number)
            if loan is None:
                problems.append(
                    Problem(
                        row.line, "融資番号", f"自組織の融資 {row.loan_number} が見つかりません"
                    )
                )
                continue
        targets.append((bid, loan, row))
    if problems:
        raise LoanFileError(filename, sorted(problems, key=lambda p: p.line))
    return [
        do_record_credit_event(
            session,
            actor,
            loan=loan,
            business_id=bid,
            kind=row.kind,
            occurred_on=row.occurred_on,
            days_past_due=row.days_past_due,
            note=row.note,
        )
        for bid, loan, row in targets
    ]
