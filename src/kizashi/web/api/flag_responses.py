"""Your organisation's own response to a flag in the JSON API: state, reason, assignee, due
date, and the history of who changed what, when and why.

``GET /api/v1/flags/{id}/response`` and ``PATCH /api/v1/flags/{id}/response`` read and change
only the logged-in user's organisation's response (the business's owner answers for the
business). Another organisation's state and reasons are never in the body. A flag that is
missing and one the user may not see give the same 404; every decision is audited.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import APIRouter, Body, HTTPException
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from kizashi.access.flag_responses import ResponseEventView, response_history
from kizashi.access.monitoring import read_flag_response, response_view
from kizashi.actions.flags import UNSET, ResponseChange, do_update_flag_response
from kizashi.domain.vocabulary import FlagState, Purpose

from ..deps import ApiPurpose, CurrentUserDep, StoreDep, UnitOfWork
from ..views.monitoring import FlagOut, flag_out
from .contract import (
    MAX_ID,
    NO_NUL,
    READ,
    WRITE,
    ApiRoute,
    FlagId,
    IsoDate,
    MoveState,
    ReasonState,
    UtcDateTime,
    errors,
)


def _no_bool(value: object) -> object:
    """JSON ``true``/``false`` are not numbers (pydantic's lax int would take them as 1/0);
    ``5.0`` is (JSON Schema's integer), and becomes 5."""
    if isinstance(value, bool):
        raise ValueError("not an integer")
    return value


router = APIRouter(prefix="/api/v1", tags=["v1"], route_class=ApiRoute)
NOT_VISIBLE = "No such flag, or not visible to this user"


class ResponseEventOut(BaseModel):
    at: UtcDateTime
    user_name: str | None = Field(description="Who changed it; null: the monitoring run")
    field: str = Field(description="state | assignee | due_on | note")
    old: str | None
    new: str | None
    reason: str | None


class FlagResponseOut(BaseModel):
    flag: FlagOut = Field(description="The flag with your organisation's state and reason")
    history: list[ResponseEventOut] = Field(description="Your organisation's changes, oldest first")


class FlagResponsePatch(BaseModel):
    """Change what you give; leave out what stays. ``assignee_user_id`` / ``due_on`` null clear."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"state": "in_progress", "assignee_user_id": 7, "due_on": "2026-12-15"}]
        },
    )

    state: MoveState | ReasonState | None = Field(
        None, description="acknowledged | in_progress | not_needed (with a reason)"
    )
    reason: str | None = Field(None, max_length=2000, pattern=NO_NUL)
    assignee_user_id: Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_no_bool)] | None = (
        Field(None, description="A user of your organisation; null: nobody")
    )
    due_on: IsoDate | None = Field(None, description="Your organisation's due date; null: none")
    purpose: Purpose = Purpose.MONITORING


def _event_out(e: ResponseEventView) -> ResponseEventOut:
    return ResponseEventOut.model_validate(dataclasses.asdict(e))


@router.get(
    "/flags/{flag_id}/response",
    response_model=FlagResponseOut,
    summary="Your organisation's response to a flag and its history",
    responses=errors(*READ, 404, s404=NOT_VISIBLE),
)
def get_flag_response(
    flag_id: FlagId, user: CurrentUserDep, s: UnitOfWork, purpose: ApiPurpose = Purpose.MONITORING
) -> FlagResponseOut:
    view, history = read_flag_response(s, user.actor, flag_id, purpose)
    return FlagResponseOut(flag=flag_out(view), history=[_event_out(e) for e in history])


@router.patch(
    "/flags/{flag_id}/response",
    response_model=FlagResponseOut,
    summary="Change your organisation's response: state, reason, assignee, due date",
    responses=errors(
        *WRITE,
        404,
        409,
        s403="An owner may only acknowledge; or the CSRF token or Origin is wrong",
        s404=NOT_VISIBLE,
        s409="Not allowed from your current state; 対応不要 without a reason; an assignee "
        "who is not an active user of your organisation",
    ),
)
def patch_flag_response(
    flag_id: FlagId,
    body: Annotated[FlagResponsePatch, Body()],
    user: CurrentUserDep,
    store: StoreDep,
) -> FlagResponseOut:
    given = body.model_fields_set
    change = ResponseChange(
        state=FlagState(body.state) if body.state is not None else UNSET,
        reason=body.reason,
        assignee_user_id=body.assignee_user_id if "assignee_user_id" in given else UNSET,
        due_on=body.due_on if "due_on" in given else UNSET,
    )
    # Its own unit of work: a refusal keeps its audit record before it becomes 403/409/422.
    try:
        with store.session() as s:
            response = do_update_flag_response(
                s, user.actor, flag_id=flag_id, change=change, purpose=body.purpose
            )
            s.flush()
            view = response_view(s, response)
            history = response_history(s, user.actor, flag_id)  # gated by the action
            return FlagResponseOut(flag=flag_out(view), history=[_event_out(e) for e in history])
    except PermissionError as exc:
        raise HTTPException(403, str(exc)) from None
    except ValueError as exc:
        # the schema cannot say these (they depend on the stored state and the organisation's
        # users), so they are conflicts, not invalid bodies
        raise HTTPException(409, str(exc)) from None
