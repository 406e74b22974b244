"""Read models for the web pages and the API, each behind the ``access`` chokepoint.

Every function takes the acting user and goes through ``access_business_by_id`` /
``access_loans_by_business`` / ``accessible_business_ids`` before it touches a business's
data; none queries a business's rows on its own authority. The results are plain frozen
dataclasses, so the web layer renders them without lazy loads or sessions.

Each function is one audited read: a page that shows a profile, monthly figures and loans
makes three decisions (one per data category), as the consent model intends.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Float, String, case, cast, func, or_, select
from sqlalchemy.orm import Session

from kizashi.domain.chart import load_chart
from kizashi.domain.periods import add_months, month_start
from kizashi.domain.vocabulary import (
    Category,
    CreditEventKind,
    FlagState,
    Purpose,
    StatementKind,
)
from kizashi.engine.spec.packs import default_pack
from kizashi.store.models import (
    Business,
    CreditEvent,
    MonitoringSummary,
    Organisation,
    Statement,
    StatementLine,
    Submission,
    User,
)

from .actor import Actor
from .flag_responses import queue_counts
from .policy import (
    access_business_by_id,
    access_business_for_upload,
    access_loans_by_business,
    accessible_business_ids,
    audit_listing,
    decide_upload,
)
from .rule import credit_event_rows

# Sort keys a list page accepts → ORDER BY columns (always ending in the primary key, so
# pages are stable when names repeat).
SORTS = {
    "name": (Business.name.asc(), Business.id.asc()),
    "-name": (Business.name.desc(), Business.id.desc()),
    "industry": (Business.industry_code.asc(), Business.name.asc(), Business.id.asc()),
    "prefecture": (Business.prefecture_code.asc(), Business.name.asc(), Business.id.asc()),
    "employees": (Business.employees.asc(), Business.id.asc()),
    "-employees": (Business.employees.desc(), Business.id.desc()),
    "id": (Business.id.asc(),),
    # 対応優先度: the latest run's priority for the default pack, highest first; businesses
    # without a (visible) monitoring summary come last, by name.
    "priority": (
        MonitoringSummary.priority.desc().nulls_last(),
        Business.name.asc(),
        Business.id.asc(),
    ),
}
DEFAULT_SORT = "name"
MAX_PAGE_SIZE = 200

# The figures of a monthly series: P/L flows of the month, B/S balances at month end.
PL_SERIES = ("sales", "gross_profit", "operating_profit", "ordinary_profit", "net_income")
BS_SERIES = (
    "cash_and_deposits",
    "borrowings",
    "interest_bearing_debt",
    "net_assets",
    "total_assets",
)


@dataclass(frozen=True)
class PortfolioRow:
    id: int
    name: str
    corporate_number: str | None
    industry_code: str
    industry_major: str
    prefecture_code: str
    fiscal_year_end_month: int
    employees: int | None
    monitoring: MonitoringBrief | None = None


@dataclass(frozen=True)
class MonitoringBrief:
    """A business's latest monitoring summary (default pack), shown under a ``flags`` consent."""

    as_of_month: date
    priority: float
    open_flags: int
    open_critical: int
    open_high: int
    open_medium: int
    open_low: int
    locaben_rating: str | None
    locaben_total: int | None
    # of the open ones, first found by the latest run; and open flags the reader's
    # organisation has handled (対応不要), which left its queue but stay on the business page
    new_since_last_run: int = 0
    handled: int = 0


@dataclass(frozen=True)
class PortfolioPage:
    rows: tuple[PortfolioRow, ...]
    total: int
    page: int
    page_size: int
    sort: str

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


@dataclass(frozen=True)
class BusinessProfile:
    id: int
    name: str
    corporate_number: str | None
    industry_code: str
    industry_major: str
    prefecture_code: str
    fiscal_year_end_month: int
    employees: int | None
    capital_yen: int | None
    founded_on: date | None


@dataclass(frozen=True)
class MonthlyPoint:
    """One month: P/L items are the month's own flow (None when not derivable), B/S at month end."""

    month: date
    fiscal_year_start: date
    values: dict[str, int | None]


@dataclass(frozen=True)
class CreditEventView:
    id: int
    loan_id: int | None
    kind: CreditEventKind
    occurred_on: date
    days_past_due: int | None
    note: str | None


@dataclass(frozen=True)
class LoanView:
    id: int
    loan_number: str
    lender_name: str
    guarantor_name: str | None
    original_amount: int
    balance: int
    balance_as_of: date
    guarantee_ratio_pct: int
    interest_rate_bp: int
    start_date: date
    grace_end_date: date | None
    maturity_date: date
    events: tuple[CreditEventView, ...]
    guarantee_number: str | None = None  # 保証番号
    paid_off_on: date | None = None  # 完済: shown as paid off, balance 0

    @property
    def paid_off(self) -> bool:
        return self.paid_off_on is not None


@dataclass(frozen=True)
class LoanBook:
    loans: tuple[LoanView, ...]
    other_events: tuple[CreditEventView, ...]  # credit events not tied to a visible loan


@cache
def _series_terms() -> dict[str, dict[str, int]]:
    """Each series item as signed leaf codes (``Chart.leaf_terms``), worked out once (the
    chart's tree walked per call was most of a business page's time)."""
    chart = load_chart()
    return {code: chart.leaf_terms(code) for code in (*PL_SERIES, *BS_SERIES)}


@cache
def _series_by_leaf() -> dict[str, tuple[tuple[str, int], ...]]:
    """Leaf code → the series it counts in, with its sign."""
    out: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for code, terms in _series_terms().items():
        for leaf, sign in terms.items():
            out[leaf].append((code, sign))
    return {leaf: tuple(v) for leaf, v in out.items()}


# Each statement's series figures, by the statement's identity (id, submission, version and
# the time it was stored). A statement's lines are never changed after it is stored (a
# correction is a new statement that supersedes it), so its figures never change; new data is a
# new statement, hence a new key. Bounded: emptied when full.
_TOTALS: dict[tuple[Any, ...], tuple[int, ...]] = {}
TOTALS_CACHE_SIZE = 50_000


def _statement_key(st: Statement) -> tuple[Any, ...]:
    return (st.id, st.submission_id, st.version, st.created_at)


def _series_totals(session: Session, statements: list[Statement]) -> dict[int, dict[str, int]]:
    """Each statement's series figures (``Chart.evaluate`` of its lines), in one pass over the
    lines (a Core query: no ORM rows) of the statements not seen before (``_TOTALS``). Several
    as-reported names can map to one item: each line counts."""
    codes = tuple(_series_terms())
    totals: dict[int, dict[str, int]] = {}
    missing: dict[int, tuple[Any, ...]] = {}
    for st in statements:
        key = _statement_key(st)
        known = _TOTALS.get(key)
        if known is None:
            missing[st.id] = key
        else:
            totals[st.id] = dict(zip(codes, known, strict=True))
    if not missing:
        return totals
    by_leaf = _series_by_leaf()
    fresh = {sid: dict.fromkeys(codes, 0) for sid in missing}
    rows = (
        session.connection()
        .execute(
            select(StatementLine.statement_id, StatementLine.item_code, StatementLine.amount).where(
                StatementLine.statement_id.in_(list(missing))
            )
        )
        .all()  # fetched at once, not row by row
    )
    for sid, leaf, amount in rows:
        counts = by_leaf.get(leaf)
        if counts:
            bucket = fresh[sid]
            for code, sign in counts:
                bucket[code] += sign * amount
    if len(_TOTALS) + len(fresh) > TOTALS_CACHE_SIZE:
        _TOTALS.clear()
    for sid, figures in fresh.items():
        _TOTALS[missing[sid]] = tuple(figures[c] for c in codes)
    return {**totals, **fresh}


@cache
def default_pack_ref() -> str:
    """The shared default pack's ref (``kizashi.default@<version>``), parsed once."""
    return default_pack().ref


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_portfolio(
    session: Session,
    actor: Actor,
    *,
    purpose: Purpose = Purpose.MONITORING,
    q: str | None = None,
    industry_major: str | None = None,
    prefecture: str | None = None,
    sort: str = DEFAULT_SORT,
    page: int = 1,
    page_size: int = 50,
    flag_state: FlagState | None = None,
    assignee_user_id: int | None = None,
    new_since_last_run: bool = False,
    today: date | None = None,
) -> PortfolioPage:
    """The businesses whose profile the actor may see, filtered, sorted and paged in SQL.

    Each row carries the latest monitoring summary of the default pack only where the actor
    may also read the business's ``flags`` (monitoring results) for the purpose. Its counts
    and its priority are **the actor's organisation's**: flags still open for it (新規, 確認済,
    対応中 in its own response), weighted by severity and scaled by the run's exposure factor;
    a flag it handled (対応不要) leaves its queue. ``flag_state``, ``assignee_user_id`` and
    ``new_since_last_run`` keep only businesses with such a flag for it. Sorting by
    ``priority`` joins these counts in SQL, so paging stays in the database.
    The listing is audited once (with its filters and row count), not row by row; when
    monitoring results are shown, that is a second audited listing of category ``flags``.
    """
    page = max(1, page)
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    sort = sort if sort in SORTS else DEFAULT_SORT
    allowed = accessible_business_ids(actor, Category.PROFILE, purpose, today)
    conds: list[ColumnElement[bool]] = [Business.id.in_(allowed)]
    if q and q.strip():
        text = q.strip()
        pattern = f"%{_escape_like(text)}%"
        conds.append(
            or_(
                Business.name.like(pattern, escape="\\"),
                Business.corporate_number == text,
                cast(Business.id, String) == text,
            )
        )
    if industry_major:
        conds.append(Business.industry_major == industry_major)
    if prefecture:
        conds.append(Business.prefecture_code == prefecture)
    mine = queue_counts(
        actor,
        purpose,
        today or date.today(),
        state=flag_state,
        assignee_user_id=assignee_user_id,
    )
    queue_join = mine.c.business_id == Business.id
    if flag_state is not None or assignee_user_id is not None:
        conds.append(mine.c.matched > 0)
    if new_since_last_run:
        conds.append(mine.c.new_since_last_run > 0)
    total = session.execute(
        select(func.count()).select_from(Business).outerjoin(mine, queue_join).where(*conds)
    ).scalar_one()
    may_see_flags = accessible_business_ids(actor, Category.FLAGS, purpose, today)
    summary_join = (
        (MonitoringSummary.business_id == Business.id)
        & (MonitoringSummary.pack_ref == default_pack_ref())
        & MonitoringSummary.business_id.in_(may_see_flags)
    )
    # the run's exposure factor (priority per severity point) applied to this organisation's
    # own open points
    run_points = (
        MonitoringSummary.open_critical * 8
        + MonitoringSummary.open_high * 4
        + MonitoringSummary.open_medium * 2
        + MonitoringSummary.open_low
    )
    factor = func.coalesce(
        MonitoringSummary.priority / func.nullif(cast(run_points, Float), 0.0), 1.0
    )
    my_points = func.coalesce(mine.c.points, 0)
    my_priority = case((MonitoringSummary.business_id.is_(None), None), else_=my_points * factor)
    my_open = (
        func.coalesce(mine.c.open_critical, 0)
        + func.coalesce(mine.c.open_high, 0)
        + func.coalesce(mine.c.open_medium, 0)
        + func.coalesce(mine.c.open_low, 0)
    )
    order = (
        (my_priority.desc().nulls_last(), Business.name.asc(), Business.id.asc())
        if sort == "priority"
        else SORTS[sort]
    )
    stmt = (
        select(
            Business.id,
            Business.name,
            Business.corporate_number,
            Business.industry_code,
            Business.industry_major,
            Business.prefecture_code,
            Business.fiscal_year_end_month,
            Business.employees,
            MonitoringSummary.as_of_month,
            my_priority,
            my_open,
            func.coalesce(mine.c.open_critical, 0),
            func.coalesce(mine.c.open_high, 0),
            func.coalesce(mine.c.open_medium, 0),
            func.coalesce(mine.c.open_low, 0),
            MonitoringSummary.locaben_rating,
            MonitoringSummary.locaben_total,
            func.coalesce(mine.c.new_since_last_run, 0),
            func.coalesce(mine.c.handled, 0),
        )
        .select_from(Business)
        .outerjoin(MonitoringSummary, summary_join)
        .outerjoin(mine, queue_join)
        .where(*conds)
        .order_by(*order)
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    rows = tuple(
        PortfolioRow(*r[:8], _brief(r[8:]) if r[8] is not None else None)  # type: ignore[call-arg]
        for r in session.execute(stmt)
    )
    audit_listing(
        session,
        actor,
        Category.PROFILE,
        purpose,
        len(rows),
        {
            "total": total,
            "page": page,
            "q": q or None,
            "industry_major": industry_major or None,
            "prefecture": prefecture or None,
            "sort": sort,
            "flag_state": flag_state.value if flag_state else None,
            "assignee_user_id": assignee_user_id,
            "new_since_last_run": new_since_last_run or None,
        },
    )
    shown = sum(1 for r in rows if r.monitoring is not None)
    if shown:
        audit_listing(session, actor, Category.FLAGS, purpose, shown, {"page": page, "sort": sort})
    return PortfolioPage(rows, total, page, page_size, sort)


def _brief(cols: Sequence[Any]) -> MonitoringBrief:
    """The brief from its SQL columns; the priority rounded to the run's three decimals, so the
    float arithmetic of points × factor (22.114000000000004) does not show."""
    as_of, prio, *rest = cols
    return MonitoringBrief(as_of, round(float(prio), 3), *rest)


def read_business_profile(
    session: Session,
    actor: Actor,
    business_id: int,
    *,
    purpose: Purpose = Purpose.MONITORING,
    today: date | None = None,
) -> BusinessProfile:
    b = access_business_by_id(session, actor, business_id, Category.PROFILE, purpose, today=today)
    return BusinessProfile(
        b.id,
        b.name,
        b.corporate_number,
        b.industry_code,
        b.industry_major,
        b.prefecture_code,
        b.fiscal_year_end_month,
        b.employees,
        b.capital_yen,
        b.founded_on,
    )


def _current_monthly_statements(session: Session, business_id: int, limit: int) -> list[Statement]:
    """The newest ``limit`` current (not superseded) monthly trial balances, oldest first."""
    stmt = (
        select(Statement)
        .where(
            Statement.business_id == business_id,
            Statement.kind == StatementKind.MONTHLY_TB,
            Statement.superseded_by_id.is_(None),
        )
        .order_by(Statement.period_end.desc(), Statement.version.desc())
        .limit(limit)
    )
    seen: dict[date, Statement] = {}
    for st in session.execute(stmt).scalars():
        seen.setdefault(month_start(st.period_end), st)  # highest version wins a (rare) tie
    return [seen[m] for m in sorted(seen)]


def read_monthly_series(
    session: Session,
    actor: Actor,
    business_id: int,
    *,
    months: int = 36,
    purpose: Purpose = Purpose.MONITORING,
    today: date | None = None,
) -> list[MonthlyPoint]:
    """The last ``months`` months of a business's key figures from its current trial balances.

    Trial balances are cumulative from the fiscal-year start; P/L figures here are the
    month's own flow (``domain.statements.monthly_rows``). B/S figures, including
    純資産 (which adds the year-to-date profit), come from the cumulative balance itself.
    """
    business = access_business_by_id(
        session,
        actor,
        business_id,
        Category.FINANCIALS,
        purpose,
        action="read_financials",
        today=today,
    )
    months = max(1, min(months, 120))
    statements = _current_monthly_statements(session, business.id, months + 1)
    if not statements:
        return []
    totals = _series_totals(session, statements)
    zero = dict.fromkeys((*PL_SERIES, *BS_SERIES), 0)
    by_month = {month_start(s.period_end): s for s in statements}
    out = []
    for month in sorted(by_month):
        st = by_month[month]
        cumulative = totals.get(st.id, zero)
        prev = by_month.get(add_months(month, -1))
        # As ``monthly_rows``: a month's P/L flow is its cumulative figure at the first month
        # of the fiscal year, else the difference from the previous month of the same year,
        # else unknown (a gap). The series are sums of leaves, so the difference of the sums
        # is the sum of the leaves' differences.
        previous: dict[str, int] | None = None
        if month == st.fiscal_year_start:
            previous = zero
        elif prev is not None and prev.fiscal_year_start == st.fiscal_year_start:
            previous = totals.get(prev.id, zero)
        values: dict[str, int | None] = {
            code: None if previous is None else cumulative[code] - previous[code]
            for code in PL_SERIES
        }
        values.update({code: cumulative[code] for code in BS_SERIES})
        out.append(MonthlyPoint(month, st.fiscal_year_start, values))
    return out[-months:]


def read_loans(
    session: Session,
    actor: Actor,
    business_id: int,
    *,
    purpose: Purpose = Purpose.MONITORING,
    today: date | None = None,
) -> LoanBook:
    """The loans the actor may see (all under consent, else only its own) and their credit events.

    Credit events not tied to a loan are shown only to the business itself and to the
    organisation that recorded them (``rule.credit_event_rows``).
    """
    loans = access_loans_by_business(session, actor, business_id, purpose, today=today)
    org_ids = {x for loan in loans for x in (loan.lender_org_id, loan.guarantor_org_id) if x}
    names = (
        dict(
            session.execute(
                select(Organisation.id, Organisation.name).where(Organisation.id.in_(org_ids))
            ).all()
        )
        if org_ids
        else {}
    )
    events: dict[int | None, list[CreditEventView]] = defaultdict(list)
    for ev in session.execute(
        select(CreditEvent)
        .where(
            CreditEvent.business_id == business_id,
            credit_event_rows(actor, purpose, today or date.today()),
        )
        .order_by(CreditEvent.occurred_on, CreditEvent.id)
    ).scalars():
        events[ev.loan_id].append(
            CreditEventView(ev.id, ev.loan_id, ev.kind, ev.occurred_on, ev.days_past_due, ev.note)
        )
    views = tuple(
        LoanView(
            loan.id,
            loan.loan_number,
            names.get(loan.lender_org_id, "?"),
            names.get(loan.guarantor_org_id) if loan.guarantor_org_id else None,
            loan.original_amount,
            loan.balance,
            loan.balance_as_of,
            loan.guarantee_ratio_pct,
            loan.interest_rate_bp,
            loan.start_date,
            loan.grace_end_date,
            loan.maturity_date,
            tuple(events.get(loan.id, ())),
            loan.guarantee_number,
            loan.paid_off_on,
        )
        for loan in loans
    )
    return LoanBook(views, tuple(events.get(None, ())))


# ---------------------------------------------------------------------------- uploads


@dataclass(frozen=True)
class UploadTarget:
    """What the upload page shows about the business it uploads for."""

    id: int
    name: str
    fiscal_year_end_month: int


@dataclass(frozen=True)
class SubmissionView:
    """One stored upload (submission) and what it produced."""

    id: int
    filename: str
    format: str
    encoding: str | None
    uploaded_at: datetime
    uploaded_by: str | None  # the uploader's display name
    uploaded_by_org: str | None
    statements: int  # statements this submission created
    current: int  # of which still current (not superseded by a later correction)
    first_period_end: date | None
    last_period_end: date | None


@dataclass(frozen=True)
class SubmissionPage:
    items: tuple[SubmissionView, ...]
    total: int


def may_upload(session: Session, actor: Actor, business_id: int) -> bool:
    """Whether to offer the actor an upload link for the business (not audited: nothing is
    read; following the link is checked and audited by ``read_upload_target``)."""
    return decide_upload(session, actor, session.get(Business, business_id)).allowed


def upload_target_if_allowed(
    session: Session, actor: Actor, business_id: int
) -> UploadTarget | None:
    """The business the actor may upload for, or None (not audited: the upload worker's
    preparation; the upload itself is decided and audited by ``do_import_submission``)."""
    business = session.get(Business, business_id)
    if business is None or not decide_upload(session, actor, business).allowed:
        return None
    return UploadTarget(business.id, business.name, business.fiscal_year_end_month)


def read_upload_target(
    session: Session, actor: Actor, business_id: int, *, today: date | None = None
) -> UploadTarget:
    """The business the actor may upload for (owner, or an officer with a financials
    consent); NotFound otherwise. Audited as ``upload_form``."""
    b = access_business_for_upload(session, actor, business_id, action="upload_form", today=today)
    return UploadTarget(b.id, b.name, b.fiscal_year_end_month)


def list_submissions(
    session: Session,
    actor: Actor,
    business_id: int,
    *,
    purpose: Purpose = Purpose.MONITORING,
    limit: int = 50,
    offset: int = 0,
    today: date | None = None,
) -> SubmissionPage:
    """A business's stored uploads, newest first: one audited read of its financials."""
    business = access_business_by_id(
        session,
        actor,
        business_id,
        Category.FINANCIALS,
        purpose,
        action="read_submissions",
        today=today,
    )
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    total = session.execute(
        select(func.count()).select_from(Submission).where(Submission.business_id == business.id)
    ).scalar_one()
    current = func.sum(case((Statement.superseded_by_id.is_(None), 1), else_=0))
    stmt = (
        select(
            Submission.id,
            Submission.filename,
            Submission.format,
            Submission.encoding,
            Submission.created_at,
            User.display_name,
            Organisation.name,
            func.count(Statement.id),
            func.coalesce(current, 0),
            func.min(Statement.period_end),
            func.max(Statement.period_end),
        )
        .outerjoin(User, User.id == Submission.uploaded_by_user_id)
        .outerjoin(Organisation, Organisation.id == Submission.uploaded_by_org_id)
        .outerjoin(Statement, Statement.submission_id == Submission.id)
        .where(Submission.business_id == business.id)
        .group_by(
            Submission.id,
            Submission.filename,
            Submission.format,
            Submission.encoding,
            Submission.created_at,
            User.display_name,
            Organisation.name,
        )
        .order_by(Submission.created_at.desc(), Submission.id.desc())
        .limit(limit)
        .offset(max(0, offset))
    )
    items = tuple(
        SubmissionView(sid, filename, fmt, enc, created, user, org, int(n), int(cur), first, last)
        for sid, filename, fmt, enc, created, user, org, n, cur, first, last in session.execute(
            stmt
        )
    )
    return SubmissionPage(items, total)
