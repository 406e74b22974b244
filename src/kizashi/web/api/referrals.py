"""Referrals across organisations (紹介・持込) in the JSON API.

Reads go through ``access.referrals`` (the sender, the receiver once the owner approved —
reading exactly what the owner sent —, the business's owner); writes through
``actions.referrals``. A referral that is missing and one the user takes no part in are the
same 404; every decision is audited.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from kizashi.access.referrals import (
    ReferralDetail,
    ReferralRow,
    list_referrals,
    organisation_id_by_code,
    read_referral,
)
from kizashi.actions.referrals import (
    do_accept_referral,
    do_approve_referral,
    do_create_referral,
    do_decline_referral,
    do_refuse_referral,
    do_withdraw_referral,
)
from kizashi.domain.referrals import MAX_NOTE_CHARS, MAX_REASON_CHARS, ReferralKind, ReferralStatus
from kizashi.domain.support import SupportType
from kizashi.domain.vocabulary import Purpose

from ..deps import CurrentUserDep, SettingsDep, StoreDep, UnitOfWork
from .contract import MAX_ID, NO_NUL, READ, WRITE, ApiRoute, BusinessId, RowId, errors

router = APIRouter(prefix="/api/v1", tags=["v1"], route_class=ApiRoute)
NOT_VISIBLE = "No such referral, or you take no part in it"
CONFLICT = "Not in a state for this; an invalid receiver, note, reason or record"
ReferralId = Annotated[int, Path(ge=1, le=MAX_ID, description="The referral's id", examples=[1])]


class ReferralIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to_org_code: str = Field(min_length=1, max_length=64, pattern=NO_NUL)
    kind: ReferralKind
    note: str = Field(min_length=1, max_length=MAX_NOTE_CHARS, pattern=NO_NUL)
    from_case_id: RowId | None = None
    purpose: Purpose = Field(
        Purpose.SUPPORT,
        description="The purpose under which your organisation holds the business (not referral)",
    )


class ApproveIn(BaseModel):
    """The owner's selection: what travels with the referral (基本情報 always)."""

    model_config = ConfigDict(extra="forbid")
    share_flags: bool = False
    share_indicators: bool = False
    dialogue_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        default_factory=list, max_length=100
    )


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(None, max_length=MAX_REASON_CHARS, pattern=NO_NUL)


class DeclineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=MAX_REASON_CHARS, pattern=NO_NUL)


class AcceptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    owner_user_id: RowId | None = None
    support_type: SupportType | None = None


def _write(store: StoreDep, fn: Callable[..., Any], *args: Any, **kw: Any) -> None:
    """One unit of work; a refusal keeps its audit record before it becomes 403/409."""
    try:
        with store.session() as s:
            fn(s, *args, **kw)
    except PermissionError as exc:
        raise HTTPException(403, str(exc)) from None
    except ValueError as exc:
        raise HTTPException(409, str(exc)) from None


def _detail(
    store: StoreDep, settings: SettingsDep, user: CurrentUserDep, rid: int
) -> ReferralDetail:
    with store.session() as s:
        return read_referral(s, user.actor, rid, data_dir=settings.data_dir)


@router.get(
    "/referrals",
    response_model=list[ReferralRow],
    summary="Referrals you take part in (sent, received once the owner approved, or your own)",
    responses=errors(*READ),
)
def get_referrals(
    user: CurrentUserDep,
    s: UnitOfWork,
    box: Annotated[str | None, Query(pattern="^(sent|received)$")] = None,
    business_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    status: ReferralStatus | None = None,
) -> list[ReferralRow]:
    return list_referrals(
        s,
        user.actor,
        box=box,
        business_id=business_id,
        status=status.value if status else None,
    )


@router.post(
    "/businesses/{business_id}/referrals",
    response_model=ReferralDetail,
    status_code=201,
    summary="Refer a business to another organisation (it waits for the owner's consent)",
    responses=errors(*WRITE, 404, 409, s404="No such business, or not visible", s409=CONFLICT),
)
def post_referral(
    business_id: BusinessId,
    body: Annotated[ReferralIn, Body()],
    user: CurrentUserDep,
    store: StoreDep,
    settings: SettingsDep,
) -> ReferralDetail:
    created: list[int] = []

    def create(s: Any, actor: Any) -> None:
        to_org = organisation_id_by_code(s, body.to_org_code)
        ref = do_create_referral(
            s,
            actor,
            business_id=business_id,
            to_org_id=to_org or 0,
            kind=body.kind,
            note=body.note,
            from_case_id=body.from_case_id,
            purpose=body.purpose,
        )
        created.append(ref.id)

    _write(store, create, user.actor)
    return _detail(store, settings, user, created[0])


@router.get(
    "/referrals/{referral_id}",
    response_model=ReferralDetail,
    summary="A referral; for the receiver, exactly what the owner sent with it",
    responses=errors(*READ, 404, s404=NOT_VISIBLE),
)
def get_referral(
    referral_id: ReferralId, user: CurrentUserDep, store: StoreDep, settings: SettingsDep
) -> ReferralDetail:
    return _detail(store, settings, user, referral_id)


@router.post(
    "/referrals/{referral_id}/approve",
    response_model=ReferralDetail,
    summary="The owner consents, choosing what travels (flags, indicators, dialogue records)",
    responses=errors(*WRITE, 404, 409, s404=NOT_VISIBLE, s409=CONFLICT),
)
def post_approve(
    referral_id: ReferralId,
    body: Annotated[ApproveIn, Body()],
    user: CurrentUserDep,
    store: StoreDep,
    settings: SettingsDep,
) -> ReferralDetail:
    _write(
        store,
        do_approve_referral,
        user.actor,
        referral_id=referral_id,
        share_flags=body.share_flags,
        share_indicators=body.share_indicators,
        dialogue_ids=body.dialogue_ids,
    )
    return _detail(store, settings, user, referral_id)


@router.post(
    "/referrals/{referral_id}/refuse",
    response_model=ReferralDetail,
    summary="The owner does not consent: nothing travels, the receiver never sees it",
    responses=errors(*WRITE, 404, 409, s404=NOT_VISIBLE, s409=CONFLICT),
)
def post_refuse(
    referral_id: ReferralId,
    body: Annotated[ReasonIn, Body()],
    user: CurrentUserDep,
    store: StoreDep,
    settings: SettingsDep,
) -> ReferralDetail:
    _write(store, do_refuse_referral, user.actor, referral_id=referral_id, reason=body.reason)
    return _detail(store, settings, user, referral_id)


@router.post(
    "/referrals/{referral_id}/accept",
    response_model=ReferralDetail,
    summary="The receiver accepts: a case opens at the receiver, linked to the sender's",
    responses=errors(*WRITE, 404, 409, s404=NOT_VISIBLE, s409=CONFLICT),
)
def post_accept(
    referral_id: ReferralId,
    body: Annotated[AcceptIn, Body()],
    user: CurrentUserDep,
    store: StoreDep,
    settings: SettingsDep,
) -> ReferralDetail:
    _write(
        store,
        do_accept_referral,
        user.actor,
        referral_id=referral_id,
        owner_user_id=body.owner_user_id,
        support_type=body.support_type,
    )
    return _detail(store, settings, user, referral_id)


@router.post(
    "/referrals/{referral_id}/decline",
    response_model=ReferralDetail,
    summary="The receiver declines, with a reason (the grants the approval created end)",
    responses=errors(*WRITE, 404, 409, s404=NOT_VISIBLE, s409=CONFLICT),
)
def post_decline(
    referral_id: ReferralId,
    body: Annotated[DeclineIn, Body()],
    user: CurrentUserDep,
    store: StoreDep,
    settings: SettingsDep,
) -> ReferralDetail:
    _write(store, do_decline_referral, user.actor, referral_id=referral_id, reason=body.reason)
    return _detail(store, settings, user, referral_id)


@router.post(
    "/referrals/{referral_id}/withdraw",
    response_model=ReferralDetail,
    summary="The sender withdraws a referral not yet answered (the grants end)",
    responses=errors(*WRITE, 404, 409, s404=NOT_VISIBLE, s409=CONFLICT),
)
def post_withdraw(
    referral_id: ReferralId,
    body: Annotated[ReasonIn, Body()],
    user: CurrentUserDep,
    store: StoreDep,
    settings: SettingsDep,
) -> ReferralDetail:
    _write(store, do_withdraw_referral, user.actor, referral_id=referral_id, reason=body.reason)
    return _detail(store, settings, user, referral_id)
