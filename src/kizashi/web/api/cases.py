"""Support cases (支援案件) and dialogue records (面談記録) in the JSON API.

Reads go through ``access.cases`` (an officer of the case's organisation; another organisation
under a 定性・面談記録 consent for the purpose, read-only; the business's owner: the records
shared with them); writes through ``actions.cases``. A case that is missing and one the user may
not see are the same 404; every decision is audited.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Body, HTTPException, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from kizashi.access.cases import (
    CaseDetail,
    CaseRow,
    DialogueView,
    Reminder,
    due_reminders,
    list_cases,
    read_attachment,
    read_case,
    shared_dialogues,
)
from kizashi.actions.cases import (
    UNSET,
    ActionInput,
    CaseChange,
    DialogueInput,
    do_add_dialogue,
    do_close_case,
    do_comment_dialogue,
    do_complete_action,
    do_open_case,
    do_set_non_financial,
    do_update_case,
)
from kizashi.domain.support import (
    ActionParty,
    Cadence,
    CaseStage,
    Channel,
    NonFinancialItem,
    Outcome,
    SupportType,
)
from kizashi.domain.vocabulary import Purpose
from kizashi.store.rawfiles import read_raw_file

from ..deps import ApiPurpose, CurrentUserDep, SettingsDep, StoreDep, UnitOfWork
from .contract import (
    MAX_ID,
    NO_NUL,
    READ,
    WRITE,
    ApiRoute,
    BusinessId,
    IsoDate,
    RowId,
    errors,
    invalid,
)

router = APIRouter(prefix="/api/v1", tags=["v1"], route_class=ApiRoute)
NOT_VISIBLE = "No such case, or not visible to this user"
CaseId = Annotated[int, Path(ge=1, le=MAX_ID, description="The case's id", examples=[1])]
DialogueId = Annotated[
    int, Path(ge=1, le=MAX_ID, description="The dialogue record's id", examples=[1])
]
AttachmentId = Annotated[int, Path(ge=1, le=MAX_ID, description="The attachment's id")]
CONFLICT = "The case is closed; an invalid value (owner officer, period, empty topics)"


class CaseOpen(BaseModel):
    model_config = ConfigDict(extra="forbid")
    support_type: SupportType
    title: str = Field("", max_length=200, pattern=NO_NUL)
    flag_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        default_factory=list, max_length=100
    )
    owner_user_id: RowId | None = None
    stage: CaseStage = CaseStage.INTAKE
    cadence: Cadence = Cadence.MONTHLY
    next_contact_on: IsoDate | None = None
    purpose: Purpose = Purpose.SUPPORT


class CasePatch(BaseModel):
    """Change what you give; leave out what stays. ``next_contact_on`` null clears it."""

    model_config = ConfigDict(extra="forbid")
    support_type: SupportType | None = None
    stage: CaseStage | None = None
    owner_user_id: RowId | None = None
    next_contact_on: IsoDate | None = None
    cadence: Cadence | None = None
    note: str | None = Field(None, max_length=2000, pattern=NO_NUL)
    purpose: Purpose = Purpose.SUPPORT


class CaseClose(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Outcome
    note: str | None = Field(None, max_length=2000, pattern=NO_NUL)
    purpose: Purpose = Purpose.SUPPORT


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    what: str = Field(min_length=1, max_length=2000, pattern=NO_NUL)
    party: ActionParty
    due_on: IsoDate | None = None


class AttachmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    filename: str = Field(min_length=1, max_length=400, pattern=NO_NUL)
    content_base64: str = Field(
        max_length=28_000_000,
        pattern=r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$",
        description="The file's bytes in standard base64",
    )


class DialogueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    held_on: IsoDate
    channel: Channel
    place: str | None = Field(None, max_length=200, pattern=NO_NUL)
    attendees: list[Annotated[str, Field(max_length=200, pattern=NO_NUL)]] = Field(
        default_factory=list, max_length=50
    )
    topics: str = Field(min_length=1, max_length=20000, pattern=NO_NUL)
    owner_said: str | None = Field(None, max_length=20000, pattern=NO_NUL)
    shared_with_owner: bool = False
    actions: list[ActionIn] = Field(default_factory=list, max_length=50)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=10)
    purpose: Purpose = Purpose.SUPPORT


class NonFinancialIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    period: str = Field(min_length=1, max_length=16, pattern=NO_NUL)
    item: NonFinancialItem
    body: str = Field(max_length=20000, pattern=NO_NUL)
    purpose: Purpose = Purpose.SUPPORT


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(min_length=1, max_length=4000, pattern=NO_NUL)
    purpose: Purpose = Purpose.SUPPORT


class CreatedOut(BaseModel):
    id: int


class ActionDone(BaseModel):
    model_config = ConfigDict(extra="forbid")
    done_on: IsoDate | None = Field(description="The day it was done; null: not done")
    purpose: Purpose = Purpose.SUPPORT


def _write(store: StoreDep, fn: Callable[..., Any], *args: Any, **kw: Any) -> int:
    """One unit of work; a refusal keeps its audit record before it becomes 403/409."""
    try:
        with store.session() as s:
            obj = fn(s, *args, **kw)
            s.flush()
            return int(obj.id)
    except PermissionError as exc:
        raise HTTPException(403, str(exc)) from None
    except ValueError as exc:
        raise HTTPException(409, str(exc)) from None


@router.get(
    "/cases",
    response_model=list[CaseRow],
    summary="Support cases you may see (your organisation's; others' under a 定性 consent)",
    responses=errors(*READ),
)
def get_cases(
    user: CurrentUserDep,
    s: UnitOfWork,
    business_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    status: Literal["open", "closed"] | None = None,
    mine: bool = False,
    purpose: ApiPurpose = Purpose.SUPPORT,
) -> list[CaseRow]:
    return list_cases(s, user.actor, purpose, business_id=business_id, status=status, mine=mine)


@router.post(
    "/businesses/{business_id}/cases",
    response_model=CaseDetail,
    status_code=201,
    summary="Open a support case on a business, from its flags or by hand",
    responses=errors(
        *WRITE, 404, 409, s404="No such business or flag, or not visible", s409=CONFLICT
    ),
)
def post_case(
    business_id: BusinessId,
    body: Annotated[CaseOpen, Body()],
    user: CurrentUserDep,
    store: StoreDep,
) -> CaseDetail:
    case_id = _write(
        store,
        do_open_case,
        user.actor,
        business_id=business_id,
        purpose=body.purpose,
        support_type=body.support_type,
        title=body.title,
        flag_ids=body.flag_ids,
        owner_user_id=body.owner_user_id,
        stage=body.stage,
        cadence=body.cadence,
        next_contact_on=body.next_contact_on,
    )
    with store.session() as s:
        return read_case(s, user.actor, case_id, body.purpose)


@router.get(
    "/cases/{case_id}",
    response_model=CaseDetail,
    summary="A case with its flags, history, dialogue records and non-financial items",
    responses=errors(*READ, 404, s404=NOT_VISIBLE),
)
def get_case(
    case_id: CaseId, user: CurrentUserDep, s: UnitOfWork, purpose: ApiPurpose = Purpose.SUPPORT
) -> CaseDetail:
    return read_case(s, user.actor, case_id, purpose)


@router.patch(
    "/cases/{case_id}",
    response_model=CaseDetail,
    summary="Change a case's support type, stage, officer, next contact or cadence",
    responses=errors(*WRITE, 404, 409, s404=NOT_VISIBLE, s409=CONFLICT),
)
def patch_case(
    case_id: CaseId, body: Annotated[CasePatch, Body()], user: CurrentUserDep, store: StoreDep
) -> CaseDetail:
    given = body.model_fields_set
    change = CaseChange(
        support_type=body.support_type if body.support_type else UNSET,
        stage=body.stage if body.stage else UNSET,
        owner_user_id=body.owner_user_id if body.owner_user_id else UNSET,
        next_contact_on=body.next_contact_on if "next_contact_on" in given else UNSET,
        cadence=body.cadence if body.cadence else UNSET,
        note=body.note,
    )
    _write(store, do_update_case, user.actor, case_id=case_id, change=change, purpose=body.purpose)
    with store.session() as s:
        return read_case(s, user.actor, case_id, body.purpose)


@router.post(
    "/cases/{case_id}/close",
    response_model=CaseDetail,
    summary="Close a case with its outcome",
    responses=errors(*WRITE, 404, 409, s404=NOT_VISIBLE, s409=CONFLICT),
)
def close_case(
    case_id: CaseId, body: Annotated[CaseClose, Body()], user: CurrentUserDep, store: StoreDep
) -> CaseDetail:
    _write(
        store,
        do_close_case,
        user.actor,
        case_id=case_id,
        outcome=body.outcome,
        note=body.note,
        purpose=body.purpose,
    )
    with store.session() as s:
        return read_case(s, user.actor, case_id, body.purpose)


@router.post(
    "/cases/{case_id}/dialogues",
    response_model=CreatedOut,
    status_code=201,
    summary="Record a dialogue (面談記録) with agreed actions and attachments",
    responses=errors(*WRITE, 404, 409, s404=NOT_VISIBLE, s409=CONFLICT),
)
def post_dialogue(
    case_id: CaseId,
    body: Annotated[DialogueIn, Body()],
    user: CurrentUserDep,
    store: StoreDep,
    settings: SettingsDep,
) -> CreatedOut:
    files: list[tuple[str, bytes]] = []
    for i, a in enumerate(body.attachments):
        try:
            files.append((a.filename, base64.b64decode(a.content_base64, validate=True)))
        except (binascii.Error, ValueError):
            raise invalid(("body", "attachments", i, "content_base64"), "not base64") from None
    dialogue = DialogueInput(
        held_on=body.held_on,
        channel=body.channel,
        topics=body.topics,
        attendees=body.attendees,
        place=body.place,
        owner_said=body.owner_said,
        shared_with_owner=body.shared_with_owner,
        actions=[ActionInput(a.what, a.party, a.due_on) for a in body.actions],
        attachments=files,
    )
    new_id = _write(
        store,
        do_add_dialogue,
        user.actor,
        case_id=case_id,
        dialogue=dialogue,
        purpose=body.purpose,
        raw_dir=settings.raw_dir,
    )
    return CreatedOut(id=new_id)


@router.post(
    "/cases/{case_id}/non-financial",
    response_model=CreatedOut,
    summary="Enter a non-financial ロカベン item of the case for a period",
    responses=errors(*WRITE, 404, 409, s404=NOT_VISIBLE, s409=CONFLICT),
)
def post_non_financial(
    case_id: CaseId, body: Annotated[NonFinancialIn, Body()], user: CurrentUserDep, store: StoreDep
) -> CreatedOut:
    new_id = _write(
        store,
        do_set_non_financial,
        user.actor,
        case_id=case_id,
        period=body.period,
        item=body.item,
        body=body.body,
        purpose=body.purpose,
    )
    return CreatedOut(id=new_id)


@router.post(
    "/dialogues/{dialogue_id}/comments",
    response_model=CreatedOut,
    status_code=201,
    summary="Comment on a dialogue record shared with you (the business's owner)",
    responses=errors(
        *WRITE, 404, 409, s404="No such record, or not shared with you", s409=CONFLICT
    ),
)
def post_comment(
    dialogue_id: DialogueId,
    body: Annotated[CommentIn, Body()],
    user: CurrentUserDep,
    store: StoreDep,
) -> CreatedOut:
    new_id = _write(
        store,
        do_comment_dialogue,
        user.actor,
        dialogue_id=dialogue_id,
        body=body.body,
        purpose=body.purpose,
    )
    return CreatedOut(id=new_id)


@router.post(
    "/dialogue-actions/{action_id}/done",
    response_model=CreatedOut,
    summary="Mark an agreed action done (or not done again)",
    responses=errors(*WRITE, 404, 409, s404="No such action, or not visible", s409=CONFLICT),
)
def post_action_done(
    action_id: Annotated[int, Path(ge=1, le=MAX_ID, description="The agreed action's id")],
    body: Annotated[ActionDone, Body()],
    user: CurrentUserDep,
    store: StoreDep,
) -> CreatedOut:
    new_id = _write(
        store,
        do_complete_action,
        user.actor,
        action_id=action_id,
        done_on=body.done_on,
        purpose=body.purpose,
    )
    return CreatedOut(id=new_id)


@router.get(
    "/dialogue-attachments/{attachment_id}",
    summary="An attachment's bytes (gated like its record)",
    response_class=Response,
    responses=errors(*READ, 404, s404=NOT_VISIBLE),
)
def get_attachment(
    attachment_id: AttachmentId,
    user: CurrentUserDep,
    s: UnitOfWork,
    settings: SettingsDep,
    purpose: ApiPurpose = Purpose.SUPPORT,
) -> Response:
    att = read_attachment(s, user.actor, attachment_id, purpose)
    data = read_raw_file(settings.raw_dir, att.raw_sha256)
    return Response(
        data,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{_quote(att.filename)}"},
    )


def _quote(name: str) -> str:
    return quote(name, safe="")


@router.get(
    "/me/reminders",
    response_model=list[Reminder],
    summary=(
        "Your due reminders: next contacts of your cases and your organisation's actions "
        "(a business's owner: the business's actions in the records shared with them)"
    ),
    responses=errors(*READ),
)
def get_reminders(
    user: CurrentUserDep,
    s: UnitOfWork,
    within_days: Annotated[int, Query(ge=0, le=3660)] = 14,
) -> list[Reminder]:
    return due_reminders(s, user.actor, within_days=within_days)


@router.get(
    "/businesses/{business_id}/shared-dialogues",
    response_model=list[DialogueView],
    summary="The dialogue records shared with the business (its owner only)",
    responses=errors(*READ, 404, s404="No such business, or not yours"),
)
def get_shared_dialogues(
    business_id: BusinessId,
    user: CurrentUserDep,
    s: UnitOfWork,
    purpose: ApiPurpose = Purpose.SUPPORT,
) -> list[DialogueView]:
    return shared_dialogues(s, user.actor, business_id, purpose)
