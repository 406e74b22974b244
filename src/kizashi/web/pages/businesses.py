"""Server-rendered pages (Jinja2 + HTMX): home, portfolio list, business page.

Every figure on a page comes from ``kizashi.access.reads``, shaped by the same view models as
the API's (``web.views``: the page's profile, list rows, monthly figures and loans are the
objects ``/api/v1`` returns as JSON). The business page reads all its
sections in one unit of work and is audited as one event naming the sections read
(``access.read_log``); a section the actor may not see (no consent for that category) is
refused and audited on its own while the rest of the page still renders.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import lru_cache
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from kizashi.access.read_log import audited_reads
from kizashi.access.reads import (
    SORTS,
    list_portfolio,
    may_upload,
    read_business_profile,
    read_loans,
    read_monthly_series,
)
from kizashi.access.risk_admin import default_pct
from kizashi.domain.credit_events import credit_episodes
from kizashi.domain.industry import major_groups, prefectures
from kizashi.domain.periods import add_months, months_between
from kizashi.domain.vocabulary import FlagState, Purpose, Role
from kizashi.store.db import Store
from kizashi.store.errors import NotFound

from ..charts import Series, bar_chart, line_chart
from ..deps import CurrentUserDep, PagePurpose, SettingsDep, StoreDep, TranslatorDep
from ..i18n import Translator
from ..state import render
from ..views.businesses import (
    MonthlyFigures,
    business_detail,
    business_list,
    loan_list,
    monthly_figures,
)
from .cash import cash_section
from .consent import business_consent_section
from .model import risk_section
from .monitoring import (
    flag_error_message,
    flags_context,
    indicators_context,
    read_flags_section,
    read_indicators_section,
)

router = APIRouter(include_in_schema=False)
T = TypeVar("T")
CHART_MONTHS = 36


@router.get("/")
def home(user: CurrentUserDep, store: StoreDep) -> Response:
    """An owner's home is their own business page (the owner portal); staff see the portfolio;
    an administrator their organisation's users, an auditor the audit log (no business data)."""
    if user.role == Role.ADMIN:
        return RedirectResponse("/admin/users", status_code=303)
    if user.role == Role.AUDITOR:
        return RedirectResponse("/audit", status_code=303)
    if user.role == Role.OWNER:
        with store.session() as s:
            own = list_portfolio(s, user.actor, page_size=1)
        if own.rows:
            return RedirectResponse(f"/businesses/{own.rows[0].id}", status_code=303)
    return RedirectResponse("/portfolio", status_code=303)


@router.get("/portfolio")
def portfolio(
    request: Request,
    user: CurrentUserDep,
    store: StoreDep,
    settings: SettingsDep,
    chosen: PagePurpose,
    q: str | None = Query(None, max_length=200),
    industry: str | None = Query(None, max_length=1),
    pref: str | None = Query(None, max_length=2),
    sort: str | None = Query(None, max_length=20),
    page: int = Query(1, ge=1, le=1_000_000),
    state: str | None = Query(None, max_length=20),
    mine: str | None = Query(None, max_length=1),
    new: str | None = Query(None, max_length=1),
) -> Response:
    # Staff see who to talk to first; an owner's list is their own business(es), by name.
    default_sort = "name" if user.role == Role.OWNER else "priority"
    # your organisation's queue: a flag state (its own), flags given to you, new since the run
    flag_state = next((x for x in FlagState if x.value == state), None)
    with store.session() as s:
        result = list_portfolio(
            s,
            user.actor,
            purpose=chosen.purpose,
            q=q,
            industry_major=industry or None,
            prefecture=pref or None,
            sort=sort or default_sort,
            page=page,
            page_size=settings.page_size,
            flag_state=flag_state,
            assignee_user_id=user.actor.user_id if mine == "1" else None,
            new_since_last_run=new == "1",
        )
    filters = {
        "q": q or "",
        "industry": industry or "",
        "pref": pref or "",
        "state": flag_state.value if flag_state else "",
        "mine": "1" if mine == "1" else "",
        "new": "1" if new == "1" else "",
        "purpose": chosen.purpose.value if chosen.given else "",
    }

    def link(**change: Any) -> str:
        params = {**filters, "sort": result.sort, "page": result.page, **change}
        return "/portfolio?" + urlencode({k: v for k, v in params.items() if v not in ("", None)})

    rows = business_list(result).items  # the API's list items
    ctx = {
        "result": result,
        "rows": rows,
        "filters": filters,
        "purpose": chosen.purpose,
        "purposes": list(Purpose),
        "flag_states": list(FlagState),
        "majors": list(major_groups().values()),
        "prefs": list(prefectures().values()),
        "link": link,
        "sorts": SORTS,
        "sees_data": user.role in (Role.OWNER, Role.OFFICER),
        "shows_monitoring": any(r.monitoring is not None for r in rows),
    }
    name = "_portfolio_results.html" if request.headers.get("HX-Request") else "portfolio.html"
    return render(request, name, ctx)


def _section(store: Store, read: Callable[[Session], T]) -> T | None:
    """One section of a page in its own unit of work: None when the actor may not see it
    (the upload page's history; the business page reads its sections through one read log)."""
    try:
        with store.session() as s:
            return read(s)
    except NotFound:
        return None  # the denial is audited by Store.session


def month_axis(points: list[MonthlyFigures], months: int = CHART_MONTHS) -> list[date]:
    """Every month from the window's start to the last reported month (gaps stay visible)."""
    if not points:
        return []
    last = points[-1].month
    first = max(points[0].month, add_months(last, -(months - 1)))
    return [add_months(first, i) for i in range(months_between(first, last) + 1)]


CHART_CODES = ("sales", "operating_profit", "cash_and_deposits", "borrowings")


def build_charts(points: list[MonthlyFigures], t: Translator) -> list[dict[str, Any]]:
    """The page's four charts, drawn from the monthly figures the table and the API show.
    The SVG is a function of the figures drawn and the language only, so it is remembered by
    exactly those (the months and every value): a page seen again with the same figures reuses
    it; new figures are a new key, never a stale chart."""
    axis = month_axis(points)
    by_month = {p.month: p for p in points}
    series = tuple(
        tuple(getattr(by_month.get(m), code, None) for m in axis) for code in CHART_CODES
    )
    return _draw_charts(t, tuple(axis), series)


@lru_cache(maxsize=2048)
def _draw_charts(
    t: Translator, months: tuple[date, ...], series: tuple[tuple[int | None, ...], ...]
) -> list[dict[str, Any]]:
    axis = list(months)
    by_code = dict(zip(CHART_CODES, series, strict=True))

    def values(code: str) -> list[int | None]:
        return list(by_code[code])

    _ = t.gettext
    return [
        {
            "id": "sales",
            "title": _("Net sales (monthly)"),
            "svg": bar_chart(
                _("Net sales (monthly)"), axis, values("sales"), t, css_class="bar sales"
            ),
        },
        {
            "id": "operating_profit",
            "title": _("Operating profit (monthly)"),
            "svg": bar_chart(
                _("Operating profit (monthly)"),
                axis,
                values("operating_profit"),
                t,
                css_class="bar profit",
            ),
        },
        {
            "id": "cash",
            "title": _("Cash and deposits (month end)"),
            "svg": line_chart(
                _("Cash and deposits (month end)"),
                axis,
                [Series(_("Cash and deposits"), values("cash_and_deposits"), "#2b7a8c")],
                t,
            ),
        },
        {
            "id": "borrowings",
            "title": _("Borrowings (month end)"),
            "svg": line_chart(
                _("Borrowings (month end)"),
                axis,
                [Series(_("Borrowings"), values("borrowings"), "#9a6b2f")],
                t,
            ),
        },
    ]


@router.get("/businesses/{business_id}")
def business_page(
    request: Request,
    business_id: int,
    user: CurrentUserDep,
    store: StoreDep,
    settings: SettingsDep,
    t: TranslatorDep,
    chosen: PagePurpose,
) -> Response:
    purpose = chosen.purpose
    actor = user.actor
    # Read-only unit of work, then one audit event naming the sections read (a refused
    # section: its own event); rendered only after the events are committed.
    with audited_reads(store, actor, business_id, purpose) as log:
        s = log.session
        profile = read_business_profile(s, actor, business_id, purpose=purpose)  # NotFound → 404
        can_upload = may_upload(s, actor, business_id)
        points = log.section(
            lambda: read_monthly_series(s, actor, business_id, months=CHART_MONTHS, purpose=purpose)
        )
        loans = log.section(lambda: read_loans(s, actor, business_id, purpose=purpose))
        flags = read_flags_section(s, log, user, business_id, purpose)
        indicators = read_indicators_section(s, log, user, settings.data_dir, business_id, purpose)
        consent = business_consent_section(request, s, user, business_id, purpose)
        risk = risk_section(
            s,
            log,
            user,
            settings.data_dir,
            business_id,
            purpose,
            default_pct(settings.risk_weight),
        )
        cash = cash_section(s, log, actor, business_id, purpose, t)
    # The API's view models (GET /api/v1/businesses/{id}, …/monthly, …/loans).
    figures = monthly_figures(points) if points is not None else None
    book = loan_list(business_id, loans) if loans is not None else None
    events: list = []
    if book is not None:
        events = [(ln.loan_number, e) for ln in book.loans for e in ln.events]
        events += [("—", e) for e in book.other_events]
        events = credit_episodes(events)  # one row per 延滞, not per 30-day report
    error_flag, error_text = flag_error_message(request, t)
    ctx = {
        "b": business_detail(profile),
        "purpose": purpose,
        "points": figures,
        "recent": list(reversed(figures[-13:])) if figures else [],
        "charts": build_charts(figures, t) if figures else [],
        "loans": book,
        "events": events,
        "is_owner": user.role == Role.OWNER,
        "can_upload": can_upload,
        "flag_error_id": error_flag,
        "flag_error": error_text,
        **flags_context(flags, user),
        **indicators_context(indicators, t),
        **consent,
        **risk,
        **cash,
    }
    return render(request, "business.html", ctx)
