"""Downloads of the lists the pages show, with the page's filters applied: the portfolio
(``GET /portfolio/export.csv|.xlsx``, the same query as ``/portfolio``, every page of it) and a
business's flags (``GET /businesses/{id}/flags/export.csv|.xlsx``, as
``GET /api/v1/businesses/{id}/flags``). Headers in the page's language; every download is the
same audited read as the list it copies (``access.reads.list_portfolio``,
``access.monitoring.read_flags``). The triage queue's downloads live with it (pages/triage.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from kizashi.access.monitoring import read_flags
from kizashi.access.reads import MAX_PAGE_SIZE, list_portfolio
from kizashi.domain.triage import SEVERITY_JA
from kizashi.domain.vocabulary import FlagState, Role

from ..deps import CurrentUserDep, PagePurpose, StoreDep, TranslatorDep
from ..tabular import CSV_TYPE, XLSX_TYPE, to_csv, to_xlsx
from ..views.businesses import business_list

router = APIRouter(include_in_schema=False)
MAX_ROWS = 100_000

PORTFOLIO_HEADERS = {
    "ja": ["事業者ID", "事業者名", "法人番号", "業種", "都道府県", "決算月", "従業員数",
           "優先度", "未対応フラグ", "重大", "高", "中", "低", "前回以降の新規", "ロカベン評価"],
    "en": ["Business id", "Business", "Corporate number", "Industry", "Prefecture",
           "Fiscal year end", "Employees", "Priority", "Open flags", "Critical", "High",
           "Medium", "Low", "New since last run", "LocalBenchmark rating"],
}  # fmt: skip
FLAG_HEADERS = {
    "ja": ["フラグID", "内容", "重大度", "分類", "状態", "発生月", "解消月", "最新月", "説明"],
    "en": ["Flag id", "Title", "Severity", "Category", "State", "Opened", "Closed", "Latest",
           "Explanation"],
}  # fmt: skip


def _lang(t: TranslatorDep) -> str:
    return "ja" if t.locale == "ja" else "en"


def _download(fmt: str, name: str, headers: list[str], rows: list[list[Any]]) -> Response:
    body = to_csv(headers, rows) if fmt == "csv" else to_xlsx(name, headers, rows)
    return Response(
        body,
        media_type=CSV_TYPE if fmt == "csv" else XLSX_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )


def portfolio_rows(items: list[Any], lang: str) -> list[list[Any]]:
    out = []
    for b in items:
        m = b.monitoring
        out.append(
            [
                b.id,
                b.name,
                b.corporate_number or "",
                getattr(b.industry, lang),
                getattr(b.prefecture, lang),
                b.fiscal_year_end_month,
                b.employees,
                round(m.priority, 2) if m else None,
                m.open_flags if m else None,
                m.open_critical if m else None,
                m.open_high if m else None,
                m.open_medium if m else None,
                m.open_low if m else None,
                m.new_since_last_run if m else None,
                (m.locaben_rating or "") if m else "",
            ]
        )
    return out


def _portfolio(
    fmt: str,
    user: CurrentUserDep,
    store: StoreDep,
    t: TranslatorDep,
    chosen: PagePurpose,
    q: str | None,
    industry: str | None,
    pref: str | None,
    sort: str | None,
    state: str | None,
    mine: str | None,
    new: str | None,
) -> Response:
    default_sort = "name" if user.role == Role.OWNER else "priority"
    flag_state = next((x for x in FlagState if x.value == state), None)
    items: list[Any] = []
    page = 1
    with store.session() as s:
        while True:
            result = list_portfolio(
                s,
                user.actor,
                purpose=chosen.purpose,
                q=q,
                industry_major=industry or None,
                prefecture=pref or None,
                sort=sort or default_sort,
                page=page,
                page_size=MAX_PAGE_SIZE,
                flag_state=flag_state,
                assignee_user_id=user.actor.user_id if mine == "1" else None,
                new_since_last_run=new == "1",
            )
            items += business_list(result).items
            if page >= result.pages or len(items) >= MAX_ROWS:
                break
            page += 1
    lang = _lang(t)
    return _download(fmt, "portfolio", PORTFOLIO_HEADERS[lang], portfolio_rows(items, lang))


def _flags(
    fmt: str,
    business_id: int,
    user: CurrentUserDep,
    store: StoreDep,
    t: TranslatorDep,
    chosen: PagePurpose,
    include_closed: bool,
) -> Response:
    lang = _lang(t)
    with store.session() as s:  # NotFound → the 404 page, audited
        views = read_flags(
            s, user.actor, business_id, chosen.purpose, include_closed=include_closed
        )
    rows = [
        [
            v.id,
            v.title.get(lang, ""),
            SEVERITY_JA.get(v.severity, v.severity) if lang == "ja" else v.severity,
            v.category,
            t.enum_label(FlagState(v.state)),
            v.opened_month.isoformat(),
            v.closed_month.isoformat() if v.closed_month else "",
            v.last_seen_month.isoformat(),
            v.explanation.get(lang, ""),
        ]
        for v in views
    ]
    return _download(fmt, f"flags-{business_id}", FLAG_HEADERS[lang], rows)


def _portfolio_route(fmt: str) -> Any:
    def route(
        user: CurrentUserDep,
        store: StoreDep,
        t: TranslatorDep,
        chosen: PagePurpose,
        q: str | None = Query(None, max_length=200),
        industry: str | None = Query(None, max_length=1),
        pref: str | None = Query(None, max_length=2),
        sort: str | None = Query(None, max_length=20),
        state: str | None = Query(None, max_length=20),
        mine: str | None = Query(None, max_length=1),
        new: str | None = Query(None, max_length=1),
    ) -> Response:
        return _portfolio(fmt, user, store, t, chosen, q, industry, pref, sort, state, mine, new)

    return route


def _flags_route(fmt: str) -> Any:
    def route(
        business_id: int,
        user: CurrentUserDep,
        store: StoreDep,
        t: TranslatorDep,
        chosen: PagePurpose,
        include_closed: bool = Query(False),
    ) -> Response:
        return _flags(fmt, business_id, user, store, t, chosen, include_closed)

    return route


for _fmt in ("csv", "xlsx"):
    router.add_api_route(f"/portfolio/export.{_fmt}", _portfolio_route(_fmt), methods=["GET"])
    router.add_api_route(
        f"/businesses/{{business_id}}/flags/export.{_fmt}", _flags_route(_fmt), methods=["GET"]
    )
