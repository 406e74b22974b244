"""The words kizashi's rules are written in: who acts, on what data, for what, and a flag's state.

Pure Python (no SQLAlchemy): ``store.models`` maps these to columns, ``access`` decides with
them, ``engine`` and ``actions`` move flags through :data:`FLAG_MOVES`, the one table of a
flag's workflow (docs/monitoring.md "Flag states").
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class OrgKind(enum.StrEnum):
    BUSINESS = "business"  # 事業者
    SUPPORTER = "supporter"  # 支援者 (税理士・会計士・診断士)
    BANK = "bank"  # 地域金融機関
    GUARANTOR = "guarantor"  # 信用保証協会
    REVITALIZATION = "revitalization"  # 中小企業活性化協議会


class Role(enum.StrEnum):
    OWNER = "owner"  # 事業者の経営者・担当者: all of its own business's data
    OFFICER = "officer"  # 担当者 (monitoring / credit / support staff): consented data
    ADMIN = "admin"  # 管理者: manages the organisation's users; reads no business data
    AUDITOR = "auditor"  # 監査担当: reads the audit log; reads no business data


class TeamRole(enum.StrEnum):
    """An officer's place in a team (domain/teams.py): a manager is an officer (reads what
    officers read) who also assigns and reassigns the team's triage work."""

    MEMBER = "member"  # メンバー
    MANAGER = "manager"  # 管理職 (課長・支店長代理 …)


class Relation(enum.StrEnum):
    """How an organisation is linked to a business (not a consent: see ConsentGrant)."""

    LENDER = "lender"
    GUARANTOR = "guarantor"
    ADVISOR = "advisor"
    REGISTRAR = "registrar"  # registered the business (e.g. bulk import of borrowers)


class Category(enum.StrEnum):
    """Data categories a consent grant covers."""

    PROFILE = "profile"  # 基本情報
    FINANCIALS = "financials"  # 試算表・決算書
    BANK_TRANSACTIONS = "bank_transactions"  # 入出金明細
    INVOICES = "invoices"  # 請求書 (e-invoices, receivable and payable schedules)
    LOANS = "loans"  # 金融取引 (借入・保証・信用事象)
    FLAGS = "flags"  # 予兆フラグ・モニタリング結果
    QUALITATIVE = "qualitative"  # 定性情報


class Purpose(enum.StrEnum):
    MONITORING = "monitoring"  # 期中モニタリング
    SUPPORT = "support"  # 経営支援
    CREDIT_REVIEW = "credit_review"  # 与信・保証審査
    REFERRAL = "referral"  # 支援機関への持込・紹介


class CreditEventKind(enum.StrEnum):
    RESTRUCTURING = "restructuring"  # 条件変更
    DELINQUENCY = "delinquency"  # 延滞
    ACCIDENT_REPORT = "accident_report"  # 事故報告
    SUBROGATION = "subrogation"  # 代位弁済


class StatementKind(enum.StrEnum):
    MONTHLY_TB = "monthly_tb"  # 月次試算表 (cumulative from the fiscal-year start)
    ANNUAL = "annual"  # 決算書


class RunStatus(enum.StrEnum):
    RUNNING = "running"  # started; its results are not committed yet
    FINISHED = "finished"  # flags, summaries, this record and its audit event committed together
    FAILED = "failed"  # stopped by an error, or found dead at the next start (see ``error``)


# --------------------------------------------------------------------------- flag workflow


class FlagState(enum.StrEnum):
    NEW = "new"  # 新規
    ACKNOWLEDGED = "acknowledged"  # 確認済
    IN_PROGRESS = "in_progress"  # 対応中
    RESOLVED = "resolved"  # 解消 (the condition cleared)
    NOT_NEEDED = "not_needed"  # 対応不要 (with a reason)


OPEN_STATES = frozenset({FlagState.NEW, FlagState.ACKNOWLEDGED, FlagState.IN_PROGRESS})


class FlagEvent(enum.StrEnum):
    """What moves a flag: the monitoring run's finding about its episode, or a person."""

    OPEN = "open"  # run: the episode is open in the run's month (opens, continues, reopens)
    CLOSED = "closed"  # run: the condition cleared, the episode closed
    GONE = "gone"  # run: a corrected history no longer has the episode
    PERSON = "person"  # a person changes the state (the business only to 確認済)


RUN_EVENTS = (FlagEvent.OPEN, FlagEvent.CLOSED, FlagEvent.GONE)


@dataclass(frozen=True)
class FlagMove:
    before: FlagState | None  # None: no flag yet (the run found a new episode)
    event: FlagEvent
    after: FlagState


def _moves() -> tuple[FlagMove, ...]:
    S, E = FlagState, FlagEvent
    run = [
        FlagMove(None, E.OPEN, S.NEW),
        FlagMove(None, E.CLOSED, S.RESOLVED),  # opened and closed before this run first saw it
        # an open episode keeps the state a person gave it; a 解消 flag reopens as 新規
        FlagMove(S.NEW, E.OPEN, S.NEW),
        FlagMove(S.ACKNOWLEDGED, E.OPEN, S.ACKNOWLEDGED),
        FlagMove(S.IN_PROGRESS, E.OPEN, S.IN_PROGRESS),
        FlagMove(S.RESOLVED, E.OPEN, S.NEW),
        FlagMove(S.NOT_NEEDED, E.OPEN, S.NOT_NEEDED),
    ]
    # a cleared or vanished episode is 解消, unless a person said 対応不要 (it keeps its reason)
    for event in (E.CLOSED, E.GONE):
        for s in S:
            run.append(FlagMove(s, event, S.NOT_NEEDED if s == S.NOT_NEEDED else S.RESOLVED))
    person = [
        FlagMove(S.NEW, E.PERSON, S.ACKNOWLEDGED),
        FlagMove(S.NEW, E.PERSON, S.IN_PROGRESS),
        FlagMove(S.NEW, E.PERSON, S.NOT_NEEDED),
        FlagMove(S.ACKNOWLEDGED, E.PERSON, S.IN_PROGRESS),
        FlagMove(S.ACKNOWLEDGED, E.PERSON, S.NOT_NEEDED),
        FlagMove(S.IN_PROGRESS, E.PERSON, S.ACKNOWLEDGED),  # a step back: work paused
        FlagMove(S.IN_PROGRESS, E.PERSON, S.NOT_NEEDED),
        FlagMove(S.NOT_NEEDED, E.PERSON, S.ACKNOWLEDGED),  # a dismissal undone
        # no person sets 解消: it is the run's finding that the condition cleared
    ]
    return tuple(run + person)


FLAG_MOVES: tuple[FlagMove, ...] = _moves()
# States the business itself may set (staff handle the rest).
OWNER_MAY_SET = frozenset({FlagState.ACKNOWLEDGED})
# States a person sets only with a reason, kept with the flag (対応不要: why no action).
REASON_REQUIRED = frozenset({FlagState.NOT_NEEDED})
# Every state a person may set (the targets of the person's moves), in the states' order.
PERSON_STATES: tuple[FlagState, ...] = tuple(
    s for s in FlagState if any(m.after == s and m.event == FlagEvent.PERSON for m in FLAG_MOVES)
)


def run_move(before: FlagState | None, event: FlagEvent) -> FlagState:
    """The state a flag in ``before`` gets from the run's ``event`` (exactly one in the table)."""
    found = [m.after for m in FLAG_MOVES if m.before == before and m.event == event]
    if event == FlagEvent.PERSON or len(found) != 1:
        raise ValueError(f"no single run move from {before} on {event}: {found}")
    return found[0]


def person_moves(before: FlagState) -> frozenset[FlagState]:
    """The states a person may move a flag in ``before`` to."""
    return frozenset(m.after for m in FLAG_MOVES if m.before == before and m.event == "person")
