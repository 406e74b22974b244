"""Your organisation's response to one flag, as a page: its state, reason, assignee and due
date, the form to give it an assignee and a due date, and the history of who in your
organisation changed what, when and why (``GET/POST /businesses/{id}/flags/{flag_id}/response``).

Reads go through ``access.monitoring.read_flag_response`` (category ``flags``; only your
organisation's rows); the form calls ``actions.flags.do_assign_flag``. A flag that is missing and
one you may not see are the same 404 page (audited).
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from kizashi.access.flag_responses import assignable_users
from kizashi.access.monitoring import read_flag_response
from kizashi.actions.flags import do_assign_flag
from kizashi.domain.vocabulary import Role
from kizashi.store.errors import NotFound

from ..deps import CurrentUserDep, PagePurpose, StoreDep, TranslatorDep
from ..i18n import N_
from ..state import render

router = APIRouter(include_in_schema=False)
FIELD_LABELS = {
    "state": N_("State"),
    "assignee": N_("Assignee"),
    "due_on": N_("Due date"),
    "note": N_("Note"),
}
ERRORS = {
    "assignee": N_("Choose someone of your own organisation."),
    "date": N_("Please give the due date as YYYY-MM-DD."),
}


def _page(
    request: Request,
    store: StoreDep,
    user: CurrentUserDep,
    t: TranslatorDep,
    purpose: PagePurpose,
    business_id: int,
    flag_id: int,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    with store.session() as s:  # NotFound → the 404 page, audited
        view, history = read_flag_response(s, user.actor, flag_id, purpose.purpose)
        people = assignable_users(s, user.actor)
    return render(
        request,
        "flag_response.html",
        {
            "f": view,
            "b_id": business_id,
            "history": history,
            "people": people,
            "field_labels": FIELD_LABELS,
            "purpose": purpose.purpose,
            "is_owner": user.role == Role.OWNER,
            "error": t.gettext(ERRORS[error]) if error in ERRORS else None,
            "saved": request.query_params.get("saved") == "1",
        },
        status_code=status_code,
    )


@router.get("/businesses/{business_id}/flags/{flag_id}/response")
def flag_response_page(
    request: Request,
    business_id: int,
    flag_id: int,
    user: CurrentUserDep,
    store: StoreDep,
    t: TranslatorDep,
    purpose: PagePurpose,
) -> Response:
    return _page(request, store, user, t, purpose, business_id, flag_id)


@router.post("/businesses/{business_id}/flags/{flag_id}/response")
def assign_flag(
    request: Request,
    business_id: int,
    flag_id: int,
    user: CurrentUserDep,
    store: StoreDep,
    t: TranslatorDep,
    purpose: PagePurpose,
    assignee: str = Form("", max_length=12),
    due_on: str = Form("", max_length=10),
    note: str = Form("", max_length=2000),
) -> Response:
    try:
        due = date.fromisoformat(due_on) if due_on else None
    except ValueError:
        return _page(request, store, user, t, purpose, business_id, flag_id, "date", 422)
    try:
        with store.session() as s:  # NotFound → the 404 page, audited
            response = do_assign_flag(
                s,
                user.actor,
                flag_id=flag_id,
                assignee_user_id=int(assignee) if assignee.isdigit() else None,
                due_on=due,
                purpose=purpose.purpose,
                reason=note or None,
            )
            if response.business_id != business_id:
                raise NotFound(f"flag {flag_id} not found")  # rolls the change back
    except ValueError:
        return _page(request, store, user, t, purpose, business_id, flag_id, "assignee", 409)
    query = "&".join(f"{k}={v}" for k, v in {**purpose.query, "saved": "1"}.items())
    return RedirectResponse(
        f"/businesses/{business_id}/flags/{flag_id}/response?{query}", status_code=303
    )
