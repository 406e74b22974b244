"""The demo's reports: the first tax accountant (zeirishi1) has sent its quarterly monitoring
report (税理士によるモニタリング報告書) on a client to a bank the client consented to — the bank
finds it on the business page and its reports page, the next quarter's draft waits at the
accountant's —, and the first owner (owner1) has a progress report (計画の進捗報告) to its bank
due within the week, among its reports due.

Run once by ``build_demo``, through ``actions.reports`` as the accountant and the owner (each
write audited); every figure is read through ``access`` under the business's consent.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from kizashi.access import Actor, accessible_business_ids
from kizashi.access.plans import list_plans
from kizashi.access.reads import read_monthly_series
from kizashi.access.reports import recipient_choices
from kizashi.actions.reports import do_create_report, do_send_report
from kizashi.domain.reports import ReportCadence, ReportKind
from kizashi.domain.vocabulary import Category, OrgKind, Purpose
from kizashi.store.db import Store
from kizashi.store.models import Organisation, User

from .demo_world import SUPPORTERS

CANDIDATES = 40  # businesses looked at for the accountant's report


def _actor(store: Store, login: str) -> Actor | None:
    with store.session() as s:
        u = s.execute(select(User).where(User.login == login)).scalar_one_or_none()
        return Actor.from_user(u) if u is not None else None


def _banks(store: Store, actor: Actor, bid: int, purpose: Purpose) -> list[int]:
    """The banks and the 保証協会 holding the business's financials consent."""
    with store.session() as s:
        ids = [i for i, _ in recipient_choices(s, actor, bid, purpose)]
        if not ids:
            return []
        kinds = {
            int(i): k
            for i, k in s.execute(
                select(Organisation.id, Organisation.kind).where(Organisation.id.in_(ids))
            ).all()
        }
    return [i for i in ids if kinds.get(i) in (OrgKind.BANK, OrgKind.GUARANTOR)]


def _last_month(store: Store, actor: Actor, bid: int, purpose: Purpose) -> date | None:
    with store.session() as s:
        series = read_monthly_series(s, actor, bid, months=3, purpose=purpose)
    known = [p.month for p in series if p.values.get("sales") is not None]
    return known[-1] if len(known) == 3 else None


def _accountant_report(store: Store) -> int:
    actor = _actor(store, SUPPORTERS[0].users[0][0])
    if actor is None:
        return 0
    for purpose in (Purpose.SUPPORT, Purpose.MONITORING):
        with store.session() as s:
            ids = [
                int(b)
                for b in s.execute(
                    accessible_business_ids(actor, Category.FINANCIALS, purpose).limit(CANDIDATES)
                ).scalars()
            ]
        for bid in ids:
            banks = _banks(store, actor, bid, purpose)
            last = _last_month(store, actor, bid, purpose) if banks else None
            if last is None:
                continue
            with store.session() as s:
                report = do_create_report(
                    s,
                    actor,
                    bid,
                    kind=ReportKind.MONITORING,
                    period_to=last,
                    purpose=purpose,
                    cadence=ReportCadence.QUARTERLY,
                    recipients=banks[:1],
                    comment=(
                        "売上は前年同期を下回っていますが、粗利率は維持しています。"
                        "月次の試算表は期限内に提出されています。次回は在庫の回転を確認します。"
                    ),
                )
                do_send_report(s, actor, report.id, purpose=purpose)
            return 1
    return 0


def _owner_report(store: Store) -> int:
    actor = _actor(store, "owner1")
    if actor is None:
        return 0
    purpose = Purpose.MONITORING
    with store.session() as s:
        own = [
            int(b)
            for b in s.execute(
                accessible_business_ids(actor, Category.FINANCIALS, purpose)
            ).scalars()
        ]
    for bid in own:
        banks = _banks(store, actor, bid, purpose)
        last = _last_month(store, actor, bid, purpose)
        if last is None:
            continue
        with store.session() as s:
            plans = [p for p in list_plans(s, actor, bid, purpose) if p.latest]
            do_create_report(
                s,
                actor,
                bid,
                kind=ReportKind.PROGRESS,
                period_to=last,
                purpose=purpose,
                cadence=ReportCadence.QUARTERLY,
                plan_id=plans[0].id if plans else None,
                recipients=banks[:1],
                due=date.today() + timedelta(days=7),
            )
        return 1
    return 0


def add_reports(store: Store) -> int:
    """Add the demo's reports (see the module's doc); returns how many were written."""
    return _accountant_report(store) + _owner_report(store)
