"""Reports on a business (報告書: 計画の進捗報告 and 税理士によるモニタリング報告書): the report, its
figures snapshot (int yen, as generated when it was written; frozen once sent) and the
organisations it is sent to. Migration 0016. Kinds, statuses and cadences hold the values of
``domain.reports``; items those of ``domain.plans.ITEMS``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base


class BusinessReport(Base):
    """One report on one business, written by one organisation (its author)."""

    __tablename__ = "business_report"
    __table_args__ = (
        Index("ix_business_report_author_status", "author_org_id", "status"),
        Index("ix_business_report_business", "business_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id"))
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    author_org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("business_plan.id"))
    plan_version: Mapped[int | None] = mapped_column(Integer)
    period_from: Mapped[date] = mapped_column(Date)  # first day of the first month
    period_to: Mapped[date] = mapped_column(Date)  # first day of the last month
    cadence: Mapped[str] = mapped_column(String(16))
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text)  # the author's comments
    # submission timeliness of the period's months, as recorded when the figures were taken
    on_time_months: Mapped[int] = mapped_column(Integer)
    late_months: Mapped[int] = mapped_column(Integer)
    missing_months: Mapped[int] = mapped_column(Integer)
    figures_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # the report whose cadence created this one (its successor's draft)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("business_report.id"))


class ReportFigure(Base):
    """One item of a report's figures: plan, actual and last year's actual of the period."""

    __tablename__ = "report_figure"
    __table_args__ = (UniqueConstraint("report_id", "item"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("business_report.id"), index=True)
    item: Mapped[str] = mapped_column(String(32))
    plan: Mapped[int | None] = mapped_column(BigInteger)
    actual: Mapped[int | None] = mapped_column(BigInteger)
    last_year: Mapped[int | None] = mapped_column(BigInteger)


class ReportRecipient(Base):
    """An organisation a report is (to be) sent to, and its acknowledgement."""

    __tablename__ = "report_recipient"
    __table_args__ = (UniqueConstraint("report_id", "org_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("business_report.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
