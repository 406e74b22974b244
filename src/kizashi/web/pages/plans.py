"""事業計画 pages: a business's plans (``GET /businesses/{id}/plans``, linked from the business
page — the owner's and the institutions' alike) with the form to add one from a CSV/.xlsx file,
and a plan (``GET /plans/{id}``): its targets against the actual figures of the trial balances
per month (int yen), the sustained-shortfall check, its actions and versions, and the form to
import a new version. Reads through ``access.plans`` (financials consent; the owner always),
writes through ``actions.plans``; a file is stored all or none and each problem listed with its
line and column. Refused reads are the 404 page (audited)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from kizashi.access.plans import list_plans, read_plan_progress
from kizashi.access.reads import may_upload, read_business_profile
from kizashi.actions.plans import do_add_plan, do_import_plan
from kizashi.actions.refusals import Refused
from kizashi.domain.plans import ITEMS, PlanKind
from kizashi.ingest.plans import PlanFileError

from ..deps import CurrentUserDep, PagePurpose, StoreDep
from ..state import render, translator
from ..views.plans import GRANULARITY_LABELS, ITEM_LABELS, KIND_LABELS, progress_rows

router = APIRouter(include_in_schema=False)
MAX_FILE = 5 * 1024 * 1024


def _labels() -> dict[str, Any]:
    return {
        "item_labels": ITEM_LABELS,
        "kind_labels": KIND_LABELS,
        "granularity_labels": GRANULARITY_LABELS,
        "items": ITEMS,
    }


def _list_page(
    request: Request,
    store: StoreDep,
    user: CurrentUserDep,
    business_id: int,
    purpose: PagePurpose,
    extra: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    with store.session() as s:  # NotFound → the 404 page, audited
        plans = list_plans(s, user.actor, business_id, purpose.purpose)
        name = read_business_profile(s, user.actor, business_id, purpose=purpose.purpose).name
        writable = may_upload(s, user.actor, business_id)
    return render(
        request,
        "plans.html",
        {
            "b_id": business_id,
            "b_name": name,
            "plans": plans,
            "may_write": writable,
            **_labels(),
            **(extra or {}),
        },
        status_code=status_code,
    )


@router.get("/businesses/{business_id}/plans")
def plans_page(
    request: Request, business_id: int, user: CurrentUserDep, store: StoreDep, purpose: PagePurpose
) -> Response:
    return _list_page(request, store, user, business_id, purpose)


def _read(file: UploadFile) -> tuple[bytes, str] | None:
    data = file.file.read(MAX_FILE + 1)
    return None if len(data) > MAX_FILE else (data, file.filename or "plan.csv")


@router.post("/businesses/{business_id}/plans")
def add_plan(
    request: Request,
    business_id: int,
    user: CurrentUserDep,
    store: StoreDep,
    purpose: PagePurpose,
    kind: str = Form(..., max_length=32),
    title: str = Form(..., max_length=200),
    file: UploadFile = File(...),
) -> Response:
    got = _read(file)
    if got is None or kind not in PlanKind.__members__.values() or not title.strip():
        extra: dict[str, Any] = {"too_large": got is None, "bad_form": got is not None}
        return _list_page(request, store, user, business_id, purpose, extra, 422)
    data, name = got
    try:
        with store.session() as s:
            plan = do_add_plan(s, user.actor, business_id, kind=PlanKind(kind), title=title)
            do_import_plan(s, user.actor, plan.id, data, name)
            plan_id = plan.id
    except PlanFileError as exc:
        extra = {"problems": exc.problems, "filename": name}
        return _list_page(request, store, user, business_id, purpose, extra, 422)
    except Refused as exc:  # the rules' words, in the page's language
        extra = {"refusal": exc.text(translator(request).locale)}
        return _list_page(request, store, user, business_id, purpose, extra, 422)
    return RedirectResponse(f"/plans/{plan_id}?done=added", status_code=303)


def _plan_page(
    request: Request,
    store: StoreDep,
    user: CurrentUserDep,
    plan_id: int,
    purpose: PagePurpose,
    extra: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    raw_version = request.query_params.get("version", "")
    version = int(raw_version) if raw_version.isdigit() and len(raw_version) < 9 else None
    with store.session() as s:  # NotFound → the 404 page, audited
        p = read_plan_progress(s, user.actor, plan_id, purpose.purpose, version=version)
        business_id = p.detail.plan.business_id
        name = read_business_profile(s, user.actor, business_id, purpose=purpose.purpose).name
        writable = may_upload(s, user.actor, business_id)
    return render(
        request,
        "plan.html",
        {
            "b_id": business_id,
            "b_name": name,
            "p": p,
            "rows": progress_rows(p),
            "may_write": writable,
            "done": request.query_params.get("done") in ("added", "imported"),
            **_labels(),
            **(extra or {}),
        },
        status_code=status_code,
    )


@router.get("/plans/{plan_id}")
def plan_page(
    request: Request, plan_id: int, user: CurrentUserDep, store: StoreDep, purpose: PagePurpose
) -> Response:
    return _plan_page(request, store, user, plan_id, purpose)


@router.post("/plans/{plan_id}/import")
def import_version(
    request: Request,
    plan_id: int,
    user: CurrentUserDep,
    store: StoreDep,
    purpose: PagePurpose,
    file: UploadFile = File(...),
    note: str = Form("", max_length=2000),
) -> Response:
    got = _read(file)
    if got is None:
        return _plan_page(request, store, user, plan_id, purpose, {"too_large": True}, 422)
    data, name = got
    try:
        with store.session() as s:
            do_import_plan(s, user.actor, plan_id, data, name, note=note.strip() or None)
    except PlanFileError as exc:
        extra = {"problems": exc.problems, "filename": name}
        return _plan_page(request, store, user, plan_id, purpose, extra, 422)
    except Refused as exc:
        extra = {"refusal": exc.text(translator(request).locale)}
        return _plan_page(request, store, user, plan_id, purpose, extra, 422)
    return RedirectResponse(f"/plans/{plan_id}?done=imported", status_code=303)


@router.get("/businesses/{business_id}/plans/summary")
def plan_summary(
    request: Request, business_id: int, user: CurrentUserDep, store: StoreDep, purpose: PagePurpose
) -> Response:
    """The business page's plan section (loaded into it): the newest plan's last six months
    with an actual — plan, actual and deviation of sales, operating profit and cash — and the
    shortfall notice."""
    with store.session() as s:  # NotFound → the 404 page, audited
        plans = [p for p in list_plans(s, user.actor, business_id, purpose.purpose) if p.latest]
        progress = (
            read_plan_progress(s, user.actor, plans[-1].id, purpose.purpose) if plans else None
        )
    rows: list[dict[str, Any]] = []
    if progress is not None:
        known = [
            r for r in progress_rows(progress) if any(c.actual is not None for c in r["cells"])
        ]
        rows = known[-6:]
    return render(
        request,
        "_plan_summary.html",
        {"b_id": business_id, "p": progress, "rows": rows, "plans": plans, **_labels()},
    )
