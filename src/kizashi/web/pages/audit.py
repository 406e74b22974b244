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

from fastapi import APIRouter, Depends, Path, Query, Request
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

from ..auth import CurrentUser, require_user
from ..i18n import N_, Translator
from ..state import app_settings, app_store, render, translator

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
MAX_ID = 2**31 - 1

# What each recorded action is called on the page; an action not listed shows its code.
ACTIONS: dict[str, str] = {
    "login": N_("Logged in"),
    "login_failed": N_("Failed login"),
    "login_locked": N_("Login ID locked"),
    "login_throttled": N_("Logins from an address throttled"),
    "logout": N_("Logged out"),
    "unlock_login": N_("Login lockout lifted"),
    "end_user_sessions": N_("Logged out everywhere"),
    "add_organisation": N_("Organisation added"),
    "add_user": N_("User added"),
    "activate_user": N_("User activated"),
    "deactivate_user": N_("User deactivated"),
    "change_password": N_("Password changed"),
    "change_role": N_("Role changed"),
    "manage_user": N_("User management"),
    "list_users": N_("User list"),
    "list": N_("Business list"),
    "read_business_page": N_("Business page read"),
    "read_financials": N_("Financial figures read"),
    "read_loans": N_("Loans read"),
    "read_flags": N_("Flags read"),
    "read_summary": N_("Flag summary read"),
    "read_indicators": N_("Indicators read"),
    "read_indicator_history": N_("Indicator history read"),
    "read_submissions": N_("Submissions read"),
    "upload_form": N_("Upload form opened"),
    "import_submission": N_("Data imported"),
    "add_business": N_("Business registered"),
    "import_businesses": N_("Businesses imported"),
    "add_loan": N_("Loan added"),
    "record_credit_event": N_("Credit event recorded"),
    "grant_consent": N_("Consent given"),
    "revoke_consent": N_("Consent revoked"),
    "change_flag_state": N_("Flag state changed"),
    "install_rule_pack": N_("Rule pack installed"),
    "install_default_pack": N_("Default rule pack installed"),
    "monitoring_run": N_("Monitoring run finished"),
    "monitoring_run_started": N_("Monitoring run started"),
    "monitoring_run_failed": N_("Monitoring run failed"),
    "load_synthetic_portfolio": N_("Synthetic portfolio loaded"),
    "store_portfolio_manifest": N_("Synthetic portfolio manifest stored"),
    "read_audit_log": N_("Audit log read"),
    "read_audit_event": N_("Audit event read"),
    "export_audit_log": N_("Audit log exported"),
    "verify_audit_log": N_("Audit log verified"),
}
DECISIONS = {"allow": N_("Allowed"), "deny": N_("Refused"), "write": N_("Changed")}
PROBLEMS = {
    "missing": N_("Event {event}: the numbering has a gap (a row deleted or reordered)"),
    "prev_hash": N_("Event {event}: not linked to the hash of the event before it"),
    "changed": N_("Event {event}: its content does not match its keyed hash (changed)"),
    "legacy": N_("From event {event}, {count} events: still in the old form without the key"),
    "head": N_("The head record (event {event}) does not match the last event (tail removed)"),
    "checkpoint_bad": N_("Checkpoint line {event}: the signature is wrong"),
    "truncated": N_("A checkpoint records {event} events; the log has fewer (tail removed)"),
    "rewritten": N_("Event {event}: differs from the hash a checkpoint recorded (rewritten)"),
}


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
    with app_store(request).session() as s:
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
    person: str | None = Query(None, max_length=200),
    organisation: str | None = Query(None, max_length=200),
    business: str | None = Query(None, max_length=20),
    action: str | None = Query(None, max_length=200),
    since: str | None = Query(None, max_length=20),
    until: str | None = Query(None, max_length=20),
    page: int = Query(1, ge=1, le=1_000_000),
    me: CurrentUser = Depends(require_user),
) -> Response:
    return _log_page(
        request,
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
def audit_verify(request: Request, me: CurrentUser = Depends(require_user)) -> Response:
    found = verify_audit_log(
        app_store(request), me.actor, app_settings(request).resolved_audit_checkpoint_dir
    )
    return _log_page(
        request,
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
    person: str | None = Query(None, max_length=200),
    organisation: str | None = Query(None, max_length=200),
    business: str | None = Query(None, max_length=20),
    action: str | None = Query(None, max_length=200),
    since: str | None = Query(None, max_length=20),
    until: str | None = Query(None, max_length=20),
    me: CurrentUser = Depends(require_user),
) -> Response:
    flt, _form, _bad = _filter(person, organisation, business, action, since, until)
    with app_store(request).session() as s:
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
    event_id: int = Path(ge=1, le=MAX_ID),
    me: CurrentUser = Depends(require_user),
) -> Response:
    with app_store(request).session() as s:
        row = read_audit_event(s, me.actor, event_id)
    return render(request, "audit_event.html", {**_helpers(translator(request)), "e": row})
