"""The auditor's page: the audit log (``/audit``) with filters, each event's details, a "verify
the chain" button and a CSV export. No business figures: events name what was read or changed.

Reads go through ``kizashi.access.audit_reads`` (the auditor's scope: their own organisation's
people and what was done to them; see its docstring); anyone else gets the 404 page, audited
as a denial. Every read of the log is itself audited.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from kizashi.access.audit_reads import (
    AuditFilter,
    AuditRow,
    Verification,
    export_audit_log,
    read_audit_event,
    read_audit_log,
    verify_audit_log,
)
from kizashi.store.db import Store

from ..audit_labels import ACTIONS, DECISIONS, PROBLEMS
from ..auth import CurrentUser
from ..deps import CurrentUserDep, SettingsDep, StoreDep
from ..i18n import Translator
from ..state import render, translator

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
MAX_ID = 2**31 - 1


def _filter(
    person: str | None,
    organisation: str | None,
    business: str | None,
    action: str | None,
    since: str | None,
    until: str | None,
) -> tuple[AuditFilter, dict[str, str], list[str]]:
    """The filter from the form (lenient: a bad date or business number is named, not a 422)."""
    bad: list[str] = []

    def day(value: str | None, name: str) -> date | None:
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            bad.append(name)
            return None

    biz = None
    if business:
        if business.strip().isdigit() and 0 < int(business) <= MAX_ID:
            biz = int(business)
        else:
            bad.append("business")
    flt = AuditFilter(
        person=(person or "").strip()[:120] or None,
        organisation=(organisation or "").strip()[:64] or None,
        business_id=biz,
        action=(action or "").strip()[:64] or None,
        since=day(since, "since"),
        until=day(until, "until"),
    )
    form = {
        "person": flt.person or "",
        "organisation": flt.organisation or "",
        "business": business or "",
        "action": flt.action or "",
        "since": since or "",
        "until": until or "",
    }
    return flt, form, bad


def _helpers(t: Translator) -> dict[str, Any]:
    def action_label(code: str) -> str:
        return t.gettext(ACTIONS[code]) if code in ACTIONS else code

    def decision_label(code: str) -> str:
        return t.gettext(DECISIONS[code]) if code in DECISIONS else code

    def detail_json(row: AuditRow) -> str:
        return json.dumps(row.detail, ensure_ascii=False, indent=2, sort_keys=True)

    return {
        "action_label": action_label,
        "decision_label": decision_label,
        "detail_json": detail_json,
        "actions": sorted(ACTIONS, key=action_label),
    }


def _problem_text(t: Translator, v: Verification) -> list[str]:
    return [
        t.gettext(PROBLEMS.get(p.code, PROBLEMS["changed"]), event=p.event_id, count=p.count)
        for p in v.problems[:20]
    ]


def _log_page(
    request: Request,
    store: Store,
    me: CurrentUser,
    *,
    person: str | None,
    organisation: str | None,
    business: str | None,
    action: str | None,
    since: str | None,
    until: str | None,
    page: int,
    verification: Verification | None = None,
) -> Response:
    flt, form, bad = _filter(person, organisation, business, action, since, until)
    with store.session() as s:
        got = read_audit_log(s, me.actor, flt, offset=(page - 1) * PAGE_SIZE, page_size=PAGE_SIZE)
    t = translator(request)
    query = {k: v for k, v in form.items() if v}

    def link(**change: Any) -> str:
        return "/audit?" + urlencode({**query, **{k: str(v) for k, v in change.items()}})

    return render(
        request,
        "audit.html",
        {
            **_helpers(t),
            "result": got,
            "page": page,
            "form": form,
            "bad": bad,
            "link": link,
            "csv_url": "/audit/export.csv" + ("?" + urlencode(query) if query else ""),
            "verification": verification,
            "verification_problems": _problem_text(t, verification) if verification else [],
        },
    )


@router.get("/audit")
def audit_page(
    request: Request,
    me: CurrentUserDep,
    store: StoreDep,
    person: str | None = Query(None, max_length=200),
    organisation: str | None = Query(None, max_length=200),
    business: str | None = Query(None, max_length=20),
    action: str | None = Query(None, max_length=200),
    since: str | None = Query(None, max_length=20),
    until: str | None = Query(None, max_length=20),
    page: int = Query(1, ge=1, le=1_000_000),
) -> Response:
    return _log_page(
        request,
        store,
        me,
        person=person,
        organisation=organisation,
        business=business,
        action=action,
        since=since,
        until=until,
        page=page,
    )


@router.post("/audit/verify")
def audit_verify(
    request: Request, me: CurrentUserDep, store: StoreDep, settings: SettingsDep
) -> Response:
    found = verify_audit_log(store, me.actor, settings.resolved_audit_checkpoint_dir)
    return _log_page(
        request,
        store,
        me,
        person=None,
        organisation=None,
        business=None,
        action=None,
        since=None,
        until=None,
        page=1,
        verification=found,
    )


@router.get("/audit/export.csv")
def audit_export(
    request: Request,
    me: CurrentUserDep,
    store: StoreDep,
    person: str | None = Query(None, max_length=200),
    organisation: str | None = Query(None, max_length=200),
    business: str | None = Query(None, max_length=20),
    action: str | None = Query(None, max_length=200),
    since: str | None = Query(None, max_length=20),
    until: str | None = Query(None, max_length=20),
) -> Response:
    flt, _form, _bad = _filter(person, organisation, business, action, since, until)
    with store.session() as s:
        text = export_audit_log(s, me.actor, flt)
    return Response(
        ("\ufeff" + text).encode("utf-8"),  # the BOM lets Excel read UTF-8
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="audit-log.csv"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/audit/events/{event_id}")
def audit_event(
    request: Request,
    me: CurrentUserDep,
    store: StoreDep,
    event_id: int = Path(ge=1, le=MAX_ID),
) -> Response:
    with store.session() as s:
        row = read_audit_event(s, me.actor, event_id)
    return render(request, "audit_event.html", {**_helpers(translator(request)), "e": row})
