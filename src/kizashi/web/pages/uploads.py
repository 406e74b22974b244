"""The upload pages: choose files → see the report → confirm account mappings → stored.

* ``GET /businesses/{id}/upload``: the form (files, format — automatic by default —, fiscal-year
  start month, check only) and the business's stored uploads.
* ``POST /businesses/{id}/upload``: imports through ``do_import_submission`` and renders the
  report. When accounts need a person's confirmation nothing is stored; the uploaded bytes are
  kept in ``web.pending`` (bound to this user and business, for an hour) and the page asks
  about each account with a choice of standard items, prefilled with the best guess.
* ``POST /businesses/{id}/upload/confirm``: remembers the choices (per business and source
  format, never asked again) and imports the kept upload again.

Who may open these pages is decided by ``access`` exactly as for the upload itself (the owner,
or an officer whose organisation has a financials consent); anybody else gets the 404 page.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from kizashi.access.reads import list_submissions, read_upload_target
from kizashi.actions.mappings import do_confirm_account_mapping
from kizashi.actions.money_presets import list_money_presets
from kizashi.actions.submissions import ImportOutcome
from kizashi.domain.chart import load_chart
from kizashi.domain.vocabulary import Purpose, Role
from kizashi.ingest.mapping import CLEARING
from kizashi.settings import Settings
from kizashi.store.db import Store

from .. import pending
from ..api.uploads import parse_format, read_uploads
from ..auth import CurrentUser
from ..deps import CurrentUserDep, PagePurpose, SettingsDep, StoreDep, TranslatorDep
from ..i18n import Translator
from ..state import render
from ..upload_limit import format_size
from ..upload_pool import UploadOptions, import_upload
from ..upload_report import choice_groups, formats, report_view
from .businesses import _section
from .money_upload import BankLayout, is_money_upload, money_upload

router = APIRouter(include_in_schema=False)
SUBMISSION_LIST = 20


def _form_context(
    store: Store,
    settings: Settings,
    t: Translator,
    user: CurrentUser,
    business_id: int,
    purpose: Purpose = Purpose.MONITORING,
) -> dict[str, Any]:
    with store.session() as s:  # NotFound → the 404 page
        target = read_upload_target(s, user.actor, business_id)
        layouts = [p.name for p in list_money_presets(s, user.actor)]
    history = _section(
        store,
        lambda s: list_submissions(
            s, user.actor, business_id, purpose=purpose, limit=SUBMISSION_LIST
        ),
    )
    return {
        "b": target,
        "history": history,
        "formats": formats(t),
        "limit": format_size(settings.max_upload_bytes),
        "lines": f"{settings.max_upload_lines:,}",
        "default_fy_start": target.fiscal_year_end_month % 12 + 1,
        "is_owner": user.role == Role.OWNER,
        "bank_layouts": layouts,
    }


@router.get("/businesses/{business_id}/upload")
def upload_page(
    request: Request,
    business_id: int,
    user: CurrentUserDep,
    store: StoreDep,
    settings: SettingsDep,
    t: TranslatorDep,
    chosen: PagePurpose,
) -> Response:
    ctx = _form_context(store, settings, t, user, business_id, chosen.purpose)
    return render(request, "upload.html", ctx)


def _options(fmt: str, fy: str, dry_run: bool, other_company: bool = False) -> dict[str, Any]:
    month = int(fy) if fy.isdigit() and 1 <= int(fy) <= 12 else None
    return {
        "format": parse_format(fmt or None),
        "fiscal_year_start_month": month,
        "dry_run": dry_run,
        "confirm_other_company": other_company,
    }


async def _import(
    request: Request,
    store: Store,
    settings: Settings,
    user: CurrentUser,
    business_id: int,
    files: list[tuple[bytes, str]],
    options: dict[str, Any],
) -> ImportOutcome:
    """Analysed in a worker process (``web.upload_pool``), stored atomically; off the loop."""
    chosen = UploadOptions(
        format=options.get("format"),
        fiscal_year_start_month=options.get("fiscal_year_start_month"),
        dry_run=bool(options.get("dry_run")),
        confirm_other_company=bool(options.get("confirm_other_company")),
    )
    return await import_upload(
        request.app,
        store,
        settings,
        user.actor,
        business_id,
        files,
        chosen,
    )


def _result(
    request: Request,
    store: Store,
    settings: Settings,
    t: Translator,
    user: CurrentUser,
    business_id: int,
    outcome: ImportOutcome,
    files: list[tuple[bytes, str]],
    options: dict[str, Any],
    token: str | None = None,
) -> Response:
    """Render the outcome; keep the upload while confirmations are outstanding."""
    root = pending.pending_root(settings.data_dir)
    if outcome.reason == "needs_confirmation":
        if token is None:
            token = pending.stash(
                root,
                user_id=user.actor.user_id,
                business_id=business_id,
                files=files,
                options={**options, "source_format": outcome.source_format},
            )
    elif token is not None:
        pending.discard(root, token)
        token = None
    with store.session() as s:
        target = read_upload_target(s, user.actor, business_id)
    ctx = {
        "b": target,
        "outcome": outcome,
        "view": report_view(outcome, t),
        "token": token,
        "groups": choice_groups(t) if token else [],
        "dry_run": bool(options.get("dry_run")),
        "is_owner": user.role == Role.OWNER,
    }
    status = 422 if outcome.reason == "errors" else 200
    return render(request, "upload_result.html", ctx, status_code=status)


@router.post("/businesses/{business_id}/upload")
async def upload_submit(
    request: Request,
    business_id: int,
    files: list[UploadFile] = File(...),
    format: str = Form("", max_length=64),
    fiscal_year_start_month: str = Form("", max_length=2),
    dry_run: bool = Form(False),
    confirm_other_company: bool = Form(False),
    direction: str = Form("", pattern="^(|issued|received)$"),
    side: str = Form("", pattern="^(|receivable|payable)$"),
    bank_layout: str = Form("", max_length=100),
    col_date: str = Form("", max_length=100),
    col_description: str = Form("", max_length=100),
    col_out: str = Form("", max_length=100),
    col_in: str = Form("", max_length=100),
    col_amount: str = Form("", max_length=100),
    col_balance: str = Form("", max_length=100),
    col_counterparty: str = Form("", max_length=100),
    col_account: str = Form("", max_length=20),
    save_layout: str = Form("", max_length=100),
    *,
    user: CurrentUserDep,
    store: StoreDep,
    settings: SettingsDep,
    t: TranslatorDep,
) -> Response:
    payload = await read_uploads([f for f in files if f.filename], settings.max_upload_bytes)
    options = _options(format, fiscal_year_start_month, dry_run, confirm_other_company)
    if not payload:
        ctx = _form_context(store, settings, t, user, business_id)
        return render(request, "upload.html", {**ctx, "no_file": True}, status_code=400)
    typed = {
        "date": col_date,
        "description": col_description,
        "out": col_out,
        "in": col_in,
        "amount": col_amount,
        "balance": col_balance,
        "counterparty": col_counterparty,
        "account": col_account,
    }
    layout = BankLayout(
        bank_layout.strip(),
        {k: v.strip() for k, v in typed.items() if v.strip()},
        save_layout.strip(),
    )
    if is_money_upload(payload, options["format"], layout):
        return await run_in_threadpool(
            money_upload,
            request,
            store,
            settings,
            t,
            user,
            business_id,
            payload[0],
            dry_run=dry_run,
            confirm_other_party=confirm_other_company,
            direction=direction or None,
            side=side or None,
            layout=layout,
        )
    outcome = await _import(request, store, settings, user, business_id, payload, options)
    return _result(request, store, settings, t, user, business_id, outcome, payload, options)


@router.post("/businesses/{business_id}/upload/confirm")
async def upload_confirm(
    request: Request,
    business_id: int,
    token: str = Form("", max_length=64),
    *,
    user: CurrentUserDep,
    store: StoreDep,
    settings: SettingsDep,
    t: TranslatorDep,
) -> Response:
    root = pending.pending_root(settings.data_dir)
    kept = pending.load(root, token, user_id=user.actor.user_id, business_id=business_id)
    if kept is None:  # expired, or not this user's: the form again (404 if no upload right)
        ctx = _form_context(store, settings, t, user, business_id)
        return render(request, "upload.html", {**ctx, "expired": True}, status_code=410)
    form = await request.form()
    source_format = str(kept.options.get("source_format") or "")
    chart = load_chart()
    choices: list[tuple[str, str]] = []
    for key, value in form.multi_items():
        if not key.startswith("map:") or not isinstance(value, str) or not value:
            continue
        account = key[4:]
        if value == CLEARING or (value in chart and chart[value].kind == "leaf"):
            choices.append((account, value))
    if choices and source_format:
        try:
            with store.session() as s:  # all or nothing
                for account, code in choices:
                    do_confirm_account_mapping(
                        s, user.actor, business_id, source_format, account, code
                    )
        except ValueError:
            return render(request, "error.html", {"status": 400}, status_code=400)
    outcome = await _import(request, store, settings, user, business_id, kept.files, kept.options)
    return _result(
        request,
        store,
        settings,
        t,
        user,
        business_id,
        outcome,
        kept.files,
        kept.options,
        kept.token,
    )
