"""The words of a support case (支援案件): support types, stages, cadences, outcomes, dialogue
channels, the non-financial ロカベン items, and when the next contact falls due.

Pure: no database. ``store.support_models`` keeps these as their string values; the actions
check every value against these enums before anything is written.
"""

from __future__ import annotations

import calendar
import enum
from datetime import date


class SupportType(enum.StrEnum):
    """What kind of help the case gives; it can change over the case's life (history kept)."""

    CORE_BUSINESS = "core_business"  # 本業支援
    IMPROVEMENT = "improvement"  # 経営改善
    TURNAROUND = "turnaround"  # 事業再生
    RESTART = "restart"  # 再チャレンジ (廃業・再起)


class CaseStage(enum.StrEnum):
    """Where the case stands."""

    INTAKE = "intake"  # 初期対応
    DIAGNOSIS = "diagnosis"  # 現状把握
    PLANNING = "planning"  # 計画策定
    FOLLOW_UP = "follow_up"  # 実行支援・モニタリング


class Cadence(enum.StrEnum):
    """How often the officer contacts the business: sets the next contact after each dialogue."""

    NONE = "none"  # 定めなし
    MONTHLY = "monthly"  # 毎月
    QUARTERLY = "quarterly"  # 四半期ごと


class CaseStatus(enum.StrEnum):
    OPEN = "open"  # 対応中
    CLOSED = "closed"  # 終了


class Outcome(enum.StrEnum):
    """How a case ended."""

    IMPROVED = "improved"  # 改善
    PLAN_AGREED = "plan_agreed"  # 計画合意
    REFERRED = "referred"  # 他機関へ紹介
    RESTRUCTURED = "restructured"  # 条件変更・再生
    CLOSED_BUSINESS = "closed_business"  # 廃業
    NO_LONGER_NEEDED = "no_longer_needed"  # 支援不要


class Channel(enum.StrEnum):
    """Where or how a dialogue took place."""

    VISIT = "visit"  # 訪問
    OFFICE = "office"  # 来店・来所
    PHONE = "phone"  # 電話
    ONLINE = "online"  # オンライン
    OTHER = "other"  # その他


class ActionParty(enum.StrEnum):
    """Who does an agreed action."""

    OWNER = "owner"  # 事業者
    OFFICER = "officer"  # 当組織
    ACCOUNTANT = "accountant"  # 税理士等
    OTHER = "other"  # その他


class NonFinancialItem(enum.StrEnum):
    """The four non-financial items of ロカベン (ローカルベンチマーク)."""

    MANAGER = "manager"  # 経営者
    BUSINESS = "business"  # 事業
    ENVIRONMENT = "environment"  # 企業を取り巻く環境・関係者
    INTERNAL = "internal"  # 内部管理体制


CADENCE_MONTHS = {Cadence.NONE: 0, Cadence.MONTHLY: 1, Cadence.QUARTERLY: 3}


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, the month's last day where it has fewer days."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def next_contact(cadence: Cadence, after: date) -> date | None:
    """The next contact a cadence asks for after a dialogue on ``after`` (None: no cadence)."""
    months = CADENCE_MONTHS[cadence]
    return add_months(after, months) if months else None
