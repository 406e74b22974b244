"""What changed for your organisation since a day (default: the first day of last month):
``GET /api/v1/changes?since=YYYY-MM-DD&threshold=0.2`` — new flags, cleared flags, missed
trial-balance deadlines, and businesses whose risk-model probability crossed ``threshold``.
Each part only for businesses whose flags / financials you may read; audited."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from kizashi.access.changes import read_changes
from kizashi.domain.vocabulary import Purpose

from ..deps import ApiPurpose, CurrentUserDep, SettingsDep, UnitOfWork
from .contract import READ, ApiRoute, IsoDate, errors

router = APIRouter(prefix="/api/v1", tags=["v1"], route_class=ApiRoute)


class ChangesOut(BaseModel):
    since: date
    until: date
    threshold: float
    new_flags: list[dict[str, Any]]
    cleared_flags: list[dict[str, Any]]
    missed_submissions: list[dict[str, Any]]
    crossed_threshold: list[dict[str, Any]]


@router.get(
    "/changes",
    response_model=ChangesOut,
    summary="What changed for your organisation since a day",
    responses=errors(*READ),
)
def get_changes(
    user: CurrentUserDep,
    s: UnitOfWork,
    settings: SettingsDep,
    since: Annotated[IsoDate | None, Query(description="Default: first day of last month")] = None,
    threshold: Annotated[float, Query(gt=0, lt=1)] = 0.2,
    purpose: ApiPurpose = Purpose.MONITORING,
) -> ChangesOut:
    c = read_changes(
        s,
        user.actor,
        since=since,
        purpose=purpose,
        deadline_days=settings.submission_deadline_days,
        data_dir=settings.data_dir,
        threshold=threshold,
        lang="ja" if user.locale == "ja" else "en",
    )
    return ChangesOut(
        since=c.since,
        until=c.until,
        threshold=c.threshold,
        new_flags=[dataclasses.asdict(x) for x in c.new_flags],
        cleared_flags=[dataclasses.asdict(x) for x in c.cleared_flags],
        missed_submissions=[dataclasses.asdict(x) for x in c.missed],
        crossed_threshold=[dataclasses.asdict(x) for x in c.crossed],
    )
