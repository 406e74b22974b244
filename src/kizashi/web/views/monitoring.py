"""Monitoring results as the API and the pages show them: flags with their texts, indicators.

``flag_out`` and ``indicators_out`` turn ``kizashi.access.monitoring``'s views into the models
the API returns (and ``kizashi flags --json`` / ``kizashi indicators --json`` print the same
fields); the business page renders the very same objects.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from kizashi.access.monitoring import FlagView, IndicatorsView


class Texts(BaseModel):
    """A text in both languages (``pick`` in a template chooses one)."""

    ja: str
    en: str


class FlagOut(BaseModel):
    id: int
    rule_id: str = Field(description="The rule's stable dotted id, e.g. cash.low_liquidity")
    pack_ref: str = Field(description="The rule pack and version that raised it")
    severity: str = Field(description="critical | high | medium | low")
    category: str = Field(
        description="収益性, 資金繰り, 財務健全性, 効率性, 真贋性, 信用事象, データ"
    )
    source: str = Field(description="Data source: 決算書, 試算表, 口座, 金融取引, 定性")
    support: str = Field(description="Support type: 確認, 本業支援, 経営改善, 再生, 再チャレンジ")
    state: str = Field(description="new | acknowledged | in_progress | resolved | not_needed")
    state_reason: str | None
    is_open: bool
    opened_month: date = Field(description="The first month of the flag (its last day)")
    closed_month: date | None = Field(description="The month it cleared (its last day)")
    last_seen_month: date = Field(description="The latest month it held (its last day)")
    title: Texts
    explanation: Texts = Field(description="Plain words quoting the evidence")
    next_step: Texts
    evidence: dict[str, Any] = Field(description="The numbers behind the flag (latest month)")
    # the reading organisation's own response (``state`` and ``state_reason`` are its own too)
    assignee_user_id: int | None = Field(None, description="Your organisation's assignee")
    assignee_name: str | None = None
    due_on: date | None = Field(None, description="Your organisation's due date")
    responded_at: datetime | None = Field(
        None, description="When your organisation last changed its response"
    )
    new_since_last_run: bool = Field(
        False, description="First found by the latest finished run of its pack"
    )


class FlagList(BaseModel):
    business_id: int
    items: list[FlagOut]


class IndicatorOut(BaseModel):
    id: str
    ja: str
    en: str
    unit: str
    better: str = Field(description="higher | lower | none")
    group: str = Field(description="locaben | monitoring | trend | score")
    value: float | None = Field(description="null: not computable")
    score: int | None = Field(description="ローカルベンチマーク 1–5 score, where defined")
    peer_n: int | None
    peer_p25: float | None
    peer_median: float | None
    peer_p75: float | None
    peer_percentile: int | None = Field(
        description="Share (%, whole) of the other peers with a value whose value is lower; "
        "null without a value, for booleans and scores, or below 5 peers with a value"
    )


class IndicatorsOut(BaseModel):
    business_id: int
    pack_ref: str
    as_of: date | None = Field(
        description="The last day of the month the values are of (month end); "
        "null when that month has no values"
    )
    peer_group: str | None = Field(description="Industry major group | size band")
    locaben_rating: str | None = Field(description="A–D; null when not all six are scorable")
    locaben_total: int | None
    values: list[IndicatorOut]
    peer_group_label: Texts | None = Field(description="The peer group in words")


class IndicatorHistoryOut(BaseModel):
    business_id: int
    items: list[IndicatorsOut] = Field(description="One entry per month with values, oldest first")


def flag_out(v: FlagView) -> FlagOut:
    return FlagOut.model_validate(dataclasses.asdict(v))


def flag_list(business_id: int, views: list[FlagView]) -> FlagList:
    return FlagList(business_id=business_id, items=[flag_out(v) for v in views])


def indicators_out(business_id: int, v: IndicatorsView) -> IndicatorsOut:
    return IndicatorsOut.model_validate({"business_id": business_id, **dataclasses.asdict(v)})
