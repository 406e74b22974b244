"""Referrals across organisations (紹介・持込) as pages: the list — an officer's sent and received
referrals, the owner's referrals about their business — (``/referrals``), one referral with the
form its party may use — the owner approves with a selection or refuses, the receiver accepts
or declines with a reason, the sender withdraws — (``/referrals/{id}``), and the form to refer a
business, from its page or from a case (``/businesses/{id}/referrals/new``).

Reads through ``access.referrals``, writes through ``actions.referrals``. A referral that is
missing and one the user takes no part in are the same 404 page (audited).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from kizashi.access import access_business_by_id
from kizashi.access.referrals import (
    list_referrals,
    read_referral,
    referral_receivers,
)
from kizashi.actions.referrals import (
    ReferralError,
    do_accept_referral,
    do_approve_referral,
    do_create_referral,
    do_decline_referral,
    do_refuse_referral,
    do_withdraw_referral,
)
from kizashi.domain.referrals import ReferralKind
from kizashi.domain.vocabulary import Category, Purpose, Role

from ..deps import (
    ChosenPurpose,
    CurrentUserDep,
    PagePurpose,
    SettingsDep,
    StoreDep,
    TranslatorDep,
)
from ..i18n import N_, Translator
from ..state import render
from ..views.cases import case_label

router = APIRouter(include_in_schema=False)
REFUSED = "Only the party to the referral that takes this step may do so"
KINDS = {
    "guarantor_support": N_("Credit guarantee corporation: management support"),
    "revitalization": N_("SME Revitalization Council"),
    "plan_405": N_("Improvement plan with a certified adviser (405 programme)"),
    "yorozu": N_("Yorozu Support Center"),
    "other": N_("Other"),
}
STATUSES = {
    "awaiting_owner": N_("Waiting for the business's consent"),
    "refused": N_("The business did not consent"),
    "pending": N_("Waiting for the receiver's answer"),
    "accepted": N_("Accepted"),
    "declined": N_("Declined by the receiver"),
    "withdrawn": N_("Withdrawn"),
}
PARTIES = {"sender": N_("Referred by us"), "receiver": N_("Referred to us"), "owner": N_("Ours")}
ERRORS = {
    "invalid": N_(
        "This could not be done: check the receiver, the note or the reason, and that the referral is still at this step."
    ),
}


def _labels(t: Translator) -> dict[str, Any]:
    def of(table: dict[str, str]) -> Any:
        return lambda v: t.gettext(table[v]) if v in table else ""

    return {"kind": of(KINDS), "status": of(STATUSES), "party": of(PARTIES)}


def _back(path: str, **extra: str) -> RedirectResponse:
    query = "&".join(f"{k}={v}" for k, v in extra.items())
    return RedirectResponse(f"{path}?{query}" if query else path, status_code=303)


@router.get("/referrals")
def referrals_page(
    request: Request, user: CurrentUserDep, store: StoreDep, t: TranslatorDep
) -> Response:
    with store.session() as s:
        rows = list_referrals(s, user.actor)
    return render(
        request,
        "referrals.html",
        {
            "received": [r for r in rows if r.party == "receiver"],
            "sent": [r for r in rows if r.party == "sender"],
            "own": [r for r in rows if r.party == "owner"],
            "l": _labels(t),
        },
    )


@router.get("/referrals/{referral_id}")
def referral_page(
    request: Request,
    referral_id: int,
    user: CurrentUserDep,
    store: StoreDep,
    settings: SettingsDep,
    t: TranslatorDep,
) -> Response:
    with store.session() as s:  # NotFound → the 404 page, audited
        detail = read_referral(s, user.actor, referral_id, data_dir=settings.data_dir)
    error = request.query_params.get("error")
    return render(
        request,
        "referral.html",
        {
            "r": detail.row,
            "d": detail,
            "l": _labels(t),
            "case_label": lambda kind, v: case_label(t, kind, v),
            "error": t.gettext(ERRORS[error]) if error in ERRORS else None,
            "saved": request.query_params.get("saved") == "1",
        },
    )


def _sender_purpose(chosen: ChosenPurpose) -> Purpose:
    """The purpose the officer refers under: the page's (a 保証協会 works under 期中モニタリング),
    経営支援 when the page is a referral's (what was referred to it is not its to pass on)."""
    return Purpose.SUPPORT if chosen.purpose == Purpose.REFERRAL else chosen.purpose


@router.get("/businesses/{business_id}/referrals/new")
def new_referral_page(
    request: Request,
    business_id: int,
    user: CurrentUserDep,
    store: StoreDep,
    t: TranslatorDep,
    purpose: PagePurpose,
) -> Response:
    sender = _sender_purpose(purpose)
    with store.session() as s:  # NotFound → the 404 page, audited
        access_business_by_id(
            s, user.actor, business_id, Category.PROFILE, sender, action="referral_form"
        )
        receivers = referral_receivers(s, user.actor)
    if user.role != Role.OFFICER:
        raise HTTPException(403, REFUSED)  # the business's own owner: an officer refers
    case = request.query_params.get("case_id", "")
    error = request.query_params.get("error")
    return render(
        request,
        "referral_new.html",
        {
            "b_id": business_id,
            "receivers": receivers,
            "kinds": [k.value for k in ReferralKind],
            "case_id": int(case) if case.isdigit() else None,
            "purpose": sender,
            "l": _labels(t),
            "error": t.gettext(ERRORS[error]) if error in ERRORS else None,
        },
    )


def _write(fn: Any, store: StoreDep, page: str, error_page: str, **kw: Any) -> Response:
    """One unit of work; a refusal keeps its audit record (403 page) or comes back with why."""
    try:
        with store.session() as s:  # NotFound → the 404 page, audited
            result = fn(s, **kw)
            target = page.format(id=getattr(result, "id", ""))
    except PermissionError:
        raise HTTPException(403, REFUSED) from None
    except (ReferralError, ValueError):
        return _back(error_page, error="invalid")
    return _back(target, saved="1")


@router.post("/businesses/{business_id}/referrals")
def create_referral(
    business_id: int,
    user: CurrentUserDep,
    store: StoreDep,
    purpose: PagePurpose,
    to_org: int = Form(...),
    kind: str = Form(..., max_length=32),
    note: str = Form("", max_length=4000),
    case_id: str = Form("", max_length=12),
) -> Response:
    try:
        which = ReferralKind(kind)
    except ValueError:
        return _back(f"/businesses/{business_id}/referrals/new", error="invalid")
    return _write(
        do_create_referral,
        store,
        "/referrals/{id}",
        f"/businesses/{business_id}/referrals/new",
        actor=user.actor,
        business_id=business_id,
        to_org_id=to_org,
        kind=which,
        note=note,
        from_case_id=int(case_id) if case_id.isdigit() else None,
        purpose=_sender_purpose(purpose),
    )


@router.post("/referrals/{referral_id}/approve")
def approve_referral(
    referral_id: int,
    user: CurrentUserDep,
    store: StoreDep,
    share_flags: str = Form(""),
    share_indicators: str = Form(""),
    dialogue: list[int] = Form(default=[]),
) -> Response:
    page = f"/referrals/{referral_id}"
    return _write(
        do_approve_referral,
        store,
        page,
        page,
        actor=user.actor,
        referral_id=referral_id,
        share_flags=share_flags == "1",
        share_indicators=share_indicators == "1",
        dialogue_ids=dialogue,
    )


@router.post("/referrals/{referral_id}/refuse")
def refuse_referral(
    referral_id: int,
    user: CurrentUserDep,
    store: StoreDep,
    reason: str = Form("", max_length=2000),
) -> Response:
    page = f"/referrals/{referral_id}"
    return _write(
        do_refuse_referral,
        store,
        page,
        page,
        actor=user.actor,
        referral_id=referral_id,
        reason=reason,
    )


@router.post("/referrals/{referral_id}/accept")
def accept_referral(referral_id: int, user: CurrentUserDep, store: StoreDep) -> Response:
    page = f"/referrals/{referral_id}"
    return _write(do_accept_referral, store, page, page, actor=user.actor, referral_id=referral_id)


@router.post("/referrals/{referral_id}/decline")
def decline_referral(
    referral_id: int,
    user: CurrentUserDep,
    store: StoreDep,
    reason: str = Form("", max_length=2000),
) -> Response:
    page = f"/referrals/{referral_id}"
    return _write(
        do_decline_referral,
        store,
        page,
        page,
        actor=user.actor,
        referral_id=referral_id,
        reason=reason,
    )


@router.post("/referrals/{referral_id}/withdraw")
def withdraw_referral(
    referral_id: int,
    user: CurrentUserDep,
    store: StoreDep,
    reason: str = Form("", max_length=2000),
) -> Response:
    page = f"/referrals/{referral_id}"
    return _write(
        do_withdraw_referral,
        store,
        page,
        page,
        actor=user.actor,
        referral_id=referral_id,
        reason=reason,
    )
