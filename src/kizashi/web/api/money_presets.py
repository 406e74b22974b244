"""Saved layouts of bank CSVs and balance lists (入出金明細の列の設定) in the JSON API.

A layout belongs to the caller's organisation: logical field (date, description, out, in,
amount, balance, counterparty, memo; for balance lists also due, side …; ``account``: the
account number the file lacks) → header text or 1-based column number. Used by name when
uploading (``preset`` of ``POST …/money-files``).

* ``GET /api/v1/money-presets`` — the organisation's layouts.
* ``PUT /api/v1/money-presets/{name}`` — save or replace one (owners, officers, administrators;
  403 otherwise; 422 for an unknown field).
* ``DELETE /api/v1/money-presets/{name}`` — delete one (404 when there is none).
* ``POST /api/v1/money-layouts/detect`` (multipart ``file``) — the file's header row and the
  columns kizashi recognises in it, so a person can name the rest. Nothing is stored.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, HTTPException, Path, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from kizashi.actions.bank import do_save_money_preset
from kizashi.actions.money_presets import do_delete_money_preset, list_money_presets
from kizashi.ingest.errors import IngestError
from kizashi.ingest.importers.netbank_csv import detect_layout

from ..deps import CurrentUserDep, SettingsDep, StoreDep
from .contract import NON_BLANK, READ, WRITE, ApiRoute, UtcDateTime, errors, invalid
from .uploads import read_uploads

router = APIRouter(prefix="/api/v1", tags=["money"], route_class=ApiRoute)
PresetName = Annotated[
    str,
    Path(
        min_length=1,
        max_length=100,
        pattern=NON_BLANK,
        description="The layout's name",
        examples=["地銀A"],
    ),
]


# the logical fields a layout may name (actions.bank.preset_fields; a test keeps them equal)
PresetField = Literal[
    "account",
    "account_col",
    "amount",
    "as_of",
    "balance",
    "corporate_number",
    "counterparty",
    "date",
    "description",
    "due",
    "in",
    "invoice",
    "memo",
    "out",
    "side",
]


class MoneyPresetOut(BaseModel):
    name: str
    columns: dict[str, str] = Field(description="Logical field → header text or column number")
    saved_at: UtcDateTime


class MoneyPresetList(BaseModel):
    items: list[MoneyPresetOut]


class MoneyPresetIn(BaseModel):
    columns: dict[
        PresetField,
        Annotated[str, Field(min_length=1, max_length=100, pattern=NON_BLANK)],
    ] = Field(min_length=1, max_length=20, description="Logical field → header text or number")


class LayoutOut(BaseModel):
    header_line: int | None = Field(description="The 1-based line taken as the header")
    headers: list[str]
    columns: dict[str, str] = Field(description="Fields recognised: logical field → header")
    complete: bool = Field(description="Whether the file can be read without a layout")


@router.get(
    "/money-presets",
    response_model=MoneyPresetList,
    summary="Your organisation's saved bank-file layouts",
    responses=errors(*READ),
)
def get_money_presets(user: CurrentUserDep, store: StoreDep) -> MoneyPresetList:
    with store.session() as s:
        rows = list_money_presets(s, user.actor)
    return MoneyPresetList(
        items=[MoneyPresetOut.model_validate(r, from_attributes=True) for r in rows]
    )


@router.put(
    "/money-presets/{name}",
    response_model=MoneyPresetOut,
    summary="Save or replace a bank-file layout of your organisation",
    responses=errors(*WRITE),
)
def put_money_preset(
    name: PresetName, body: MoneyPresetIn, user: CurrentUserDep, store: StoreDep
) -> MoneyPresetOut:
    if not name.strip():
        raise invalid(["path", "name"], "a layout name is not blank")
    try:
        with store.session() as s:
            columns = {str(k): v for k, v in body.columns.items()}
            do_save_money_preset(s, user.actor, user.actor.org_id or 0, name, columns)
            (row,) = [p for p in list_money_presets(s, user.actor) if p.name == name.strip()]
    except PermissionError:
        raise HTTPException(403, "Only owners, officers and administrators save layouts") from None
    except ValueError as exc:
        raise invalid(["body", "columns"], str(exc)) from None
    return MoneyPresetOut.model_validate(row, from_attributes=True)


@router.delete(
    "/money-presets/{name}",
    status_code=204,
    summary="Delete a bank-file layout of your organisation",
    responses=errors(*WRITE, 404, s404="No layout of that name in your organisation"),
)
def delete_money_preset(name: PresetName, user: CurrentUserDep, store: StoreDep) -> Response:
    try:
        with store.session() as s:
            do_delete_money_preset(s, user.actor, name)
    except PermissionError:
        raise HTTPException(
            403, "Only owners, officers and administrators delete layouts"
        ) from None
    except LookupError:
        raise HTTPException(404, "No layout of that name in your organisation") from None
    return Response(status_code=204)


@router.post(
    "/money-layouts/detect",
    response_model=LayoutOut,
    summary="The header of a bank CSV and the columns recognised in it (nothing stored)",
    responses={**errors(*WRITE), 400: {"description": "The multipart body cannot be read"}},
)
async def detect_money_layout(
    user: CurrentUserDep,
    settings: SettingsDep,
    file: UploadFile = File(..., description="One bank CSV or .xlsx"),
) -> LayoutOut:
    ((data, name),) = await read_uploads([file], settings.max_upload_bytes)
    try:
        guess = await run_in_threadpool(detect_layout, data, name)
    except IngestError as exc:
        raise invalid(["body", "file"], str(exc)) from None
    return LayoutOut(
        header_line=guess.header_line,
        headers=list(guess.headers),
        columns=guess.columns,
        complete=guess.complete,
    )
