"""Triage under staff limits (migration 0014): each officer's capacity per month, set by the
organisation's administrator, and the triage queue's assignments (which officer contacts which
business in which month)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base


class StaffCapacity(Base):
    """How many businesses an officer can contact (対話) per month."""

    __tablename__ = "staff_capacity"
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    per_month: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class TriageAssignment(Base):
    """One organisation's decision that one officer contacts one business in one month."""

    __tablename__ = "triage_assignment"
    __table_args__ = (
        UniqueConstraint("org_id", "business_id", "period"),
        Index("ix_triage_assignment_officer", "org_id", "officer_user_id", "period"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id"))
    period: Mapped[date] = mapped_column(Date)  # the month's first day
    officer_user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    assigned_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
