"""The risk model's administration (migration 0020): each organisation's weighting of the score
in its triage priority, and the training jobs an administrator starts from a page or the API.

``risk_weight``: the share (0–100 %) of the risk model's score in the organisation's triage
priority; the rest goes to the rules. No row: the deployment's ``KIZASHI_RISK_WEIGHT``.

``risk_model_job``: one requested training run. A page or ``POST /api/v1/admin/models/train``
records it ``queued`` and starts ``kizashi model run-job <id>`` as a separate process (it
survives the request and the web worker); that process claims the row (``queued`` → ``running``,
one winner), trains, and records ``finished`` with the new version or ``failed`` with the reason.
A ``running`` row whose process died is marked ``failed`` when the jobs are next read.

``risk_model_active`` (migration 0023): the version each organisation scores with (ADR 0010).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base

JOB_STATUSES = ("queued", "running", "finished", "failed")


class RiskWeight(Base):
    """How much of an organisation's triage priority comes from the risk model's score."""

    __tablename__ = "risk_weight"
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), primary_key=True)
    score_pct: Mapped[int] = mapped_column(Integer)  # 0: rules only … 100: score only
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class RiskModelJob(Base):
    """One training run requested by an administrator (see the module text)."""

    __tablename__ = "risk_model_job"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    requested_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    status: Mapped[str] = mapped_column(String(16), index=True)
    cutoff: Mapped[str | None] = mapped_column(String(7))  # YYYY-MM (None: the default)
    test_months: Mapped[int] = mapped_column(Integer)
    calibration: Mapped[str] = mapped_column(String(16))
    version: Mapped[str | None] = mapped_column(String(40))
    error: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)


class RiskModelActive(Base):
    """The model version an organisation scores with (migration 0023). No row: the deployment's
    model (``<data_dir>/models/active.json``, the operator's) is the organisation's fallback.
    The version's files carry their owner (``meta.owner_org_id``); only the owner's own
    versions are activated here (``actions.risk_models``)."""

    __tablename__ = "risk_model_active"
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), primary_key=True)
    version: Mapped[str] = mapped_column(String(40))
    activated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    activated_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
