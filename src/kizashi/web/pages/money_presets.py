"""入出金明細の列の設定 page: the organisation's saved layouts of bank CSVs (list, save, delete).

Saved layouts are chosen on the upload page for a bank CSV kizashi does not recognise. Any user
of the organisation sees them; owners, officers and administrators save and delete them
(``actions.bank.do_save_money_preset``, ``actions.money_presets``), each write audited.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from kizashi.actions.bank import do_save_money_preset
from kizashi.actions.money_presets import do_delete_money_preset, list_money_presets
from kizashi.ingest.importers.netbank_csv import PRESET_FIELDS

from ..deps import CurrentUserDep, StoreDep, TranslatorDep
from ..i18n import N_
from ..state import render

router = APIRouter(include_in_schema=False)
FIELD_LABELS = {
    "date": N_("Date"),
    "description": N_("Description"),
    "out": N_("Money out"),
    "in": N_("Money in"),
    "amount": N_("Signed amount (one column)"),
    "balance": N_("Balance"),
    "counterparty": N_("Remitter"),
    "memo": N_("Memo"),
    "account": N_("Account number (when the file has none)"),
}
DONE = {"saved": N_("The layout was saved."), "deleted": N_("The layout was deleted.")}
REFUSED = N_("Not done: a layout needs a name and a column; owners, officers and admins only.")


def _page(
    request: Request,
    store: StoreDep,
    user: CurrentUserDep,
    t: TranslatorDep,
    *,
    error: bool = False,
    status_code: int = 200,
) -> Response:
    with store.session() as s:
        presets = list_money_presets(s, user.actor)
    done = request.query_params.get("done")
    return render(
        request,
        "money_presets.html",
        {
            "presets": presets,
            "fields": [(f, t.gettext(FIELD_LABELS[f])) for f in (*PRESET_FIELDS, "account")],
            "labels": {k: t.gettext(v) for k, v in FIELD_LABELS.items()},
            "done": t.gettext(DONE[done]) if done in DONE else None,
            "error": t.gettext(REFUSED) if error else None,
        },
        status_code=status_code,
    )


@router.get("/money-presets")
def money_presets_page(
    request: Request, user: CurrentUserDep, store: StoreDep, t: TranslatorDep
) -> Response:
    return _page(request, store, user, t)


@router.post("/money-presets")
async def save_money_preset(
    request: Request, user: CurrentUserDep, store: StoreDep, t: TranslatorDep
) -> Response:
    form = await request.form()
    name = str(form.get("name", "")).strip()[:100]
    columns = {
        f: str(form.get(f"col_{f}", "")).strip()[:100]
        for f in (*PRESET_FIELDS, "account")
        if str(form.get(f"col_{f}", "")).strip()
    }
    try:
        with store.session() as s:
            do_save_money_preset(s, user.actor, user.actor.org_id or 0, name, columns)
    except (PermissionError, ValueError):
        return _page(request, store, user, t, error=True, status_code=422)
    return RedirectResponse(f"/money-presets?{urlencode({'done': 'saved'})}", status_code=303)


@router.post("/money-presets/delete")
def delete_money_preset(
    request: Request,
    user: CurrentUserDep,
    store: StoreDep,
    t: TranslatorDep,
    name: str = Form(..., max_length=100),
) -> Response:
    try:
        with store.session() as s:
            do_delete_money_preset(s, user.actor, name)
    except (PermissionError, LookupError):
        return _page(request, store, user, t, error=True, status_code=422)
    return RedirectResponse(f"/money-presets?{urlencode({'done': 'deleted'})}", status_code=303)
