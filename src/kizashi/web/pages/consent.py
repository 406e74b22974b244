"""Consent pages: the business's portal ("who can see what, for which purpose, until when",
requests to answer, who looked) and an institution's view (what it holds, what it asked and
the answers); the business page's consent section (``business_consent_section``) with its
request and 包括同意 forms.

Every form posts here, is carried out by ``actions.consent`` in one unit of work and redirects
back with a ``done`` or ``error`` code that the page words in the user's language. Refusals are
the 404 page (audited), as everywhere else.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from kizashi.access.consent import (
    access_business_for_request,
    business_for_owner,
    grant_for_owner,
    may_ask_about,
    organisations_to_grant,
    own_business_id,
    read_business_consents,
    read_organisation_consents,
    request_for_owner,
    request_for_requester,
    who_looked,
)
from kizashi.actions.consent import (
    APPLICATION_KINDS,
    MAX_DOCUMENT_REF_CHARS,
    MAX_REASON_CHARS,
    ConsentError,
    ConsentRefused,
    do_grant_consent,
    do_record_application_consent,
    do_request_consent,
    do_respond_consent_request,
    do_revoke_consent,
    do_withdraw_consent_request,
)
from kizashi.domain.consent import EXPIRY_WARNING_DAYS, GrantStanding
from kizashi.domain.vocabulary import Category, Purpose, Role
from kizashi.store.db import Store
from kizashi.store.errors import NotFound
from kizashi.store.models import Organisation

from ..auth import CurrentUser
from ..deps import CurrentUserDep, SettingsDep, StoreDep
from ..i18n import N_
from ..state import render, translator

router = APIRouter(include_in_schema=False)

STANDING_LABELS = {
    "active": N_("Active"),
    "ending_soon": N_("Ending soon"),
    "not_yet": N_("Not started yet"),
    "expired": N_("Expired"),
    "revoked": N_("Revoked"),
}
SOURCE_LABELS = {
    "owner": N_("Granted by the business"),
    "request": N_("Approved request"),
    "application": N_("Comprehensive consent (application)"),
}
STATUS_LABELS = {
    "pending": N_("Awaiting answer"),
    "approved": N_("Approved"),
    "partly_approved": N_("Partly approved"),
    "declined": N_("Declined"),
    "withdrawn": N_("Withdrawn"),
    "expired": N_("Expired"),
}
ACTION_LABELS = {
    "read_business_page": N_("Business page"),
    "read": N_("Data"),
    "read_loans": N_("Loans and guarantees"),
    "upload": N_("Data import"),
    "upload_form": N_("Data import"),
    "request_consent": N_("Consent request"),
    "record_application_consent": N_("Comprehensive consent (application)"),
}
DONE = {
    "granted": N_("Consent granted."),
    "revoked": N_("Consent revoked. The organisation can no longer see that data."),
    "answered": N_("Your answer has been sent to the organisation."),
    "declined": N_("You declined the request. The organisation sees your answer."),
    "requested": N_("Your request has been sent to the business."),
    "withdrawn": N_("The request was withdrawn."),
    "recorded": N_(
        "The comprehensive consent was recorded. The business sees it and can revoke it."
    ),
}
ERRORS = {
    "dates": N_("The end date is before the start date."),
    "no_categories": N_("Choose at least one kind of data."),
    "grantee": N_("Choose an institution to grant consent to."),
    "reason": N_("Please give the reason for your request."),
    "document_ref": N_("Please give the application document's number or name."),
    "not_requested": N_("Only the kinds of data asked for can be approved."),
    "not_pending": N_("This request has been answered already."),
    "expired": N_("This request has expired."),
    "date_format": N_("A date could not be read."),
}


def _labels(request: Request) -> dict[str, Any]:
    _ = translator(request).gettext
    return {
        "standing_label": lambda v: _(STANDING_LABELS.get(str(v), str(v))),
        "source_label": lambda v: _(SOURCE_LABELS.get(str(v), str(v))),
        "status_label": lambda v: _(STATUS_LABELS.get(str(v), str(v))),
        "action_label": lambda v: _(ACTION_LABELS.get(str(v), N_("Data"))),
        "categories": list(Category),
        "purposes": list(Purpose),
        "warning_days": EXPIRY_WARNING_DAYS,
        "max_reason": MAX_REASON_CHARS,
        "max_document_ref": MAX_DOCUMENT_REF_CHARS,
    }


def _message(request: Request, done: str | None, error: str | None) -> dict[str, str | None]:
    t = translator(request)
    return {
        "done_text": t.gettext(DONE[done]) if done in DONE else None,
        "error_text": t.gettext(ERRORS[error]) if error in ERRORS else None,
    }


def _back(url: str, **params: str) -> RedirectResponse:
    query = urlencode({k: v for k, v in params.items() if v})
    return RedirectResponse(f"{url}?{query}" if query else url, status_code=303)


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ConsentError("date_format", "a date could not be read") from exc


def _categories(values: list[str]) -> list[Category]:
    out = []
    for v in values:
        try:
            out.append(Category(v))
        except ValueError:
            continue
    return out


def _purpose(value: str) -> Purpose:
    try:
        return Purpose(value)
    except ValueError as exc:
        raise ConsentError("no_categories", "unknown purpose") from exc


@router.get("/consent")
def consent_page(
    request: Request,
    user: CurrentUserDep,
    store: StoreDep,
    done: str | None = Query(None, max_length=32),
    error: str | None = Query(None, max_length=32),
) -> Response:
    actor = user.actor
    ctx: dict[str, Any] = {**_labels(request), **_message(request, done, error)}
    with store.session() as s:
        if user.role == Role.OWNER:
            bid = own_business_id(s, actor)
            if bid is None:
                raise NotFound("no business")
            overview = read_business_consents(s, actor, bid)
            looks = who_looked(s, actor, bid, limit=100)
            business = business_for_owner(s, actor, bid, "read_consents", audit=False)
            ctx |= {
                "side": "business",
                "business_name": business.name,
                "business_id": bid,
                "overview": overview,
                "looks": looks,
                "organisations": organisations_to_grant(s),
                "today": date.today().isoformat(),
            }
        elif user.role == Role.OFFICER:
            ctx |= {"side": "organisation", "overview": read_organisation_consents(s, actor)}
        else:
            raise NotFound("consent is for the business and the institutions' officers")
    return render(request, "consent.html", ctx)


def _consent_action(store: Store, run: Any, url: str, done: str) -> Response:
    """Run one write in its own unit of work; a refusal is the 404 page (audited), a state or
    input problem comes back as ``?error=``."""
    try:
        with store.session() as s:
            run(s)
    except ConsentRefused as exc:
        raise NotFound(str(exc)) from None
    except ConsentError as exc:
        return _back(url, error=exc.code)
    return _back(url, done=done)


@router.post("/consent/grants")
def grant_form(
    user: CurrentUserDep,
    store: StoreDep,
    organisation_id: int = Form(..., ge=1, le=2**31 - 1),
    categories: list[str] = Form([]),
    purpose: str = Form(..., max_length=32),
    valid_from: str = Form("", max_length=10),
    valid_to: str = Form("", max_length=10),
) -> Response:
    def run(s: Session) -> None:
        bid = own_business_id(s, user.actor)
        if bid is None:
            raise NotFound("no business")
        business = business_for_owner(s, user.actor, bid, "grant_consent")
        grantee = s.get(Organisation, organisation_id)
        if grantee is None:
            raise ConsentError("grantee", "no such organisation")
        do_grant_consent(
            s,
            user.actor,
            business=business,
            grantee=grantee,
            categories=_categories(categories),
            purpose=_purpose(purpose),
            valid_from=_date(valid_from) or date.today(),
            valid_to=_date(valid_to),
        )

    return _consent_action(store, run, "/consent", "granted")


@router.post("/consent/grants/{grant_id}/revoke")
def revoke_form(grant_id: int, user: CurrentUserDep, store: StoreDep) -> Response:
    def run(s: Session) -> None:
        do_revoke_consent(s, user.actor, grant=grant_for_owner(s, user.actor, grant_id))

    return _consent_action(store, run, "/consent", "revoked")


@router.post("/consent/requests/{request_id}/respond")
def respond_form(
    request_id: int,
    user: CurrentUserDep,
    store: StoreDep,
    decision: str = Form(..., max_length=16),
    categories: list[str] = Form([]),
    note: str = Form("", max_length=MAX_REASON_CHARS),
) -> Response:
    declined = decision != "approve"

    def run(s: Session) -> None:
        req = request_for_owner(s, user.actor, request_id)
        chosen = [] if declined else _categories(categories)
        if not declined and not chosen:
            raise ConsentError("no_categories", "nothing approved")
        do_respond_consent_request(s, user.actor, request=req, approve=chosen, note=note)

    return _consent_action(store, run, "/consent", "declined" if declined else "answered")


@router.post("/consent/requests/{request_id}/withdraw")
def withdraw_form(request_id: int, user: CurrentUserDep, store: StoreDep) -> Response:
    def run(s: Session) -> None:
        req = request_for_requester(s, user.actor, request_id)
        do_withdraw_consent_request(s, user.actor, request=req)

    return _consent_action(store, run, "/consent", "withdrawn")


@router.post("/businesses/{business_id}/consent-requests")
def request_form(
    business_id: int,
    user: CurrentUserDep,
    store: StoreDep,
    settings: SettingsDep,
    categories: list[str] = Form([]),
    purpose: str = Form(..., max_length=32),
    reason: str = Form("", max_length=MAX_REASON_CHARS),
    valid_to: str = Form("", max_length=10),
) -> Response:
    days = settings.consent_request_days

    def run(s: Session) -> None:
        business = access_business_for_request(s, user.actor, business_id)
        do_request_consent(
            s,
            user.actor,
            business=business,
            categories=_categories(categories),
            purpose=_purpose(purpose),
            reason=reason,
            valid_from=date.today(),
            valid_to=_date(valid_to),
            expiry_days=days,
        )

    return _section_back(store, run, business_id, purpose, "requested")


def _section_back(store: Store, run: Any, business_id: int, purpose: str, done: str) -> Response:
    url = f"/businesses/{business_id}"
    try:
        with store.session() as s:
            run(s)
    except ConsentRefused as exc:
        raise NotFound(str(exc)) from None
    except ConsentError as exc:
        return _back(url, purpose=purpose, consent_error=exc.code)
    return _back(url, purpose=purpose, consent_done=done)


@router.post("/businesses/{business_id}/application-consents")
def application_form(
    business_id: int,
    user: CurrentUserDep,
    store: StoreDep,
    categories: list[str] = Form([]),
    purpose: str = Form(..., max_length=32),
    document_ref: str = Form("", max_length=MAX_DOCUMENT_REF_CHARS),
    valid_from: str = Form("", max_length=10),
    valid_to: str = Form("", max_length=10),
) -> Response:
    def run(s: Session) -> None:
        business = access_business_for_request(
            s, user.actor, business_id, action="record_application_consent"
        )
        do_record_application_consent(
            s,
            user.actor,
            business=business,
            categories=_categories(categories),
            purpose=_purpose(purpose),
            valid_from=_date(valid_from) or date.today(),
            valid_to=_date(valid_to),
            document_ref=document_ref,
        )

    return _section_back(store, run, business_id, purpose, "recorded")


def business_consent_section(
    request: Request, s: Session, user: CurrentUser, business_id: int, purpose: Purpose
) -> dict[str, Any]:
    """The business page's consent section (read in the page's read-only unit of work; the
    organisation's own grants and requests, not the business's data, so no event of its own).

    An officer sees what its organisation may see of this business and for which purpose,
    grants ending soon, its requests and their answers, and — for the kinds of data it does
    not have for the page's purpose — the request form (and, at a lender or guarantor, the
    包括同意 form). The business itself sees how many requests wait for it."""
    actor = user.actor
    out: dict[str, Any] = {**_labels(request)}
    out |= {
        k.replace("_text", "_consent"): v
        for k, v in _message(
            request,
            request.query_params.get("consent_done"),
            request.query_params.get("consent_error"),
        ).items()
    }
    if user.role == Role.OWNER:
        view = read_business_consents(s, actor, business_id, audit=False)
        out["consent"] = {
            "side": "business",
            "pending": len(view.pending_requests()),
            "ending": len(view.ending_soon()),
        }
        return out
    if user.role != Role.OFFICER:
        out["consent"] = None
        return out
    view = read_organisation_consents(s, actor, business_id=business_id, audit=False)
    live = view.live_grants()
    held = {g.category for g in live if g.purpose == purpose and g.standing != "not_yet"}
    missing = [c for c in Category if c not in held]
    org = s.get(Organisation, actor.org_id) if actor.org_id is not None else None
    asking = may_ask_about(s, actor, business_id)
    out["consent"] = {
        "side": "organisation",
        "live": live,
        "ending": [g for g in live if g.standing == GrantStanding.ENDING_SOON],
        "requests": view.requests[:10],
        "missing": missing,
        "purpose": purpose,
        "may_ask": asking,
        "may_record": asking and org is not None and org.kind in APPLICATION_KINDS,
    }
    return out
