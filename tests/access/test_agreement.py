"""The one access rule, asked every way, gives one answer — on SQLite and PostgreSQL.

For every category × purpose × role (iterated from ``domain.vocabulary``, so a category or role
added later is covered without touching this file), for actors of every organisation of a small
world (own business, linked lender, consent holders whose grants are current, expired, not yet
valid, revoked, for another category or another purpose, and strangers) and on several days:

- the single decision (``decide``; ``access_business_by_id`` inside a request's read log, where
  every category is evaluated in one query) for each business equals membership in the list
  query (``visible_businesses``);
- both equal a plain-Python statement of the rule over the world's grants, links and loans
  (``expected`` below: docs/security.md "Access rule" as a test oracle);
- the rows of an allowed business (loans, credit events, flags) are the rule's rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizashi.access import Actor, access_business_by_id, decide, decide_upload
from kizashi.access.policy import access_loans_by_business
from kizashi.access.read_log import audited_reads
from kizashi.access.reads import read_loans
from kizashi.access.rule import OWN_DATA, flag_rows, knows_condition, loan_rows, visible_businesses
from kizashi.actions.consent import do_grant_consent, do_revoke_consent
from kizashi.actions.loans import do_record_credit_event
from kizashi.actions.organisations import do_add_organisation
from kizashi.domain.vocabulary import Category, CreditEventKind, FlagState, OrgKind, Purpose, Role
from kizashi.store.db import Store
from kizashi.store.errors import NotFound
from kizashi.store.models import (
    Business,
    BusinessLink,
    ConsentGrant,
    CreditEvent,
    Flag,
    Loan,
    Organisation,
)
from tests.world import SYSTEM, make_world

T = date.today()
DAYS = [T, T - timedelta(days=400), T + timedelta(days=11), T + timedelta(days=200)]
ALL_CATEGORIES = list(Category)
LAST = ALL_CATEGORIES[-1]


@dataclass
class Facts:
    """The world as plain data: what the oracle decides from."""

    businesses: list[tuple[int, int]]  # (id, org_id)
    grants: list[tuple[int, int, Category, Purpose, date, date | None, bool]]
    links: set[tuple[int, int]]  # (business_id, org_id)
    loans: list[tuple[int, int, str, int, int | None]]  # (id, business, number, lender, guarantor)
    events: list[tuple[int, int, int | None, int | None]]  # (id, business, loan, recorded_by)
    flags: list[tuple[int, int, int | None]]  # (id, business, org_id of the pack)
    actors: list[Actor]


def _build(store: Store) -> Facts:
    with store.session() as s:
        w = make_world(s)
        owner = w.actors["owner"]
        orgs = {
            code: do_add_organisation(s, SYSTEM, kind=kind, name=code, code=code)
            for code, kind in [
                ("wide", OrgKind.SUPPORTER),
                ("expired", OrgKind.SUPPORTER),
                ("future", OrgKind.SUPPORTER),
                ("revoked", OrgKind.GUARANTOR),
                ("partial", OrgKind.REVITALIZATION),
                ("stranger", OrgKind.BANK),
            ]
        }

        def grant(org: str, cats: list[Category], purpose: Purpose, start: date, end=None):  # type: ignore[no-untyped-def]
            return do_grant_consent(
                s,
                owner,
                business=w.business,
                grantee=orgs[org],
                categories=cats,
                purpose=purpose,
                valid_from=start,
                valid_to=end,
            )

        for purpose in Purpose:  # every category for every purpose
            grant("wide", ALL_CATEGORIES, purpose, T - timedelta(days=30))
        grant(
            "expired",
            ALL_CATEGORIES,
            Purpose.MONITORING,
            T - timedelta(days=400),
            T - timedelta(days=1),
        )
        grant("future", ALL_CATEGORIES, Purpose.SUPPORT, T + timedelta(days=10))
        for g in grant("revoked", ALL_CATEGORIES, Purpose.MONITORING, T - timedelta(days=90)):
            do_revoke_consent(s, owner, grant=g)
        grant("partial", [LAST], Purpose.REFERRAL, T - timedelta(days=5), T + timedelta(days=5))
        # the other business trusts bank B with its flags, for support, for a few weeks
        other_owner = w.actors["other_owner"]
        do_grant_consent(
            s,
            other_owner,
            business=w.other_business,
            grantee=w.bank_b,
            categories=[Category.FLAGS],
            purpose=Purpose.SUPPORT,
            valid_from=T - timedelta(days=10),
            valid_to=T + timedelta(days=10),
        )
        loans = {ln.loan_number: ln for ln in s.execute(select(Loan)).scalars()}
        do_record_credit_event(
            s,
            SYSTEM,
            loan=loans["A-1"],
            kind=CreditEventKind.DELINQUENCY,
            occurred_on=T,
            days_past_due=31,
        )
        # credit events tied to no loan, recorded by bank B and by the guarantor
        for org in (w.bank_b, w.guarantor):
            s.add(
                CreditEvent(
                    business_id=w.business.id,
                    loan_id=None,
                    kind=CreditEventKind.ACCIDENT_REPORT,
                    occurred_on=T,
                    recorded_by_org_id=org.id,
                )
            )
        # a shared-pack flag and one of bank A's own pack, on each business
        for biz in (w.business, w.other_business):
            for org_id, ref in ((None, "kizashi.default@1"), (w.bank_a.id, "bank-a@1")):
                s.add(
                    Flag(
                        business_id=biz.id,
                        org_id=org_id,
                        pack_ref=ref,
                        rule_id="cash.low_liquidity",
                        severity="high",
                        category="資金繰り",
                        opened_month=T.replace(day=1),
                        closed_month=None,
                        last_seen_month=T.replace(day=1),
                        is_open=True,
                        state=FlagState.NEW,
                        evidence_opened="{}",
                        evidence_latest="{}",
                        updated_at=datetime.now(UTC),
                    )
                )
        s.flush()
        all_orgs = list(s.execute(select(Organisation).order_by(Organisation.id)).scalars())
        actors = [Actor.system()] + [
            Actor(None, o.id, o.kind, role, f"{role}@{o.code}") for o in all_orgs for role in Role
        ]
        return Facts(
            businesses=[tuple(r) for r in s.execute(select(Business.id, Business.org_id))],  # type: ignore[misc]
            grants=[
                (
                    g.business_id,
                    g.grantee_org_id,
                    g.category,
                    g.purpose,
                    g.valid_from,
                    g.valid_to,
                    g.revoked_at is not None,
                )
                for g in s.execute(select(ConsentGrant)).scalars()
            ],
            links={(lk.business_id, lk.org_id) for lk in s.execute(select(BusinessLink)).scalars()},
            loans=[
                (ln.id, ln.business_id, ln.loan_number, ln.lender_org_id, ln.guarantor_org_id)
                for ln in s.execute(select(Loan)).scalars()
            ],
            events=[
                (e.id, e.business_id, e.loan_id, e.recorded_by_org_id)
                for e in s.execute(select(CreditEvent)).scalars()
            ],
            flags=[(f.id, f.business_id, f.org_id) for f in s.execute(select(Flag)).scalars()],
            actors=actors,
        )


@pytest.fixture
def facts(store: Store) -> Facts:
    return _build(store)


# ------------------------------------------------------------------------------- the oracle


def _reads_data(a: Actor) -> bool:
    return not a.is_system and a.role in (Role.OWNER, Role.OFFICER) and a.org_id is not None


def _granted(
    f: Facts, a: Actor, biz: int, cat: Category, purpose: Purpose | None, on: date
) -> bool:
    return any(
        b == biz
        and org == a.org_id
        and c == cat
        and (purpose is None or p == purpose)
        and start <= on
        and (end is None or on <= end)
        and not revoked
        for b, org, c, p, start, end, revoked in f.grants
    )


def _own_loans(f: Facts, a: Actor, biz: int) -> set[int]:
    return {
        i for i, b, _, lender, guarantor in f.loans if b == biz and a.org_id in (lender, guarantor)
    }


def expected(
    f: Facts, a: Actor, biz: int, cat: Category, purpose: Purpose | None, on: date
) -> bool:
    """docs/security.md "Access rule", in plain Python."""
    if not _reads_data(a):
        return False
    biz_org = dict(f.businesses)[biz]
    if a.role == Role.OWNER:
        return biz_org == a.org_id
    if biz_org == a.org_id:
        return False
    if _granted(f, a, biz, cat, purpose, on):
        return True
    if cat == Category.PROFILE:
        return (biz, a.org_id) in f.links
    if cat == Category.LOANS:
        return bool(_own_loans(f, a, biz))
    return False


def expected_loans(f: Facts, a: Actor, biz: int, purpose: Purpose, on: date) -> set[int]:
    if not expected(f, a, biz, Category.LOANS, purpose, on):
        return set()
    everything = {i for i, b, *_ in f.loans if b == biz}
    if a.role == Role.OWNER or _granted(f, a, biz, Category.LOANS, purpose, on):
        return everything
    return _own_loans(f, a, biz)


def expected_events(f: Facts, a: Actor, biz: int, purpose: Purpose, on: date) -> set[int]:
    if not expected(f, a, biz, Category.LOANS, purpose, on):
        return set()
    loans = expected_loans(f, a, biz, purpose, on)
    own_business = a.role == Role.OWNER
    return {
        i
        for i, b, loan, recorder in f.events
        if b == biz
        and (loan in loans if loan is not None else (own_business or recorder == a.org_id))
    }


def expected_flags(f: Facts, a: Actor, biz: int, purpose: Purpose, on: date) -> set[int]:
    if not expected(f, a, biz, Category.FLAGS, purpose, on):
        return set()
    officer = a.role == Role.OFFICER
    return {
        i for i, b, org in f.flags if b == biz and (org is None or (officer and org == a.org_id))
    }


# ------------------------------------------------------------------------------------ tests


def test_the_oracle_knows_every_exception() -> None:
    """A new own-data exception in the rule must be stated in ``expected`` too."""
    assert set(OWN_DATA) == {Category.PROFILE, Category.LOANS}


def _check_category(
    s: Session, f: Facts, category: Category, purposes: list[Purpose | None]
) -> int:
    allowed_somewhere = 0
    for on in DAYS:
        for purpose in purposes:
            for a in f.actors:
                listed = set(s.execute(visible_businesses(a, category, purpose, on)).scalars())
                for biz, _ in f.businesses:
                    if purpose is None:
                        business = s.get(Business, biz)
                        single = decide_upload(s, a, business, on, category=category).allowed
                    else:
                        single = decide(s, a, s.get(Business, biz), category, purpose, on).allowed
                    want = expected(f, a, biz, category, purpose, on)
                    where = (a.login, biz, category.value, purpose, on)
                    assert single == (biz in listed), ("decision ≠ list", *where)
                    assert single == want, ("rule ≠ oracle", *where)
                    allowed_somewhere += single
    return allowed_somewhere


@pytest.mark.parametrize("category", ALL_CATEGORIES)
def test_single_decision_equals_list_membership(
    store: Store, facts: Facts, category: Category
) -> None:
    with store.session() as s:
        allowed = _check_category(s, facts, category, list(Purpose))
    assert allowed > 0  # the world opens every category to someone (the test can fail)


@pytest.mark.parametrize("category", ALL_CATEGORIES)
def test_upload_decision_equals_its_list(store: Store, facts: Facts, category: Category) -> None:
    """Uploads (financial statements; bank statements and invoices for the money files): the
    category's rule for any purpose."""
    with store.session() as s:
        assert _check_category(s, facts, category, [None]) > 0


def test_decisions_inside_a_request_agree(store: Store, facts: Facts) -> None:
    """A page's read log evaluates every category in one query: the same answers."""
    for purpose in Purpose:
        for a in facts.actors:
            for biz, _ in facts.businesses:
                seen: dict[Category, bool] = {}
                with audited_reads(store, a, biz, purpose) as log:
                    for cat in ALL_CATEGORIES:
                        got = log.section(
                            lambda cat=cat, a=a, biz=biz, purpose=purpose: access_business_by_id(
                                log.session, a, biz, cat, purpose
                            )
                        )
                        seen[cat] = got is not None
                for cat, ok in seen.items():
                    assert ok == expected(facts, a, biz, cat, purpose, T), (
                        a.login,
                        biz,
                        cat,
                        purpose,
                    )


def test_rows_of_an_allowed_business(store: Store, facts: Facts) -> None:
    """Loans, credit events and flags: the single read's rows, the rule's row query over all
    businesses and the oracle agree."""
    with store.session() as s:
        for on in (T, DAYS[1]):
            for purpose in Purpose:
                for a in facts.actors:
                    all_loans = set(
                        s.execute(select(Loan.id).where(loan_rows(a, purpose, on))).scalars()
                    )
                    all_flags = set(
                        s.execute(select(Flag.id).where(flag_rows(a, purpose, on))).scalars()
                    )
                    for biz, _ in facts.businesses:
                        want = expected_loans(facts, a, biz, purpose, on)
                        assert {
                            i for i in all_loans if (i, biz) in {(x[0], x[1]) for x in facts.loans}
                        } == want
                        flags = {i for i, b, _ in facts.flags if b == biz} & all_flags
                        assert flags == expected_flags(facts, a, biz, purpose, on), (a.login, biz)
                        if not expected(facts, a, biz, Category.LOANS, purpose, on):
                            with pytest.raises(NotFound):
                                access_loans_by_business(s, a, biz, purpose, today=on)
                            continue
                        got = {
                            ln.id for ln in access_loans_by_business(s, a, biz, purpose, today=on)
                        }
                        assert got == want, (a.login, biz, purpose, on)
                        book = read_loans(s, a, biz, purpose=purpose, today=on)
                        events = {e.id for ln in book.loans for e in ln.events}
                        events |= {e.id for e in book.other_events}
                        assert events == expected_events(facts, a, biz, purpose, on), (a.login, biz)
        # the world is not trivial: someone sees only some loans, someone some events
        officer_a = next(a for a in facts.actors if a.login == "officer@bank-a")
        biz = facts.loans[0][1]
        assert (
            0 < len(expected_loans(facts, officer_a, biz, Purpose.MONITORING, T)) < len(facts.loans)
        )


def test_knowing_a_business_is_reading_something_of_it(store: Store, facts: Facts) -> None:
    """``knows_condition``: some category, for some purpose."""
    with store.session() as s:
        for on in DAYS:
            for a in facts.actors:
                known = set(s.execute(select(Business.id).where(knows_condition(a, on))).scalars())
                want = {
                    biz
                    for biz, _ in facts.businesses
                    if any(expected(facts, a, biz, c, None, on) for c in ALL_CATEGORIES)
                }
                assert known == want, (a.login, on)
