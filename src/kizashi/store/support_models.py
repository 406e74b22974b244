"""Support cases (支援案件): the case, its linked flags and history, dialogue records (面談記録)
with agreed actions, attachments and the owner's comments, and the non-financial ロカベン items
per period. Migration 0011. Enum-like columns hold the values of ``domain.support``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base


class SupportCase(Base):
    """One organisation's case about one business."""

    __tablename__ = "support_case"
    __table_args__ = (
        Index("ix_support_case_org_status", "org_id", "status"),
        Index("ix_support_case_business", "business_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    title: Mapped[str] = mapped_column(String(200))
    support_type: Mapped[str] = mapped_column(String(32))
    stage: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    owner_user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    next_contact_on: Mapped[date | None] = mapped_column(Date)
    cadence: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(32))
    outcome_note: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    opened_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # a referral (issue 13) opens a case at the receiver linked to the sender's
    linked_case_id: Mapped[int | None] = mapped_column(ForeignKey("support_case.id"))


class SupportCaseFlag(Base):
    """A flag the case was opened from (or linked later)."""

    __tablename__ = "support_case_flag"
    __table_args__ = (UniqueConstraint("case_id", "flag_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("support_case.id"))
    flag_id: Mapped[int] = mapped_column(ForeignKey("flag.id"))


class SupportCaseEvent(Base):
    """One change of a case: support type, stage, owner, next contact, cadence, status."""

    __tablename__ = "support_case_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("support_case.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    field: Mapped[str] = mapped_column(String(32))
    old: Mapped[str | None] = mapped_column(String(200))
    new: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)


class DialogueRecord(Base):
    """A 面談記録: when, where, who, what was discussed, what the owner said."""

    __tablename__ = "dialogue_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("support_case.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(16))
    place: Mapped[str | None] = mapped_column(String(200))
    attendees: Mapped[str] = mapped_column(Text)  # one per line
    topics: Mapped[str] = mapped_column(Text)
    owner_said: Mapped[str | None] = mapped_column(Text)
    shared_with_owner: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class DialogueAction(Base):
    """An action agreed in a dialogue: what, who does it, by when, done or not."""

    __tablename__ = "dialogue_action"
    id: Mapped[int] = mapped_column(primary_key=True)
    dialogue_id: Mapped[int] = mapped_column(ForeignKey("dialogue_record.id"), index=True)
    what: Mapped[str] = mapped_column(Text)
    party: Mapped[str] = mapped_column(String(16))
    due_on: Mapped[date | None] = mapped_column(Date)
    done_on: Mapped[date | None] = mapped_column(Date)


class DialogueAttachment(Base):
    """A file brought to a dialogue, stored content-addressed like every raw file."""

    __tablename__ = "dialogue_attachment"
    id: Mapped[int] = mapped_column(primary_key=True)
    dialogue_id: Mapped[int] = mapped_column(ForeignKey("dialogue_record.id"), index=True)
    raw_sha256: Mapped[str] = mapped_column(ForeignKey("raw_file.sha256"))
    filename: Mapped[str] = mapped_column(String(400))


class DialogueComment(Base):
    """The business owner's own comment on a record shared with them."""

    __tablename__ = "dialogue_comment"
    id: Mapped[int] = mapped_column(primary_key=True)
    dialogue_id: Mapped[int] = mapped_column(ForeignKey("dialogue_record.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    body: Mapped[str] = mapped_column(Text)


class CaseNonFinancial(Base):
    """One non-financial ロカベン item of a case for one period (the latest text kept)."""

    __tablename__ = "case_non_financial"
    __table_args__ = (UniqueConstraint("case_id", "period", "item"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("support_case.id"))
    period: Mapped[str] = mapped_column(String(16))
    item: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
