"""Support cases (支援案件) as pages: a business's cases and the form to open one from its flags
(``/businesses/{id}/cases``), one case with its forms — change, dialogue record (面談記録) with
agreed actions and attachments, non-financial ロカベン items, close — (``/cases/{id}``), the
officer's cases and due reminders (``/cases``), and the owner's portal of the records shared with
them, with a comment form (``/businesses/{id}/dialogues``).

Reads through ``access.cases`` (and ``access.monitoring.read_flags`` for the flags to open from),
writes through ``actions.cases``. A case that is missing and one the user may not see are the
same 404 page (audited).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from kizashi.access.cases import due_reminders, list_cases, read_case, shared_dialogues
from kizashi.access.flag_responses import assignable_users
from kizashi.access.monitoring import read_flags
from kizashi.actions.cases import (
    MAX_ATTACHMENT_BYTES,
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
from kizashi.domain.vocabulary import Role
from kizashi.store.errors import NotFound

from ..deps import CurrentUserDep, PagePurpose, SettingsDep, StoreDep, TranslatorDep
from ..i18n import N_, Translator
from ..refusal import refusal
from ..state import render, translator
from ..views.cases import CASE_LABELS, case_label

router = APIRouter(include_in_schema=False)
REFUSED = "Only officers of the organisation that holds the case change it"
ERRORS = {
    "date": N_("Please give dates as YYYY-MM-DD."),
    "refused": N_("Only officers of the organisation that holds the case can change it."),
    "invalid": N_("The case is closed, or a value is not valid (topics are required)."),
    "large": N_("An attachment is too large."),
}
CHOICES = {
    "support_types": [s.value for s in SupportType],
    "stages": [s.value for s in CaseStage],
    "cadences": [c.value for c in Cadence],
    "outcomes": [o.value for o in Outcome],
    "channels": [c.value for c in Channel],
    "parties": [p.value for p in ActionParty],
    "nf_items": [i.value for i in NonFinancialItem],
}


def _labels(t: Translator) -> Any:
    def label(kind: str, value: str | None) -> str:
        return case_label(t, kind, value)

    return label


def _back(path: str, purpose: PagePurpose, **extra: str) -> RedirectResponse:
    query = urlencode({**purpose.query, **extra})
    return RedirectResponse(f"{path}?{query}" if query else path, status_code=303)


def _date(value: str) -> date | None:
    return date.fromisoformat(value) if value else None


@router.get("/cases")
def cases_page(
    request: Request,
    user: CurrentUserDep,
    store: StoreDep,
    t: TranslatorDep,
    purpose: PagePurpose,
) -> Response:
    with store.session() as s:
        rows = list_cases(s, user.actor, purpose.purpose, status="open")
        reminders = due_reminders(s, user.actor)
    return render(
        request,
        "cases.html",
        {"rows": rows, "reminders": reminders, "label": _labels(t), "purpose": purpose.purpose},
    )


@router.get("/businesses/{business_id}/cases")
def business_cases_page(
    request: Request,
    business_id: int,
    user: CurrentUserDep,
    store: StoreDep,
    t: TranslatorDep,
    purpose: PagePurpose,
) -> Response:
    if user.role == Role.OWNER:
        return _back(f"/businesses/{business_id}/dialogues", purpose)
    flag_list: list[Any] = []
    with store.session() as s:
        rows = list_cases(s, user.actor, purpose.purpose, business_id=business_id)
        people = assignable_users(s, user.actor)
    try:
        with store.session() as s:
            flag_list = read_flags(s, user.actor, business_id, purpose.purpose)
    except NotFound:
        flag_list = []  # no flags consent: a case is opened by hand (the refusal is audited)
    chosen = {int(v) for v in request.query_params.getlist("flag") if v.isdigit()}
    return render(
        request,
        "business_cases.html",
        {
            "b_id": business_id,
            "rows": rows,
            "flags": [f for f in flag_list if f.is_open],
            "chosen": chosen,
            "people": people,
            "label": _labels(t),
            "choices": CHOICES,
            "purpose": purpose.purpose,
            "me": user.actor.user_id,
        },
    )


@router.post("/businesses/{business_id}/cases")
def open_case(
    business_id: int,
    user: CurrentUserDep,
    store: StoreDep,
    purpose: PagePurpose,
    support_type: str = Form(..., max_length=32),
    title: str = Form("", max_length=200),
    flag: list[int] = Form(default=[]),
    owner: str = Form("", max_length=12),
    cadence: str = Form("monthly", max_length=16),
    next_contact_on: str = Form("", max_length=10),
) -> Response:
    try:
        when = _date(next_contact_on)
        kind, how_often = SupportType(support_type), Cadence(cadence)
    except ValueError:
        return _back(f"/businesses/{business_id}/cases", purpose, error="date")
    try:
        with store.session() as s:  # NotFound → the 404 page, audited
            case = do_open_case(
                s,
                user.actor,
                business_id=business_id,
                purpose=purpose.purpose,
                support_type=kind,
                title=title,
                flag_ids=flag,
                owner_user_id=int(owner) if owner.isdigit() else None,
                cadence=how_often,
                next_contact_on=when,
            )
            case_id = case.id
    except PermissionError:
        raise HTTPException(403, REFUSED) from None
    except ValueError:
        return _back(f"/businesses/{business_id}/cases", purpose, error="invalid")
    return _back(f"/cases/{case_id}", purpose, saved="1")


@router.get("/cases/{case_id}")
def case_page(
    request: Request,
    case_id: int,
    user: CurrentUserDep,
    store: StoreDep,
    t: TranslatorDep,
    purpose: PagePurpose,
) -> Response:
    error = request.query_params.get("error")
    shown = t.gettext(ERRORS[error]) if error in ERRORS else None
    return _case_page(request, case_id, user, store, t, purpose, shown)


def _case_page(
    request: Request,
    case_id: int,
    user: CurrentUserDep,
    store: StoreDep,
    t: Translator,
    purpose: PagePurpose,
    error: str | None,
    status_code: int = 200,
) -> Response:
    with store.session() as s:  # NotFound → the 404 page, audited
        detail = read_case(s, user.actor, case_id, purpose.purpose)
        people = assignable_users(s, user.actor) if detail.mode == "own" else []
    return render(
        request,
        "case.html",
        {
            "c": detail,
            "people": people,
            "label": _labels(t),
            "choices": CHOICES,
            "labels": CASE_LABELS,
            "purpose": purpose.purpose,
            "can_write": detail.mode == "own" and detail.row.status == "open",
            "is_owner": user.role == Role.OWNER,
            "error": error,
            "saved": request.query_params.get("saved") == "1" and error is None,
            "today": date.today().isoformat(),
        },
        status_code=status_code,
    )


def _write(
    request: Request,
    user: CurrentUserDep,
    page: int,
    purpose: PagePurpose,
    fn: Any,
    store: StoreDep,
    **kw: Any,
) -> Response:
    """One unit of work; a refusal keeps its audit record and comes back to the case page,
    which says why in its own language (409)."""
    try:
        with store.session() as s:  # NotFound → the 404 page, audited
            fn(s, purpose=purpose.purpose, **kw)
    except PermissionError:
        raise HTTPException(403, REFUSED) from None
    except ValueError as exc:
        t = translator(request)
        why = refusal(t, exc, ERRORS["invalid"])
        return _case_page(request, page, user, store, t, purpose, why, status_code=409)
    return _back(f"/cases/{page}", purpose, saved="1")


@router.post("/cases/{case_id}")
def update_case(
    request: Request,
    case_id: int,
    user: CurrentUserDep,
    store: StoreDep,
    purpose: PagePurpose,
    support_type: str = Form("", max_length=32),
    stage: str = Form("", max_length=32),
    owner: str = Form("", max_length=12),
    cadence: str = Form("", max_length=16),
    next_contact_on: str = Form("", max_length=10),
    note: str = Form("", max_length=2000),
) -> Response:
    try:
        change = CaseChange(
            support_type=SupportType(support_type) if support_type else UNSET,
            stage=CaseStage(stage) if stage else UNSET,
            owner_user_id=int(owner) if owner.isdigit() else UNSET,
            cadence=Cadence(cadence) if cadence else UNSET,
            next_contact_on=_date(next_contact_on) if next_contact_on else UNSET,
            note=note or None,
        )
    except ValueError:
        return _back(f"/cases/{case_id}", purpose, error="date")
    return _write(
        request,
        user,
        case_id,
        purpose,
        do_update_case,
        store,
        actor=user.actor,
        case_id=case_id,
        change=change,
    )


@router.post("/cases/{case_id}/close")
def close_case(
    request: Request,
    case_id: int,
    user: CurrentUserDep,
    store: StoreDep,
    purpose: PagePurpose,
    outcome: str = Form(..., max_length=32),
    note: str = Form("", max_length=2000),
) -> Response:
    try:
        result = Outcome(outcome)
    except ValueError:
        return _back(f"/cases/{case_id}", purpose, error="invalid")
    return _write(
        request,
        user,
        case_id,
        purpose,
        do_close_case,
        store,
        actor=user.actor,
        case_id=case_id,
        outcome=result,
        note=note,
    )


@router.post("/cases/{case_id}/non-financial")
def set_non_financial(
    request: Request,
    case_id: int,
    user: CurrentUserDep,
    store: StoreDep,
    purpose: PagePurpose,
    period: str = Form(..., max_length=16),
    item: str = Form(..., max_length=16),
    body: str = Form("", max_length=20000),
) -> Response:
    try:
        which = NonFinancialItem(item)
    except ValueError:
        return _back(f"/cases/{case_id}", purpose, error="invalid")
    return _write(
        request,
        user,
        case_id,
        purpose,
        do_set_non_financial,
        store,
        actor=user.actor,
        case_id=case_id,
        period=period,
        item=which,
        body=body,
    )


@router.post("/cases/{case_id}/dialogues")
async def add_dialogue(
    request: Request,
    case_id: int,
    user: CurrentUserDep,
    store: StoreDep,
    settings: SettingsDep,
    purpose: PagePurpose,
    held_on: str = Form(..., max_length=10),
    channel: str = Form(..., max_length=16),
    place: str = Form("", max_length=200),
    attendees: str = Form("", max_length=5000),
    topics: str = Form("", max_length=20000),
    owner_said: str = Form("", max_length=20000),
    shared: str = Form("", max_length=4),
    action_what: list[str] = Form(default=[]),
    action_party: list[str] = Form(default=[]),
    action_due: list[str] = Form(default=[]),
    files: list[UploadFile] = File(default=[]),
) -> Response:
    try:
        day = date.fromisoformat(held_on)
        how = Channel(channel)
        actions = [
            ActionInput(what.strip(), ActionParty(party or "owner"), _date(due))
            for what, party, due in zip(action_what, action_party, action_due, strict=False)
            if what.strip()
        ]
    except ValueError:
        return _back(f"/cases/{case_id}", purpose, error="date")
    attachments: list[tuple[str, bytes]] = []
    for f in files:
        if not f.filename:
            continue
        data = await f.read(MAX_ATTACHMENT_BYTES + 1)
        if len(data) > MAX_ATTACHMENT_BYTES:
            return _back(f"/cases/{case_id}", purpose, error="large")
        attachments.append((f.filename, data))
    dialogue = DialogueInput(
        held_on=day,
        channel=how,
        topics=topics,
        attendees=attendees.splitlines(),
        place=place,
        owner_said=owner_said,
        shared_with_owner=shared == "1",
        actions=actions,
        attachments=attachments,
    )
    return _write(
        request,
        user,
        case_id,
        purpose,
        do_add_dialogue,
        store,
        actor=user.actor,
        case_id=case_id,
        dialogue=dialogue,
        raw_dir=settings.raw_dir,
    )


@router.post("/cases/{case_id}/actions/{action_id}/done")
def action_done(
    case_id: int,
    action_id: int,
    user: CurrentUserDep,
    store: StoreDep,
    purpose: PagePurpose,
    done_on: str = Form("", max_length=10),
) -> Response:
    try:
        day = _date(done_on) or date.today()
    except ValueError:
        return _back(f"/cases/{case_id}", purpose, error="date")
    try:
        with store.session() as s:  # NotFound → the 404 page, audited
            do_complete_action(
                s,
                user.actor,
                action_id=action_id,
                done_on=day,
                purpose=purpose.purpose,
                case_id=case_id,
            )
    except PermissionError:
        raise HTTPException(403, REFUSED) from None
    except ValueError:
        return _back(f"/cases/{case_id}", purpose, error="invalid")
    return _back(f"/cases/{case_id}", purpose, saved="1")


@router.get("/businesses/{business_id}/dialogues")
def shared_dialogues_page(
    request: Request,
    business_id: int,
    user: CurrentUserDep,
    store: StoreDep,
    t: TranslatorDep,
    purpose: PagePurpose,
) -> Response:
    return _shared_page(request, business_id, user, store, t, purpose, None)


def _shared_page(
    request: Request,
    business_id: int,
    user: CurrentUserDep,
    store: StoreDep,
    t: Translator,
    purpose: PagePurpose,
    error: str | None,
    status_code: int = 200,
) -> Response:
    with store.session() as s:  # NotFound → the 404 page, audited
        records = shared_dialogues(s, user.actor, business_id, purpose.purpose)
        # the business's own agreed actions due soon (the owner's reminders)
        reminders = [r for r in due_reminders(s, user.actor) if r.business_id == business_id]
    return render(
        request,
        "shared_dialogues.html",
        {
            "b_id": business_id,
            "records": records,
            "reminders": reminders,
            "label": _labels(t),
            "purpose": purpose.purpose,
            "error": error,
            "saved": request.query_params.get("saved") == "1" and error is None,
        },
        status_code=status_code,
    )


@router.post("/dialogues/{dialogue_id}/comments")
def comment_dialogue(
    request: Request,
    dialogue_id: int,
    user: CurrentUserDep,
    store: StoreDep,
    purpose: PagePurpose,
    body: str = Form(..., max_length=4000),
    back: str = Form("", max_length=200),
) -> Response:
    try:
        with store.session() as s:  # NotFound → the 404 page, audited
            do_comment_dialogue(
                s, user.actor, dialogue_id=dialogue_id, body=body, purpose=purpose.purpose
            )
    except PermissionError:
        raise HTTPException(403, REFUSED) from None
    except ValueError as exc:  # an empty comment (refused, audited): say why, save nothing
        t = translator(request)
        why = refusal(t, exc, ERRORS["invalid"])
        case = _CASE_PAGE.fullmatch(back)
        if case:
            return _case_page(request, int(case[1]), user, store, t, purpose, why, 409)
        shared = _SHARED_PAGE.fullmatch(back)
        if shared:
            return _shared_page(request, int(shared[1]), user, store, t, purpose, why, 409)
        raise HTTPException(409, why) from None
    target = back if back.startswith("/") and not back.startswith("//") else "/"
    return _back(target, purpose, saved="1")


# the pages a comment form is on (its ``back``), which show a refused comment's reason
_CASE_PAGE = re.compile(r"/cases/(\d+)")
_SHARED_PAGE = re.compile(r"/businesses/(\d+)/dialogues")
