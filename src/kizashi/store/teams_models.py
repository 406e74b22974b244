"""Teams of officers within an organisation (migration 0018): a team's name and its members, each
a plain member or a manager (``TeamRole``). An officer is in at most one team (the member row's
key is the user)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base


class Team(Base):
    """A team (チーム) of an organisation, e.g. 融資一課 or 本店営業部."""

    __tablename__ = "team"
    __table_args__ = (UniqueConstraint("org_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TeamMember(Base):
    """An officer's membership of a team (one team per officer)."""

    __tablename__ = "team_member"
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # TeamRole
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
