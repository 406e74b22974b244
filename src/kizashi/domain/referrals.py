"""Referrals across organisations (紹介・持込): kinds, statuses and what may travel with them.

A referral goes from one organisation to another about one business. It waits for the
business's owner (``awaiting_owner``), who approves it with a selection of what travels —
flags, indicators, chosen dialogue records — or refuses it; approved, it waits for the
receiver (``pending``), who accepts (``accepted``: a case opens at the receiver, linked to the
sender's) or declines with a reason (``declined``). The sender may withdraw it until it is
answered (``withdrawn``).
"""

from __future__ import annotations

import enum


class ReferralKind(enum.StrEnum):
    GUARANTOR_SUPPORT = "guarantor_support"  # 保証協会 経営支援
    REVITALIZATION = "revitalization"  # 中小企業活性化協議会
    PLAN_405 = "plan_405"  # 税理士等 認定支援機関 経営改善計画 (405事業)
    YOROZU = "yorozu"  # よろず支援拠点
    OTHER = "other"  # その他


class ReferralStatus(enum.StrEnum):
    AWAITING_OWNER = "awaiting_owner"  # 事業者の同意待ち
    REFUSED = "refused"  # 事業者が同意しなかった
    PENDING = "pending"  # 紹介先の回答待ち
    ACCEPTED = "accepted"  # 受入
    DECLINED = "declined"  # 紹介先が辞退
    WITHDRAWN = "withdrawn"  # 紹介元が取下げ


OPEN_STATUSES = frozenset({ReferralStatus.AWAITING_OWNER, ReferralStatus.PENDING})

KIND_LABELS_JA = {
    ReferralKind.GUARANTOR_SUPPORT: "保証協会 経営支援",
    ReferralKind.REVITALIZATION: "中小企業活性化協議会",
    ReferralKind.PLAN_405: "経営改善計画策定支援（405事業）",
    ReferralKind.YOROZU: "よろず支援拠点",
    ReferralKind.OTHER: "その他",
}

STATUS_LABELS_JA = {
    ReferralStatus.AWAITING_OWNER: "事業者の同意待ち",
    ReferralStatus.REFUSED: "事業者が同意せず",
    ReferralStatus.PENDING: "紹介先の回答待ち",
    ReferralStatus.ACCEPTED: "受入済み",
    ReferralStatus.DECLINED: "紹介先が辞退",
    ReferralStatus.WITHDRAWN: "取下げ",
}

MAX_NOTE_CHARS = 4000
MAX_REASON_CHARS = 2000
