"""Credit events as people talk about them: one 延滞 is one episode, however often reported.

A lender reports a 延滞 at 30, 60, 90 … days past the first missed due date while it lasts, so
a 90-day arrears arrives as three records. They share one first missed due date
(``occurred_on − days_past_due``): that date, with the loan, identifies the episode. Other
kinds (条件変更, 事故報告, 代位弁済) are one episode per record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol


class EventRecord(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def kind(self) -> object: ...
    @property
    def occurred_on(self) -> date: ...
    @property
    def days_past_due(self) -> int | None: ...
    @property
    def note(self) -> str | None: ...


@dataclass(frozen=True)
class CreditEpisode:
    loan_number: str
    kind: object  # the stored event kind (an enum; its label is the page's)
    started_on: date  # a 延滞: the first missed due date; otherwise the event's date
    latest_on: date  # the latest report
    days_past_due: int | None  # the most reported (a 延滞), else None
    reports: int
    note: str | None  # the latest note given


def _is_delinquency(kind: object) -> bool:
    return str(getattr(kind, "value", kind)) == "delinquency"


def credit_episodes(events: list[tuple[str, EventRecord]]) -> list[CreditEpisode]:
    """(loan number, event) pairs → episodes, oldest start first."""
    groups: dict[tuple[str, date | None, int | None], list[EventRecord]] = {}
    for number, e in sorted(events, key=lambda p: (p[1].occurred_on, p[1].id)):
        if _is_delinquency(e.kind) and e.days_past_due:
            first_miss = e.occurred_on - timedelta(days=e.days_past_due)
            key: tuple[str, date | None, int | None] = (number, first_miss, None)
        else:
            key = (number, None, e.id)
        groups.setdefault(key, []).append(e)
    out = []
    for (number, start, _id), recs in groups.items():
        dpd = [e.days_past_due for e in recs if e.days_past_due is not None]
        notes = [e.note for e in recs if e.note]
        out.append(
            CreditEpisode(
                loan_number=str(number),
                kind=recs[0].kind,
                started_on=start or recs[0].occurred_on,
                latest_on=recs[-1].occurred_on,
                days_past_due=max(dpd) if dpd else None,
                reports=len(recs),
                note=notes[-1] if notes else None,
            )
        )
    return sorted(out, key=lambda x: (x.started_on, x.latest_on))
