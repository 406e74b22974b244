"""The monitoring sections of the business page — 予兆フラグ (「気づき」 for the owner), indicators
against their peer band, the ロカベン radar — and the form that moves a flag through its workflow.

* Reads go through ``kizashi.access.monitoring`` (``read_flags``: category ``flags``;
  ``read_indicators``: category ``financials``). The business page (``pages.business_page``)
  reads them in its one unit of work as sections of its ``ReadLog``: a section without consent
  is refused and audited on its own while the page still renders; the sections read are
  audited together as the request's one event.
* Each indicator shows its peer band and, under it, the business's percentile among its peers
  in plain words (the share of peers with a lower value: a position, not a judgement).
* The flags and indicators are the API's view models (``web.views.monitoring``).
* ``POST /businesses/{id}/flags/{flag_id}/state`` calls ``do_change_flag_state``. The buttons a
  flag offers are a person's moves from its state in ``domain.vocabulary.FLAG_MOVES`` (staff:
  確認済 / 対応中 / 対応不要 with a reason), for the owner only those in ``OWNER_MAY_SET``
  (「確認しました」). With HTMX it answers
  with the flag's own fragment; without JavaScript it redirects back to the page (and says what
  went wrong there, if anything).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from kizashi.access.monitoring import read_flags, read_indicators
from kizashi.access.read_log import ReadLog
from kizashi.actions.flags import ReasonRequired, do_change_flag_state
from kizashi.domain.vocabulary import (
    OWNER_MAY_SET,
    PERSON_STATES,
    FlagState,
    Purpose,
    Role,
    person_moves,
)
from kizashi.store.errors import NotFound

from ..auth import CurrentUser
from ..charts_monitoring import RadarAxis, band_status, locaben_radar, peer_band
from ..deps import CurrentUserDep, StoreDep, TranslatorDep
from ..i18n import N_, Translator
from ..state import parse_purpose, render
from ..views.monitoring import FlagOut, IndicatorsOut, flag_out, indicators_out

router = APIRouter(include_in_schema=False)

# The indicator table's groups, in order (group "score" feeds the radar, not the table).
GROUPS = (
    ("locaben", N_("Local Benchmark")),
    ("monitoring", N_("Monitoring ratios")),
    ("trend", N_("Trends")),
)
# ローカルベンチマーク's six, in its own order, with short radar labels.
LOCABEN_AXES = (
    ("sales_growth", N_("Sales growth")),
    ("operating_margin", N_("Operating margin")),
    ("labour_productivity", N_("Productivity")),
    ("ebitda_debt_ratio", N_("Debt / EBITDA")),
    ("working_capital_turnover", N_("Working capital")),
    ("equity_ratio", N_("Equity ratio")),
)
# Under each band: the business's percentile among its peers, as a position (not a judgement).
PERCENTILE = N_("{pct}% of peers have a lower value")
# Why a state change was refused, by the code the redirect carries (?flag_error=).
FLAG_ERRORS = {
    "reason": N_("Please write why no action is needed."),
    "transition": N_("The flag's state has changed meanwhile; please look again."),
    "owner": N_("You can mark a point as seen; the institutions handle the rest."),
}


def flag_actions(flag: FlagOut, role: Role) -> list[str]:
    """The states this user may move this flag to from the page, in the states' order: a
    person's moves from its state (``FLAG_MOVES``), for the owner only ``OWNER_MAY_SET``;
    none once it is closed."""
    if not flag.is_open:
        return []
    allowed = person_moves(FlagState(flag.state))
    if role == Role.OWNER:
        allowed &= OWNER_MAY_SET
    return [s.value for s in FlagState if s in allowed]


def read_flags_section(
    s: Session, log: ReadLog, user: CurrentUser, business_id: int, purpose: Purpose
) -> list[FlagOut] | None:
    """The page's flags section (open and closed), None without a ``flags`` consent."""
    views = log.section(
        lambda: read_flags(s, user.actor, business_id, purpose, include_closed=True)
    )
    return None if views is None else [flag_out(v) for v in views]


def flags_context(flags: list[FlagOut] | None, user: CurrentUser) -> dict[str, Any]:
    return {
        "flags_open": [f for f in flags or [] if f.is_open],
        "flags_closed": [f for f in flags or [] if not f.is_open],
        "flags_shared": flags is not None,
        "flag_actions": lambda f: flag_actions(f, user.role),
    }


def percentile_text(pct: int | None, t: Translator) -> str | None:
    """「同業他社の 23% がこの値より小さい」, or None without a percentile."""
    return None if pct is None else t.gettext(PERCENTILE, pct=pct)


def indicator_rows(view: IndicatorsOut, t: Translator) -> list[dict[str, Any]]:
    """The table's groups: each indicator with its value, peer quartiles, band chart and the
    business's percentile among its peers."""
    out = []
    for group, title in GROUPS:
        rows = []
        for v in (x for x in view.values if x.group == group):
            label = t.pick({"ja": v.ja, "en": v.en})
            rows.append(
                {
                    "v": v,
                    "label": label,
                    "status": band_status(v.value, v.peer_p25, v.peer_p75, v.better),
                    "band": peer_band(
                        label,
                        v.value,
                        v.peer_p25,
                        v.peer_median,
                        v.peer_p75,
                        v.peer_n,
                        v.better,
                        v.unit,
                        t,
                    ),
                    "percentile": percentile_text(v.peer_percentile, t),
                }
            )
        if rows:
            out.append({"id": group, "title": t.gettext(title), "rows": rows})
    return out


def radar(view: IndicatorsOut, t: Translator) -> Any:
    scores = {v.id: v.score for v in view.values if v.group == "locaben"}
    axes = [RadarAxis(t.gettext(label), scores.get(code)) for code, label in LOCABEN_AXES]
    return locaben_radar(
        t.gettext("Local Benchmark scores"), axes, view.locaben_rating, view.locaben_total, t
    )


def read_indicators_section(
    s: Session,
    log: ReadLog,
    user: CurrentUser,
    data_dir: Path,
    business_id: int,
    purpose: Purpose,
) -> IndicatorsOut | None:
    """The page's indicators section, None without a ``financials`` consent."""
    view = log.section(lambda: read_indicators(s, user.actor, data_dir, business_id, purpose))
    return None if view is None else indicators_out(business_id, view)


def indicators_context(view: IndicatorsOut | None, t: Translator) -> dict[str, Any]:
    if view is None or view.as_of is None:
        return {"indicators": view, "indicator_groups": [], "radar": None}
    return {
        "indicators": view,
        "indicator_groups": indicator_rows(view, t),
        "radar": radar(view, t),
    }


def _flag_error(exc: Exception) -> str:
    if isinstance(exc, PermissionError):
        return "owner"
    return "reason" if isinstance(exc, ReasonRequired) else "transition"


@router.post("/businesses/{business_id}/flags/{flag_id}/state")
def change_flag_state(
    request: Request,
    business_id: int,
    flag_id: int,
    state: str = Form(..., max_length=32),
    reason: str = Form("", max_length=2000),
    purpose: str = Form("", max_length=32),
    *,
    user: CurrentUserDep,
    store: StoreDep,
    t: TranslatorDep,
) -> Response:
    """Move one flag (the page's small forms; HTMX swaps the flag, plain POST redirects)."""
    chosen = parse_purpose(purpose)
    # Only a person's moves (FLAG_MOVES): 解消 is the monitoring run's finding, never set by hand.
    target = next((s for s in PERSON_STATES if s.value == state), None)
    error = None
    if target is None:
        error = "transition"
    else:
        try:
            with store.session() as s:  # NotFound → the 404 page, audited
                flag = do_change_flag_state(
                    s, user.actor, flag_id=flag_id, state=target, purpose=chosen, reason=reason
                )
                if flag.business_id != business_id:
                    raise NotFound(f"flag {flag_id} not found")  # rolls the change back
        except (ValueError, PermissionError) as exc:
            error = _flag_error(exc)
    if request.headers.get("HX-Request"):
        return flag_fragment(request, store, t, user, business_id, flag_id, chosen, error)
    query = {"purpose": chosen.value} if purpose else {}
    if error:
        query["flag_error"] = error
        query["flag"] = str(flag_id)
    suffix = f"?{urlencode(query)}" if query else ""
    return RedirectResponse(f"/businesses/{business_id}{suffix}#flag-{flag_id}", status_code=303)


def flag_fragment(
    request: Request,
    store: StoreDep,
    t: Translator,
    user: CurrentUser,
    business_id: int,
    flag_id: int,
    purpose: Purpose,
    error: str | None,
) -> Response:
    with store.session() as s:
        views = read_flags(s, user.actor, business_id, purpose, include_closed=True)
    flag = next((flag_out(f) for f in views if f.id == flag_id), None)
    if flag is None:
        raise NotFound(f"flag {flag_id} not found")
    return render(
        request,
        "_flag.html",
        {
            "f": flag,
            "b_id": business_id,
            "purpose": purpose,
            "is_owner": user.role == Role.OWNER,
            "flag_actions": lambda f: flag_actions(f, user.role),
            "flag_error": t.gettext(FLAG_ERRORS[error]) if error else None,
            "flag_error_id": flag_id,
        },
    )


def flag_error_message(request: Request, t: Translator) -> tuple[int | None, str | None]:
    """The error a plain-POST redirect carried back (?flag_error=…&flag=…)."""
    code = request.query_params.get("flag_error")
    flag = request.query_params.get("flag", "")
    if code not in FLAG_ERRORS or not flag.isdigit():
        return None, None
    return int(flag), t.gettext(FLAG_ERRORS[code])
