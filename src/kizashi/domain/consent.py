"""The words of consent: where a grant came from, a request's life, a grant's standing.

Pure Python. ``store.models`` maps these to columns; ``actions.consent`` moves requests;
``access.consent`` shows grants and requests; the pages and the CLI word them.

A grant is active from ``valid_from`` to ``valid_to`` inclusive (no end: open-ended) until it
is revoked; a grant that ends within :data:`EXPIRY_WARNING_DAYS` shows as ending soon on both
sides. A request is pending until the business answers, the requester withdraws it, or its
``expires_on`` passes (then it reads as expired: nothing has to run for that).
"""

from __future__ import annotations

import enum
from datetime import date, timedelta

from .vocabulary import OrgKind, Purpose

EXPIRY_WARNING_DAYS = 30


class GrantSource(enum.StrEnum):
    """How a consent grant came about."""

    OWNER = "owner"  # the business granted it itself (portal, CLI, API)
    REQUEST = "request"  # the business approved (part of) an organisation's request
    APPLICATION = "application"  # 包括同意: given on a loan or guarantee application, recorded
    # by the institution with the document's reference; the business sees and can revoke it


class RequestStatus(enum.StrEnum):
    PENDING = "pending"  # 回答待ち
    APPROVED = "approved"  # 承認 (every category asked for)
    PARTLY_APPROVED = "partly_approved"  # 一部承認
    DECLINED = "declined"  # 辞退 (with an optional reason)
    WITHDRAWN = "withdrawn"  # 取り下げ (by the requester)
    EXPIRED = "expired"  # 期限切れ (never stored: a pending request past its expires_on)


class GrantStanding(enum.StrEnum):
    """Where a grant stands on a given day (derived, never stored)."""

    ACTIVE = "active"  # 有効
    ENDING_SOON = "ending_soon"  # 有効 (まもなく終了: within EXPIRY_WARNING_DAYS)
    NOT_YET = "not_yet"  # 開始前
    EXPIRED = "expired"  # 期限切れ
    REVOKED = "revoked"  # 取消済


def grant_standing(
    valid_from: date, valid_to: date | None, revoked: bool, today: date
) -> GrantStanding:
    if revoked:
        return GrantStanding.REVOKED
    if valid_to is not None and valid_to < today:
        return GrantStanding.EXPIRED
    if valid_from > today:
        return GrantStanding.NOT_YET
    if valid_to is not None and valid_to <= today + timedelta(days=EXPIRY_WARNING_DAYS):
        return GrantStanding.ENDING_SOON
    return GrantStanding.ACTIVE


def request_status(stored: RequestStatus, expires_on: date, today: date) -> RequestStatus:
    """A request's status on ``today``: a pending one past ``expires_on`` has expired."""
    if stored == RequestStatus.PENDING and expires_on < today:
        return RequestStatus.EXPIRED
    return stored


# The purpose a list opens with, by the user's kind of organisation: an accountant or the
# 活性化協議会 works on 経営支援; banks and the 保証協会 monitor.
DEFAULT_PURPOSE: dict[OrgKind, Purpose] = {
    OrgKind.BUSINESS: Purpose.MONITORING,
    OrgKind.BANK: Purpose.MONITORING,
    OrgKind.GUARANTOR: Purpose.MONITORING,
    OrgKind.SUPPORTER: Purpose.SUPPORT,
    OrgKind.REVITALIZATION: Purpose.SUPPORT,
}


def default_purpose(kind: OrgKind | None) -> Purpose:
    return DEFAULT_PURPOSE.get(kind, Purpose.MONITORING) if kind else Purpose.MONITORING
