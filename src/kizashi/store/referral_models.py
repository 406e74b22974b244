"""Referrals across organisations (紹介・持込): the referral, the dialogue records the owner
chose to send with it and the consent grants its approval created. Migration 0013. Kinds and
statuses hold the values of ``domain.referrals``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base


class Referral(Base):
    """One organisation refers one business to another, with a handover note."""

    __tablename__ = "referral"
    __table_args__ = (
        Index("ix_referral_to_org_status", "to_org_id", "status"),
        Index("ix_referral_from_org", "from_org_id"),
        Index("ix_referral_business", "business_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id"))
    from_org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    to_org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    from_case_id: Mapped[int | None] = mapped_column(ForeignKey("support_case.id"))
    to_case_id: Mapped[int | None] = mapped_column(ForeignKey("support_case.id"))
    kind: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    share_flags: Mapped[bool] = mapped_column(Boolean)
    share_indicators: Mapped[bool] = mapped_column(Boolean)
    owner_decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answered_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str | None] = mapped_column(Text)


class ReferralDialogue(Base):
    """A dialogue record the owner chose to send with the referral."""

    __tablename__ = "referral_dialogue"
    __table_args__ = (UniqueConstraint("referral_id", "dialogue_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    dialogue_id: Mapped[int] = mapped_column(ForeignKey("dialogue_record.id"))


class ReferralGrant(Base):
    """A consent grant (purpose 紹介) the owner's approval created for the receiver."""

    __tablename__ = "referral_grant"
    __table_args__ = (UniqueConstraint("referral_id", "grant_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("consent_grant.id"))
