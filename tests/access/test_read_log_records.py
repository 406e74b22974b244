"""A page's one audit event: every category fits the column; a list longer than the column
(should categories outgrow it) is split, not cut."""

from __future__ import annotations

import pytest

from kizashi.access import Actor, read_log
from kizashi.access.read_log import CATEGORY_CHARS, ReadLog
from kizashi.domain.vocabulary import Category, OrgKind, Purpose, Role
from kizashi.store.audit import AuditRecord

ACTOR = Actor(1, 2, OrgKind.BANK, Role.OFFICER, "a")


def _log(categories: list[str]) -> ReadLog:
    log = ReadLog(ACTOR, 7, Purpose.MONITORING, "read_business_page")
    for c in categories:
        log.allowed(
            AuditRecord(
                action="read",
                decision="allow",
                business_id=7,
                category=c or None,
                detail={"reason": "r"},
            )
        )
    return log


def test_a_short_list_is_one_event() -> None:
    records = _log(["profile", "financials", "loans"]).records()
    assert [r.category for r in records] == ["profile,financials,loans"]
    assert len(records[0].detail["sections"]) == 3


def test_every_category_at_once_is_one_event() -> None:
    every = [c.value for c in Category]
    assert len(",".join(every)) <= CATEGORY_CHARS
    records = _log(["", *every]).records()
    assert [r.category for r in records] == [",".join(every)]


def test_a_list_longer_than_the_column_is_split_and_nothing_lost(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    every = [c.value for c in Category]
    monkeypatch.setattr(read_log, "CATEGORY_CHARS", 32)
    records = _log(["", *every]).records()
    assert len(",".join(every)) > read_log.CATEGORY_CHARS  # the case this is about
    assert len(records) > 1
    assert all(r.category and len(r.category) <= read_log.CATEGORY_CHARS for r in records)
    assert [c for r in records for c in (r.category or "").split(",")] == every
    sections = [s for r in records for s in r.detail["sections"]]
    assert sorted(s["category"] for s in sections) == sorted(["", *every])
