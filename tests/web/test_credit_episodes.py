"""Credit events on the business page: one row per episode, not one per 30-day report."""

from __future__ import annotations

import re
from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from kizashi.access import Actor
from kizashi.actions.loans import do_record_credit_event
from kizashi.domain.credit_events import credit_episodes
from kizashi.domain.vocabulary import CreditEventKind
from kizashi.store.db import Store
from kizashi.store.models import CreditEvent, Loan

from .conftest import WebWorld, login

SYSTEM = Actor.system()


def test_a_90_day_arrears_is_one_row(client: TestClient, store: Store, web_world: WebWorld) -> None:
    first_miss = date.today() - timedelta(days=200)
    with store.session() as s:
        loan = s.execute(select(Loan).where(Loan.loan_number == "A-1")).scalar_one()
        for k in (1, 2, 3):  # reported at 30, 60 and 90 days past the missed due date
            do_record_credit_event(
                s,
                SYSTEM,
                loan=loan,
                kind=CreditEventKind.DELINQUENCY,
                occurred_on=first_miss + timedelta(days=30 * k),
                days_past_due=30 * k,
                note=f"報告{k}",
            )
        stored = s.execute(
            select(CreditEvent).where(CreditEvent.business_id == web_world.business_id)
        ).scalars()
        n_records = len(list(stored))
    login(client, "cgc_officer")
    page = client.get(f"/businesses/{web_world.business_id}").text
    rows = re.findall(r'<tr class="credit-episode">(.*?)</tr>', page, re.S)
    # the world's own 延滞 (31 days) and 条件変更, plus the three reports as ONE episode
    assert n_records == 5 and len(rows) == 3, rows
    (episode,) = [r for r in rows if "報告3" in r]
    assert "報告1" not in page and "報告2" not in page  # the latest note, once
    cells = re.findall(r"<td[^>]*>(.*?)</td>", episode, re.S)
    assert ">90<" in episode or cells[4].strip() == "90"
    from kizashi.web.i18n import format_date

    assert cells[0].strip() == format_date(first_miss)  # started: the first missed due date
    assert cells[1].strip() == format_date(first_miss + timedelta(days=90))  # latest report


def test_episodes_keep_separate_arrears_apart() -> None:
    class E:
        def __init__(self, i: int, on: date, dpd: int | None, kind: str = "delinquency") -> None:
            self.id, self.occurred_on, self.days_past_due, self.kind, self.note = (
                i,
                on,
                dpd,
                kind,
                None,
            )

    d = date(2026, 1, 1)
    events = [
        ("L1", E(1, d + timedelta(days=30), 30)),
        ("L1", E(2, d + timedelta(days=60), 60)),
        ("L1", E(3, date(2026, 6, 30), 30)),  # cured, then a new arrears
        ("L2", E(4, d + timedelta(days=30), 30)),  # another loan, same dates
        ("L1", E(5, date(2026, 3, 1), None, "restructuring")),
    ]
    eps = credit_episodes(events)  # type: ignore[arg-type]
    assert [(e.loan_number, e.kind, e.days_past_due, e.reports) for e in eps] == [
        ("L2", "delinquency", 30, 1),
        ("L1", "delinquency", 60, 2),
        ("L1", "restructuring", None, 1),
        ("L1", "delinquency", 30, 1),
    ]
    assert eps[1].started_on == d and eps[1].latest_on == d + timedelta(days=60)
