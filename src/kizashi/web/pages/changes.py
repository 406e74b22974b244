"""What changed for your organisation since last month, as a page (``GET /changes``): new and
cleared flags, missed trial-balance deadlines, risk-threshold crossings (``access.changes``)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from kizashi.access.changes import read_changes

from ..deps import CurrentUserDep, PagePurpose, SettingsDep, StoreDep, TranslatorDep
from ..state import render

router = APIRouter(include_in_schema=False)


@router.get("/changes")
def changes_page(
    request: Request,
    user: CurrentUserDep,
    store: StoreDep,
    settings: SettingsDep,
    t: TranslatorDep,
    purpose: PagePurpose,
    since: date | None = Query(None),
) -> Response:
    with store.session() as s:
        c = read_changes(
            s,
            user.actor,
            since=since,
            purpose=purpose.purpose,
            deadline_days=settings.submission_deadline_days,
            data_dir=settings.data_dir,
            lang="ja" if t.locale == "ja" else "en",
        )
    return render(request, "changes.html", {"c": c})
