"""A business's submission timeliness as a page (``GET /businesses/{id}/timeliness``), linked
from the business page — the owner's and the institutions' alike. Read through
``access.timeliness`` (financials consent; the owner always), audited; no access: the 404 page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kizashi.access.reads import read_business_profile
from kizashi.access.timeliness import read_timeliness

from ..deps import CurrentUserDep, PagePurpose, SettingsDep, StoreDep
from ..i18n import N_
from ..state import render

router = APIRouter(include_in_schema=False)
STATUS = {
    "on_time": N_("on time"),
    "late": N_("late"),
    "missing": N_("missing"),
    "due": N_("not yet due"),
}


@router.get("/businesses/{business_id}/timeliness")
def timeliness_page(
    request: Request,
    business_id: int,
    user: CurrentUserDep,
    store: StoreDep,
    settings: SettingsDep,
    purpose: PagePurpose,
) -> Response:
    with store.session() as s:  # NotFound → the 404 page, audited
        t = read_timeliness(
            s,
            user.actor,
            business_id,
            purpose.purpose,
            deadline_days=settings.submission_deadline_days,
        )
        profile = read_business_profile(s, user.actor, business_id, purpose=purpose.purpose)
    return render(
        request,
        "timeliness.html",
        {"t": t, "b_id": business_id, "b_name": profile.name, "status_labels": STATUS},
    )
