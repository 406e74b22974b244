"""Business plans (事業計画・資金繰り計画・収益力改善アクションプラン・早期経営改善計画・経営改善計画):
the plan (it belongs to the business), its versions (a new version never overwrites an older
one), each version's targets per month or per fiscal year and its dated actions. Migration 0012.
Money is int yen. Kinds and granularities hold the values of ``domain.plans``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base


class BusinessPlan(Base):
    """One plan of one business (its versions hold the figures)."""

    __tablename__ = "business_plan"
    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class PlanVersion(Base):
    """One version of a plan: never changed once stored; a new version supersedes it."""

    __tablename__ = "plan_version"
    __table_args__ = (UniqueConstraint("plan_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("business_plan.id"), index=True)
    version: Mapped[int] = mapped_column()
    granularity: Mapped[str] = mapped_column(String(16))  # monthly | annual
    note: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))  # entered | csv | xlsx
    source_name: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_by_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))


class PlanTarget(Base):
    """A version's targets for one period (monthly: the month's first day; annual: the first
    day of the fiscal year's last month). P/L items are the period's flow, cash and borrowings
    the balance at its end; None: no target."""

    __tablename__ = "plan_target"
    __table_args__ = (UniqueConstraint("version_id", "period"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("plan_version.id"), index=True)
    period: Mapped[date] = mapped_column(Date)
    sales: Mapped[int | None] = mapped_column(BigInteger)
    gross_profit: Mapped[int | None] = mapped_column(BigInteger)
    operating_profit: Mapped[int | None] = mapped_column(BigInteger)
    cash: Mapped[int | None] = mapped_column(BigInteger)
    borrowings: Mapped[int | None] = mapped_column(BigInteger)


class PlanAction(Base):
    """A dated action of a version (アクションプラン): what, by when, who."""

    __tablename__ = "plan_action"
    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("plan_version.id"), index=True)
    due_on: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(300))
    owner: Mapped[str | None] = mapped_column(String(100))
