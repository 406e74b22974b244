"""SQLAlchemy 2 models of the operational store.

Money is integer yen (BigInteger). Rates are integer basis points or percent. Every change to
these models needs an Alembic migration (tests/store/test_migrations.py fails otherwise).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from kizashi.domain.consent import GrantSource, RequestStatus

# The vocabulary lives in the domain; re-exported here for code that still imports it from
# the store (new code imports kizashi.domain.vocabulary).
from kizashi.domain.vocabulary import (
    Category,
    CreditEventKind,
    FlagState,
    OrgKind,
    Purpose,
    Relation,
    Role,
    RunStatus,
    StatementKind,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(
        cls,
        name=name,
        native_enum=False,
        length=32,
        validate_strings=True,
        values_callable=lambda e: [m.value for m in e],
    )


class Organisation(Base):
    __tablename__ = "organisation"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OrgKind] = mapped_column(_enum(OrgKind, "org_kind"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(
        String(64), unique=True
    )  # short stable handle, e.g. "cgc-hokkaido"
    corporate_number: Mapped[str | None] = mapped_column(String(13))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    users: Mapped[list[User]] = relationship(back_populates="organisation")


class User(Base):
    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    login: Mapped[str] = mapped_column(String(120), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(_enum(Role, "user_role"))
    password_hash: Mapped[str] = mapped_column(String(200))
    locale: Mapped[str] = mapped_column(String(8), default="ja")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    organisation: Mapped[Organisation] = relationship(back_populates="users")


class Business(Base):
    """事業者. Its own organisation (kind=business) is the tenant that owns its data."""

    __tablename__ = "business"
    __table_args__ = (
        CheckConstraint("fiscal_year_end_month BETWEEN 1 AND 12", name="fy_end_month"),
        Index("ix_business_industry_pref", "industry_code", "prefecture_code"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), unique=True)
    corporate_number: Mapped[str | None] = mapped_column(String(13), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    industry_code: Mapped[str] = mapped_column(String(2))  # 日本標準産業分類 中分類
    industry_major: Mapped[str] = mapped_column(String(1), index=True)  # 大分類
    prefecture_code: Mapped[str] = mapped_column(String(2))
    fiscal_year_end_month: Mapped[int] = mapped_column(Integer)
    employees: Mapped[int | None] = mapped_column(Integer)
    capital_yen: Mapped[int | None] = mapped_column(BigInteger)
    founded_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    organisation: Mapped[Organisation] = relationship()


class BusinessLink(Base):
    """An organisation's relationship with a business (lender, guarantor, advisor, registrar)."""

    __tablename__ = "business_link"
    __table_args__ = (UniqueConstraint("org_id", "business_id", "relation"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id"), index=True)
    relation: Mapped[Relation] = mapped_column(_enum(Relation, "business_relation"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ConsentGrant(Base):
    """The business's consent that one organisation sees one data category for one purpose."""

    __tablename__ = "consent_grant"
    __table_args__ = (
        Index("ix_consent_lookup", "business_id", "grantee_org_id", "category", "purpose"),
        Index("ix_consent_grantee", "grantee_org_id", "category"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id"))
    grantee_org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    category: Mapped[Category] = mapped_column(_enum(Category, "consent_category"))
    purpose: Mapped[Purpose] = mapped_column(_enum(Purpose, "consent_purpose"))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    granted_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # consent requests and 包括同意 (0007): how the grant came about, the application
    # document an institution recorded it from, the request it answers, who revoked it
    source: Mapped[GrantSource] = mapped_column(
        _enum(GrantSource, "consent_source"), default=GrantSource.OWNER, server_default="owner"
    )
    document_ref: Mapped[str | None] = mapped_column(String(200))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("consent_request.id"), index=True)
    revoked_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class Loan(Base):
    __tablename__ = "loan"
    __table_args__ = (
        CheckConstraint("guarantee_ratio_pct IN (0, 80, 100)", name="guarantee_ratio"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id"), index=True)
    lender_org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    guarantor_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    loan_number: Mapped[str] = mapped_column(String(40))
    original_amount: Mapped[int] = mapped_column(BigInteger)
    balance: Mapped[int] = mapped_column(BigInteger)
    balance_as_of: Mapped[date] = mapped_column(Date)
    guarantee_ratio_pct: Mapped[int] = mapped_column(Integer)  # 100, 80 (責任共有) or 0
    interest_rate_bp: Mapped[int] = mapped_column(Integer)
    start_date: Mapped[date] = mapped_column(Date)
    grace_end_date: Mapped[date | None] = mapped_column(Date)  # 据置期間の終了
    maturity_date: Mapped[date] = mapped_column(Date)
    # loan entry (0008): the guarantee's number at the 保証協会, and the day it was paid off (完済)
    guarantee_number: Mapped[str | None] = mapped_column(String(40))
    paid_off_on: Mapped[date | None] = mapped_column(Date)


class RepaymentInstalment(Base):
    __tablename__ = "repayment_instalment"
    __table_args__ = (UniqueConstraint("loan_id", "due_date"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loan.id"), index=True)
    due_date: Mapped[date] = mapped_column(Date)
    principal: Mapped[int] = mapped_column(BigInteger)
    interest: Mapped[int] = mapped_column(BigInteger)
    # when the lender reported it paid; NULL while unpaid (due later, or overdue)
    paid_on: Mapped[date | None] = mapped_column(Date)


class CreditEvent(Base):
    __tablename__ = "credit_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id"), index=True)
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("loan.id"), index=True)
    kind: Mapped[CreditEventKind] = mapped_column(_enum(CreditEventKind, "credit_event_kind"))
    occurred_on: Mapped[date] = mapped_column(Date)
    days_past_due: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))


class RawFile(Base):
    """An uploaded file, content-addressed: the bytes live at data_dir/raw/ab/<sha256>."""

    __tablename__ = "raw_file"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    first_filename: Mapped[str] = mapped_column(String(400))
    stored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Submission(Base):
    """One upload for one business: atomic (all statements stored, or none)."""

    __tablename__ = "submission"
    __table_args__ = (UniqueConstraint("business_id", "raw_sha256"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id"), index=True)
    raw_sha256: Mapped[str] = mapped_column(ForeignKey("raw_file.sha256"))
    filename: Mapped[str] = mapped_column(String(400))
    format: Mapped[str] = mapped_column(String(64))
    encoding: Mapped[str | None] = mapped_column(String(32))
    uploaded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    uploaded_by_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    report_json: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Statement(Base):
    """A trial balance or annual statement for one business and period.

    Monthly trial balances are cumulative from the fiscal-year start (P/L items year to
    date, B/S items at period end). A corrected file for the same period becomes a new
    version; the old one stays readable (superseded_by_id points at its successor).
    """

    __tablename__ = "statement"
    __table_args__ = (
        UniqueConstraint("business_id", "kind", "period_end", "version"),
        Index("ix_statement_current", "business_id", "kind", "period_end", "superseded_by_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id"))
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id"), index=True)
    kind: Mapped[StatementKind] = mapped_column(_enum(StatementKind, "statement_kind"))
    fiscal_year_start: Mapped[date] = mapped_column(Date)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("statement.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    lines: Mapped[list[StatementLine]] = relationship(
        back_populates="statement", cascade="all, delete-orphan"
    )


class StatementLine(Base):
    """One amount of a statement. Several as-reported accounts may map to one standard item:
    each keeps its own line (``as_reported_name``; '' when the source has no such name)."""

    __tablename__ = "statement_line"
    statement_id: Mapped[int] = mapped_column(ForeignKey("statement.id"), primary_key=True)
    item_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    as_reported_name: Mapped[str] = mapped_column(String(200), primary_key=True, default="")
    amount: Mapped[int] = mapped_column(BigInteger)

    statement: Mapped[Statement] = relationship(back_populates="lines")


class AccountMapping(Base):
    """A person's confirmation of an as-reported account → standard item, never asked twice."""

    __tablename__ = "account_mapping"
    __table_args__ = (UniqueConstraint("business_id", "source_format", "as_reported_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id"), index=True)
    source_format: Mapped[str] = mapped_column(String(64))
    as_reported_key: Mapped[str] = mapped_column(String(200))  # normalised name
    as_reported_name: Mapped[str] = mapped_column(String(200))
    item_code: Mapped[str] = mapped_column(String(64))
    confirmed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    confirmed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ColumnMappingPreset(Base):
    """An organisation's saved column layout for trial-balance files kizashi has not seen."""

    __tablename__ = "column_mapping_preset"
    __table_args__ = (UniqueConstraint("org_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    mapping_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditEvent(Base):
    """Append-only, hash-chained audit log: hash = sha256(prev_hash + canonical record)."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_business_at", "business_id", "at"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor_user_id: Mapped[int | None] = mapped_column(Integer)
    actor_org_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(8))  # allow | deny | write
    business_id: Mapped[int | None] = mapped_column(Integer)
    category: Mapped[str | None] = mapped_column(String(200))
    purpose: Mapped[str | None] = mapped_column(String(32))
    object_type: Mapped[str | None] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """One row: the latest hash. Locked FOR UPDATE so concurrent writers chain in order."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_id: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


# --------------------------------------------------------------------------- web sessions


class WebSession(Base):
    """A login on the web: the cookie carries a random token, the store only its sha256.

    Valid while not revoked and before both expiries; ``idle_expires_at`` moves forward as
    the user is active (at most once a minute), ``absolute_expires_at`` never moves.
    """

    __tablename__ = "web_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    idle_expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    absolute_expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))


class LoginThrottle(Base):
    """Failed logins counted per login ID (``scope`` account) or per client address.

    Kept for login IDs that do not exist too, so a lockout reveals nothing about which exist.
    An account row is locked from ``locked_at`` until ``locked_until`` (NULL: until an
    administrator unlocks it).
    """

    __tablename__ = "login_throttle"
    __table_args__ = (UniqueConstraint("scope", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))  # account | address
    key: Mapped[str] = mapped_column(String(200))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_failure_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    locked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# --------------------------------------------------------------------------- monitoring


class RulePack(Base):
    """A versioned rule pack. ``org_id`` NULL is the shipped default; an organisation's own
    copy is one row per version, and at most one of its versions is active."""

    __tablename__ = "rule_pack"
    __table_args__ = (UniqueConstraint("pack_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    pack_id: Mapped[str] = mapped_column(String(120))
    version: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    yaml_text: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MonitoringRun(Base):
    """One pack evaluated over the store by one ``kizashi run`` (``token``: that job).

    Recorded as ``running`` before the work starts; the job's single commit makes it
    ``finished`` together with its flags, summaries and audit event. A run whose process died
    is marked ``failed`` by the next start (``host``/``pid``/``heartbeat_at`` tell it apart).
    """

    __tablename__ = "monitoring_run"
    id: Mapped[int] = mapped_column(primary_key=True)
    as_of_month: Mapped[date] = mapped_column(Date, index=True)
    pack_ref: Mapped[str] = mapped_column(String(160))  # pack_id@version
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    businesses: Mapped[int] = mapped_column(Integer, default=0)
    open_flags: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[RunStatus] = mapped_column(_enum(RunStatus, "run_status"), index=True)
    error: Mapped[str | None] = mapped_column(Text)
    token: Mapped[str | None] = mapped_column(String(32), index=True)
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Flag(Base):
    """予兆フラグ: one rule's condition holding for one business over consecutive months.

    A condition that persists is one flag (opened_month .. closed_month), not one per month.
    ``org_id`` is the organisation whose own pack raised it (NULL: the shared default pack).
    """

    __tablename__ = "flag"
    __table_args__ = (
        UniqueConstraint("business_id", "pack_ref", "rule_id", "opened_month"),
        Index("ix_flag_open", "business_id", "is_open"),
        # at most one open flag per business × pack × rule (partial index: SQLite, PostgreSQL)
        Index(
            "ux_flag_one_open",
            "business_id",
            "pack_ref",
            "rule_id",
            unique=True,
            sqlite_where=text("is_open"),
            postgresql_where=text("is_open"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id"))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    pack_ref: Mapped[str] = mapped_column(String(160))
    rule_id: Mapped[str] = mapped_column(String(120))
    severity: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(32))
    opened_month: Mapped[date] = mapped_column(Date)
    closed_month: Mapped[date | None] = mapped_column(Date)
    last_seen_month: Mapped[date] = mapped_column(Date)
    is_open: Mapped[bool] = mapped_column(Boolean)
    state: Mapped[FlagState] = mapped_column(_enum(FlagState, "flag_state"))
    state_reason: Mapped[str | None] = mapped_column(Text)
    evidence_opened: Mapped[str] = mapped_column(Text, default="{}")
    evidence_latest: Mapped[str] = mapped_column(Text, default="{}")
    run_id: Mapped[int | None] = mapped_column(ForeignKey("monitoring_run.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # the run that first found this episode (0008): "new since the last run"
    first_run_id: Mapped[int | None] = mapped_column(ForeignKey("monitoring_run.id"))


class MonitoringSummary(Base):
    """Per business and pack, from the latest run: what the triage queue sorts by."""

    __tablename__ = "monitoring_summary"
    __table_args__ = (Index("ix_summary_priority", "pack_ref", "priority"),)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id"), primary_key=True)
    pack_ref: Mapped[str] = mapped_column(String(160), primary_key=True)
    as_of_month: Mapped[date] = mapped_column(Date)
    open_flags: Mapped[int] = mapped_column(Integer)
    open_critical: Mapped[int] = mapped_column(Integer, default=0)
    open_high: Mapped[int] = mapped_column(Integer, default=0)
    open_medium: Mapped[int] = mapped_column(Integer, default=0)
    open_low: Mapped[int] = mapped_column(Integer, default=0)
    priority: Mapped[float] = mapped_column(Float)
    exposure_yen: Mapped[int] = mapped_column(BigInteger, default=0)
    guaranteed_yen: Mapped[int] = mapped_column(BigInteger, default=0)
    locaben_rating: Mapped[str | None] = mapped_column(String(1))
    locaben_total: Mapped[int | None] = mapped_column(Integer)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("monitoring_run.id"))


# --------------------------------------------------------------------------- flag responses (0008)


class FlagResponse(Base):
    """One organisation's own response to a flag: its state, reason, assignee and due date.

    The flag (the episode) is a fact about the business; each organisation that sees it —
    the business itself included — answers it on its own row. No row yet: 新規 while the flag
    is open. The monitoring run moves the rows when the episode closes or reopens (FLAG_MOVES).
    """

    __tablename__ = "flag_response"
    __table_args__ = (
        UniqueConstraint("flag_id", "org_id"),
        Index("ix_flag_response_org_state", "org_id", "state"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("flag.id"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    state: Mapped[FlagState] = mapped_column(_enum(FlagState, "flag_response_state"))
    reason: Mapped[str | None] = mapped_column(Text)
    assignee_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    due_on: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    flag: Mapped[Flag] = relationship()

    @property
    def business_id(self) -> int:
        """The business the answered flag is about."""
        return self.flag.business_id


class FlagResponseEvent(Base):
    """One change of an organisation's response: who (NULL: the monitoring run), when, what
    (``field``: state | assignee | due_on), from what to what, and why."""

    __tablename__ = "flag_response_event"
    __table_args__ = (Index("ix_flag_response_event_lookup", "flag_id", "org_id", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("flag.id"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("monitoring_run.id"))
    field: Mapped[str] = mapped_column(String(16))
    old: Mapped[str | None] = mapped_column(String(64))
    new: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)


# --------------------------------------------------------------------------- consent requests


class ConsentRequest(Base):
    """An organisation asks the business for consent: categories, purpose, wanted validity and
    its reason. The business approves all or part (grants with ``request_id``) or declines;
    pending past ``expires_on`` it reads as expired (``domain.consent.request_status``)."""

    __tablename__ = "consent_request"
    __table_args__ = (
        Index("ix_consent_request_business", "business_id", "status"),
        Index("ix_consent_request_requester", "requester_org_id", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id"))
    requester_org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    requested_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    categories: Mapped[str] = mapped_column(String(200))  # category codes, comma-separated
    purpose: Mapped[Purpose] = mapped_column(_enum(Purpose, "consent_purpose"))
    reason: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    status: Mapped[RequestStatus] = mapped_column(_enum(RequestStatus, "consent_request_status"))
    expires_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    responded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    responded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    approved_categories: Mapped[str | None] = mapped_column(String(200))
    response_note: Mapped[str | None] = mapped_column(Text)  # the business's reason, if any


# --------------------------------------------------------------------------- bank and invoices
# (money that moved: domain.bank; written by actions.bank; migration 0009)


class BankAccount(Base):
    """A bank account of a business, as its statements name it (``BankAccountRef.key``)."""

    __tablename__ = "bank_account"
    __table_args__ = (UniqueConstraint("business_id", "account_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id"), index=True)
    account_key: Mapped[str] = mapped_column(String(64))
    bank_code: Mapped[str] = mapped_column(String(4))
    branch_code: Mapped[str] = mapped_column(String(3))
    account_type: Mapped[str] = mapped_column(String(16))
    number: Mapped[str] = mapped_column(String(10))
    bank_name: Mapped[str] = mapped_column(String(100))
    branch_name: Mapped[str] = mapped_column(String(100))
    holder: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BankTransaction(Base):
    """One movement on an account; ``dedup_key`` (sha256 of date, amount, balance, words and
    the same-day sequence) makes re-importing an overlapping statement add nothing twice."""

    __tablename__ = "bank_transaction"
    __table_args__ = (
        UniqueConstraint("account_id", "dedup_key"),
        Index("ix_bank_transaction_business_day", "business_id", "booked_on"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("bank_account.id"))
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), index=True)
    booked_on: Mapped[date] = mapped_column(Date)
    value_on: Mapped[date | None] = mapped_column(Date)
    amount_yen: Mapped[int] = mapped_column(BigInteger)  # + in, − out
    balance_yen: Mapped[int | None] = mapped_column(BigInteger)
    counterparty: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))  # domain.bank.TxKind
    reference: Mapped[str] = mapped_column(String(100))
    dedup_key: Mapped[str] = mapped_column(String(64))


class Counterparty(Base):
    """A customer or supplier of a business, met on an invoice or a schedule."""

    __tablename__ = "counterparty"
    __table_args__ = (UniqueConstraint("business_id", "match_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    match_key: Mapped[str] = mapped_column(String(200))
    registration_number: Mapped[str | None] = mapped_column(String(14))  # T + 13 digits
    corporate_number: Mapped[str | None] = mapped_column(String(13))


class Invoice(Base):
    """An invoice or credit note the business issued or received (credit notes negative)."""

    __tablename__ = "invoice"
    __table_args__ = (
        UniqueConstraint("business_id", "dedup_key"),
        Index("ix_invoice_business_issue", "business_id", "issue_date"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id"))
    counterparty_id: Mapped[int] = mapped_column(ForeignKey("counterparty.id"))
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), index=True)
    direction: Mapped[str] = mapped_column(String(16))  # domain.bank.InvoiceDirection
    invoice_number: Mapped[str] = mapped_column(String(100))
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    total_yen: Mapped[int] = mapped_column(BigInteger)
    tax_yen: Mapped[int] = mapped_column(BigInteger)
    payable_yen: Mapped[int] = mapped_column(BigInteger)
    credit_note: Mapped[bool] = mapped_column(Boolean)
    paid: Mapped[bool] = mapped_column(Boolean)
    source_format: Mapped[str] = mapped_column(String(100))
    dedup_key: Mapped[str] = mapped_column(String(64))


class OpenItem(Base):
    """A receivable or payable open at ``as_of``. A schedule (``source`` "schedule") or a
    transfer request (``source`` "transfer_request", 全銀 21) replaces the business's earlier
    items of the same side and source: it is the whole list at its date."""

    __tablename__ = "open_item"
    __table_args__ = (Index("ix_open_item_business", "business_id", "side"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id"))
    counterparty_id: Mapped[int] = mapped_column(ForeignKey("counterparty.id"))
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), index=True)
    side: Mapped[str] = mapped_column(String(16))  # domain.bank.OpenItemSide
    source: Mapped[str] = mapped_column(String(32))
    amount_yen: Mapped[int] = mapped_column(BigInteger)
    due_date: Mapped[date | None] = mapped_column(Date)
    as_of: Mapped[date | None] = mapped_column(Date)
    invoice_number: Mapped[str] = mapped_column(String(100))
