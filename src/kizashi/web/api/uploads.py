"""Uploads in the JSON API: submit files, confirm account mappings, list stored submissions.

* ``POST /api/v1/businesses/{id}/submissions`` (multipart): one or more ``files`` and the
  options of ``kizashi ingest``; answers with the same outcome and report as
  ``kizashi ingest --json`` — 201 stored; 200 duplicate, dry run or waiting for
  confirmations; 422 when the report has errors (also a file over the line, cell or
  unpacked-size limit, or one its worker could not read within memory and time: see
  ``web.upload_pool``); 413 over ``max_upload_bytes``. The report lists at most
  ``max_upload_issues`` errors and warnings each, with ``errors_total``,
  ``warnings_total`` and ``issue_counts`` (by code) for all of them.
* ``POST /api/v1/businesses/{id}/account-mappings``: remember what accounts are (all or none).
* ``GET /api/v1/businesses/{id}/submissions``: what was stored, newest first.

All three answer 401 without a login and 404 for a business that is missing or that the
user may not submit for (or, for the list, read the financials of); the denial is audited and
nothing is stored. Unsafe methods need the ``X-CSRF-Token`` header.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, field_validator

from kizashi.access.reads import list_submissions
from kizashi.actions.mappings import do_confirm_account_mapping
from kizashi.actions.submissions import ImportOutcome
from kizashi.domain.vocabulary import Purpose
from kizashi.ingest import load_importers

from ..deps import ApiPurpose, CurrentUserDep, SettingsDep, StoreDep, UnitOfWork
from ..upload_limit import UploadTooLarge, check_upload_size
from ..upload_pool import UploadOptions, import_upload
from .contract import (
    ACCOUNT_NAME,
    MAX_OFFSET,
    NO_NUL,
    READ,
    WRITE,
    ApiRoute,
    BusinessId,
    UtcDateTime,
    ValidationErrorOut,
    choice_values,
    choices,
    errors,
    invalid,
)

router = APIRouter(prefix="/api/v1", tags=["uploads"], route_class=ApiRoute)
MAX_FILES = 20
MAX_MAPPINGS = 100
NOT_FOUND = "No such business, or this user may not submit its data"


class StatementOut(BaseModel):
    period_end: date
    kind: str = Field(description="monthly_tb (試算表・仕訳) or annual (決算書)")
    version: int
    lines: int
    id: int | None = Field(description="null in a dry run")
    supersedes_id: int | None = Field(description="The earlier version this one replaces")


class SubmissionOutcome(BaseModel):
    business_id: int
    reason: str = Field(description="stored, duplicate, errors, needs_confirmation or dry_run")
    stored: bool
    duplicate: bool
    dry_run: bool
    submission_id: int | None = Field(description="The new submission, or the earlier one")
    raw_sha256: str | None
    source_format: str | None
    statements: list[StatementOut] = Field(description="Created (or, in a dry run, planned)")
    superseded: list[int] = Field(description="Statements replaced by a new version")
    unchanged: list[date] = Field(description="Periods already stored with the same figures")
    needs_confirmation: list[dict[str, Any]] = Field(
        description="Accounts with amounts whose standard item a person must confirm "
        "(POST …/account-mappings), then upload again"
    )
    report: dict[str, Any] = Field(
        description="The analysis, as `kizashi ingest --dry-run --json` prints it"
    )


class MappingIn(BaseModel):
    source_format: str = Field(
        description="Importer name, e.g. yayoi, table (see `formats`)",
        json_schema_extra=choices("importers"),
    )
    as_reported_name: str = Field(
        min_length=1,
        max_length=200,
        pattern=ACCOUNT_NAME,
        description="As in the file; more than spaces, quotes and ・、, (no NUL)",
    )
    item_code: str = Field(
        description="A standard leaf code (`kizashi chart`) or _clearing",
        json_schema_extra=choices("chart_leaves"),
    )

    @field_validator("source_format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        if value not in choice_values("importers"):
            raise ValueError("unknown source format (see GET /api/v1/formats)")
        return value

    @field_validator("item_code")
    @classmethod
    def _known_item(cls, value: str) -> str:
        if value not in choice_values("chart_leaves"):
            raise ValueError("not a standard leaf item (see `kizashi chart`) or _clearing")
        return value


class MappingsIn(BaseModel):
    mappings: list[MappingIn] = Field(
        min_length=1,
        max_length=MAX_MAPPINGS,
        description=f"At most {MAX_MAPPINGS} per request (each is a write with its audit record)",
        examples=[
            [{"source_format": "yayoi", "as_reported_name": "販促費", "item_code": "advertising"}]
        ],
    )


class MappingOut(BaseModel):
    source_format: str
    as_reported_name: str
    item_code: str


class MappingsOut(BaseModel):
    business_id: int
    confirmed: list[MappingOut]


class SubmissionItem(BaseModel):
    id: int
    filename: str
    format: str
    encoding: str | None
    uploaded_at: UtcDateTime
    uploaded_by: str | None
    uploaded_by_organisation: str | None
    statements: int = Field(description="Statements this submission created")
    current_statements: int = Field(description="Of those, not superseded by a later upload")
    first_period_end: date | None
    last_period_end: date | None


class SubmissionList(BaseModel):
    business_id: int
    items: list[SubmissionItem]
    total: int


class FormatOut(BaseModel):
    name: str
    ja: str
    en: str


def outcome_json(outcome: ImportOutcome) -> dict[str, Any]:
    body = outcome.to_dict()
    body["superseded"] = [s.supersedes_id for s in outcome.superseded]
    return body


def _status(outcome: ImportOutcome) -> int:
    if outcome.stored:
        return 201
    return 422 if outcome.reason == "errors" else 200


def parse_format(value: str | None) -> str | None:
    """'' or 'auto' → automatic detection; otherwise an importer's name (else 422)."""
    if not value or value == "auto":
        return None
    if value not in load_importers():
        raise invalid(
            ["body", "format"],
            f"unknown format {value!r}; choose one of {sorted(load_importers())} or auto",
        )
    return value


async def read_uploads(files: list[UploadFile], limit: int) -> list[tuple[bytes, str]]:
    """The uploaded files' bytes and names, each read at most to the limit."""
    if len(files) > MAX_FILES:
        raise invalid(["body", "files"], f"at most {MAX_FILES} files per upload")
    out: list[tuple[bytes, str]] = []
    total = 0
    for f in files:
        data = await f.read(limit + 1 - total)
        total += len(data)
        if total > limit:
            raise UploadTooLarge(limit)
        out.append((data, (f.filename or "upload").replace("\\", "/").rsplit("/", 1)[-1]))
    check_upload_size([len(d) for d, _ in out], limit)
    return out


@router.get(
    "/formats",
    response_model=list[FormatOut],
    summary="File formats that can be imported",
    responses=errors(401),
)
def get_formats(_user: CurrentUserDep) -> list[FormatOut]:
    return [FormatOut(name=n, ja=i.label_ja, en=i.label_en) for n, i in load_importers().items()]


@router.post(
    "/businesses/{business_id}/submissions",
    response_model=SubmissionOutcome,
    status_code=201,
    summary="Upload accounting files for a business (multipart)",
    responses={
        **errors(*WRITE, 404, s404=NOT_FOUND, s413="Over the upload size limit"),
        200: {"description": "Duplicate, dry run, or confirmations needed: nothing stored"},
        422: {
            "description": "The report has errors (nothing stored), or an invalid field",
            "model": SubmissionOutcome | ValidationErrorOut,
        },
    },
)
async def post_submission(
    request: Request,
    business_id: BusinessId,
    user: CurrentUserDep,
    store: StoreDep,
    settings: SettingsDep,
    files: list[UploadFile] = File(
        ..., min_length=1, max_length=MAX_FILES, description="One upload: one or more files"
    ),
    format: str | None = Form(
        None,
        description="Importer name; empty or auto to detect",
        json_schema_extra=choices("importers_or_auto"),
    ),
    fiscal_year_start_month: int | None = Form(None, ge=1, le=12),
    dry_run: bool = Form(False, description="Analyse and plan, store nothing"),
    column_mapping: str | None = Form(
        None,
        max_length=120,
        pattern=NO_NUL,
        description="Name of a column mapping saved by your organisation",
    ),
    confirm_other_company: bool = Form(
        False,
        description="Store although the file names another company (EPSON 入力会社 …): "
        "without it, such a file is an error (upload.other_company)",
    ),
) -> JSONResponse:
    fmt = parse_format(format)
    payload = await read_uploads(files, settings.max_upload_bytes)
    options = UploadOptions(
        fmt, fiscal_year_start_month, column_mapping or None, dry_run, confirm_other_company
    )
    outcome = await import_upload(
        request.app,
        store,
        settings,
        user.actor,
        business_id,
        payload,
        options,
    )
    body = SubmissionOutcome.model_validate(outcome_json(outcome))
    return JSONResponse(body.model_dump(mode="json"), status_code=_status(outcome))


@router.post(
    "/businesses/{business_id}/account-mappings",
    response_model=MappingsOut,
    summary="Confirm what as-reported accounts are (remembered for this business)",
    responses=errors(
        *WRITE, 404, s404=NOT_FOUND, s422="An unknown format or item: nothing confirmed"
    ),
)
def post_account_mappings(
    business_id: BusinessId,
    body: MappingsIn,
    user: CurrentUserDep,
    store: StoreDep,
) -> MappingsOut:
    # Its own unit of work: a refusal leaves it (rolled back, audited) before it becomes a 422.
    try:
        with store.session() as s:
            rows = [
                do_confirm_account_mapping(
                    s, user.actor, business_id, m.source_format, m.as_reported_name, m.item_code
                )
                for m in body.mappings
            ]
            confirmed = [
                MappingOut(
                    source_format=r.source_format,
                    as_reported_name=r.as_reported_name,
                    item_code=r.item_code,
                )
                for r in rows
            ]
    except ValueError as exc:
        # the schema states the rules; this is a second line of defence
        raise invalid(["body", "mappings"], f"{exc}; nothing was confirmed") from exc
    return MappingsOut(business_id=business_id, confirmed=confirmed)


@router.get(
    "/businesses/{business_id}/submissions",
    response_model=SubmissionList,
    summary="Stored uploads of a business, newest first",
    responses=errors(*READ, 404, s404="No such business, or no consent for financials"),
)
def get_submissions(
    business_id: BusinessId,
    user: CurrentUserDep,
    s: UnitOfWork,
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    purpose: ApiPurpose = Purpose.MONITORING,
) -> SubmissionList:
    page = list_submissions(s, user.actor, business_id, purpose=purpose, limit=limit, offset=offset)
    return SubmissionList(
        business_id=business_id,
        total=page.total,
        items=[
            SubmissionItem(
                id=v.id,
                filename=v.filename,
                format=v.format,
                encoding=v.encoding,
                uploaded_at=v.uploaded_at,
                uploaded_by=v.uploaded_by,
                uploaded_by_organisation=v.uploaded_by_org,
                statements=v.statements,
                current_statements=v.current,
                first_period_end=v.first_period_end,
                last_period_end=v.last_period_end,
            )
            for v in page.items
        ],
    )
