"""A business's submission timeliness in the JSON API:
``GET /api/v1/businesses/{id}/timeliness`` — months delivered, on time, late and missing over the
twelve months before this one, each month with its deadline (month end + the setting
``submission_deadline_days``) and the day it was first delivered. Read under the business's
``financials`` consent (the owner: always), audited."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel, Field

from kizashi.access.timeliness import read_timeliness
from kizashi.domain.vocabulary import Purpose

from ..deps import ApiPurpose, CurrentUserDep, SettingsDep, UnitOfWork
from .contract import READ, ApiRoute, BusinessId, errors

router = APIRouter(prefix="/api/v1", tags=["v1"], route_class=ApiRoute)


class MonthOut(BaseModel):
    month: date = Field(description="The month's last day")
    deadline: date
    delivered_on: date | None
    status: str = Field(description="on_time | late | missing | due (deadline not yet passed)")
    days_late: int | None


class TimelinessOut(BaseModel):
    business_id: int
    deadline_days: int = Field(description="Days after the month's end (setting)")
    months_delivered: int
    on_time: int
    late: int
    missing: int
    months: list[MonthOut] = Field(description="Oldest first")


@router.get(
    "/businesses/{business_id}/timeliness",
    response_model=TimelinessOut,
    summary="Submission timeliness: months delivered, on time, late, missing",
    responses=errors(*READ, 404),
)
def get_timeliness(
    business_id: BusinessId,
    user: CurrentUserDep,
    s: UnitOfWork,
    settings: SettingsDep,
    purpose: ApiPurpose = Purpose.MONITORING,
) -> TimelinessOut:
    t = read_timeliness(
        s,
        user.actor,
        business_id,
        purpose,
        deadline_days=settings.submission_deadline_days,
    )
    return TimelinessOut(
        business_id=business_id,
        deadline_days=t.deadline_days,
        months_delivered=t.delivered,
        on_time=t.on_time,
        late=t.late,
        missing=t.missing,
        months=[MonthOut(**m.__dict__) for m in t.months],
    )
