"""Reads of monitoring results (flags, indicators, peer bands) — always through ``access``.

Flags are data category ``flags``. Flags raised by the shared default pack are visible to
everyone allowed that category; flags raised by an organisation's own pack only to that
organisation's officers (its watch-points are its own).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from string import Formatter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizashi.domain.industry import major_groups
from kizashi.domain.periods import month_end, month_start
from kizashi.domain.vocabulary import Category, Purpose
from kizashi.engine.exec.summary import percentile_column
from kizashi.engine.spec.catalogue import render
from kizashi.engine.spec.indicators import load_indicators
from kizashi.engine.spec.locaben import load_thresholds
from kizashi.engine.spec.packs import Pack, default_pack, load_pack_text
from kizashi.store import analytics
from kizashi.store.errors import NotFound
from kizashi.store.models import Flag, FlagResponse, MonitoringSummary, RulePack, User

from .actor import Actor
from .flag_responses import (
    ResponseEventView,
    latest_runs,
    own_responses,
    response_history,
    response_state,
)
from .policy import access_business_by_id
from .rule import flag_rows, flag_scope


@dataclass(frozen=True)
class FlagView:
    id: int
    rule_id: str
    pack_ref: str
    severity: str
    category: str
    source: str
    support: str
    state: str
    state_reason: str | None
    is_open: bool
    # months as people read a period: each month's last day (stored as its first)
    opened_month: date
    closed_month: date | None
    last_seen_month: date
    title: dict[str, str]
    explanation: dict[str, str]
    next_step: dict[str, str]
    evidence: dict[str, Any] = field(default_factory=dict)
    # the reading organisation's own response (``state``/``state_reason`` above are its too)
    assignee_user_id: int | None = None
    assignee_name: str | None = None
    due_on: date | None = None
    responded_at: datetime | None = None
    # first found by the latest finished run of its pack
    new_since_last_run: bool = False


@dataclass(frozen=True)
class IndicatorValue:
    id: str
    ja: str
    en: str
    unit: str
    better: str
    group: str
    value: float | None
    score: int | None
    peer_n: int | None
    peer_p25: float | None
    peer_median: float | None
    peer_p75: float | None
    # share (%) of the other peers with a value whose value is lower; None: no value, a boolean
    # or a score, or fewer than 5 peers with a value
    peer_percentile: int | None


@dataclass(frozen=True)
class IndicatorsView:
    pack_ref: str
    as_of: date | None  # the last day of the month the values are of
    peer_group: str | None
    locaben_rating: str | None
    locaben_total: int | None
    values: list[IndicatorValue]
    # the peer group in words ({"ja": "建設業・小(6〜20人)", "en": …}); peer_group is its code
    peer_group_label: dict[str, str] | None = None


@cache
def _pack_from_text(text: str) -> Pack:
    return load_pack_text(text)


def pack_for_ref(session: Session, ref: str) -> Pack:
    base = default_pack()
    if ref == base.ref:
        return base
    pack_id, _, version = ref.partition("@")
    row = session.execute(
        select(RulePack).where(RulePack.pack_id == pack_id, RulePack.version == version)
    ).scalar_one_or_none()
    return _pack_from_text(row.yaml_text) if row is not None else base


# Which packs' flags an actor sees: the rule's (``rule.flag_scope``); the old name is kept
# for the flag-state action.
_flag_scope = flag_scope


def _utc(value: datetime) -> datetime:
    """The store writes UTC; SQLite hands it back without the offset."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def flag_view(
    session: Session,
    f: Flag,
    packs: dict[str, Pack] | None = None,
    *,
    response: FlagResponse | None = None,
    assignee_name: str | None = None,
    latest_run: int | None = None,
) -> FlagView:
    """The flag as pages and the API show it to one organisation (``response``: its own
    response, None before it answered); ``packs`` remembers the packs already looked up."""
    own: dict[str, Any] = {
        "assignee_user_id": response.assignee_user_id if response else None,
        "assignee_name": assignee_name,
        "due_on": response.due_on if response else None,
        "responded_at": _utc(response.updated_at) if response else None,
        "new_since_last_run": latest_run is not None and f.first_run_id == latest_run,
    }
    state = response_state(f, response).value
    reason = response.reason if response else None
    if packs is None:
        packs = {}
    pack = packs.get(f.pack_ref)
    if pack is None:
        pack = packs[f.pack_ref] = pack_for_ref(session, f.pack_ref)
    evidence = json.loads(f.evidence_latest or "{}")
    try:
        rule = pack.rule(f.rule_id)
    except StopIteration:  # a rule since removed from the pack: show what is stored
        return FlagView(
            f.id,
            f.rule_id,
            f.pack_ref,
            f.severity,
            f.category,
            "",
            "",
            state,
            reason,
            f.is_open,
            month_end(f.opened_month),
            month_end(f.closed_month) if f.closed_month else None,
            month_end(f.last_seen_month),
            {"ja": f.rule_id, "en": f.rule_id},
            {"ja": "", "en": ""},
            {"ja": "", "en": ""},
            evidence,
            **own,
        )
    explanation = {
        lang: _explain(rule.explanation[lang], evidence, f.last_seen_month, f.opened_month, lang)
        for lang in ("ja", "en")
    }
    return FlagView(
        id=f.id,
        rule_id=f.rule_id,
        pack_ref=f.pack_ref,
        severity=f.severity,
        category=f.category,
        source=rule.source,
        support=rule.support,
        state=state,
        state_reason=reason,
        is_open=f.is_open,
        opened_month=month_end(f.opened_month),
        closed_month=month_end(f.closed_month) if f.closed_month else None,
        last_seen_month=month_end(f.last_seen_month),
        title=dict(rule.title),
        explanation=explanation,
        next_step=dict(rule.next_step),
        evidence=evidence,
        **own,
    )


def _explain(
    template: str, evidence: dict[str, Any], period: date, opened: date | None, lang: str
) -> str:
    """The rule's explanation filled with the flag's evidence; a value the evidence lacks (a
    flag stored without evidence, or by an older pack) reads 「—」 like a missing value, never
    the template's raw ``{placeholder}``. A template that cannot be filled at all gives ""."""
    try:
        fields = {
            (n or "").split(".")[0].split("[")[0] for _, n, _, _ in Formatter().parse(template)
        }
        missing = {name: None for name in fields if name and name not in ("period", "opened")}
        return render(template, missing | evidence, period, opened, lang)
    except (KeyError, ValueError, IndexError, TypeError):
        return ""


def read_flags(
    session: Session,
    actor: Actor,
    business_id: int,
    purpose: Purpose,
    *,
    include_closed: bool = False,
    today: date | None = None,
) -> list[FlagView]:
    """The business's flags the actor may see, most severe and newest first."""
    access_business_by_id(
        session, actor, business_id, Category.FLAGS, purpose, action="read_flags", today=today
    )
    q = select(Flag).where(
        Flag.business_id == business_id, flag_rows(actor, purpose, today or date.today())
    )
    if not include_closed:
        q = q.where(Flag.is_open.is_(True))
    rows = session.execute(q).scalars().all()
    order = {"critical": 0, "high": 1, "medium": 2, "low": 3}
    packs: dict[str, Pack] = {}  # one lookup per pack, not per flag
    responses, names = own_responses(session, actor, [f.id for f in rows])
    latest = latest_runs(session, {f.pack_ref for f in rows})
    views = []
    for f in rows:
        r = responses.get(f.id)
        views.append(
            flag_view(
                session,
                f,
                packs,
                response=r,
                assignee_name=names.get(r.assignee_user_id) if r and r.assignee_user_id else None,
                latest_run=latest.get(f.pack_ref),
            )
        )
    return sorted(
        views, key=lambda v: (not v.is_open, order.get(v.severity, 9), -v.opened_month.toordinal())
    )


def response_view(session: Session, response: FlagResponse) -> FlagView:
    """The flag as its organisation now answers it, right after a change the action gated
    (no second access decision)."""
    name = (
        session.execute(
            select(User.display_name).where(User.id == response.assignee_user_id)
        ).scalar_one_or_none()
        if response.assignee_user_id
        else None
    )
    flag = response.flag
    return flag_view(
        session,
        flag,
        response=response,
        assignee_name=name,
        latest_run=latest_runs(session, {flag.pack_ref}).get(flag.pack_ref),
    )


def read_flag_response(
    session: Session,
    actor: Actor,
    flag_id: int,
    purpose: Purpose,
    *,
    today: date | None = None,
) -> tuple[FlagView, list[ResponseEventView]]:
    """One flag with the actor's organisation's response and that response's history, oldest
    first: who changed what, when and why. Another organisation's history is never read; a
    flag missing and one not visible give the same NotFound."""
    flag = session.get(Flag, flag_id)
    if flag is None:
        raise NotFound(f"flag {flag_id} not found")
    access_business_by_id(
        session,
        actor,
        flag.business_id,
        Category.FLAGS,
        purpose,
        action="read_flag_response",
        today=today,
    )
    visible = session.execute(
        select(Flag.id).where(Flag.id == flag_id).where(_flag_scope(actor))
    ).first()
    if visible is None or actor.org_id is None:
        raise NotFound(f"flag {flag_id} not found")
    responses, names = own_responses(session, actor, [flag.id])
    r = responses.get(flag.id)
    view = flag_view(
        session,
        flag,
        response=r,
        assignee_name=names.get(r.assignee_user_id) if r and r.assignee_user_id else None,
        latest_run=latest_runs(session, {flag.pack_ref}).get(flag.pack_ref),
    )
    return view, response_history(session, actor, flag.id)


def whole_percent(percentile: float | None) -> int | None:
    """The engine's percentile (0–100) as the whole percent the page and the CLI show.

    Rounded half up, except that 0 and 100 stay for "no peer lower" and "every other peer
    lower": anything strictly between shows as 1–99, so the words never claim more than is so.
    """
    if percentile is None:
        return None
    whole = math.floor(percentile + 0.5)
    return min(max(whole, 1), 99) if 0 < percentile < 100 else whole


def read_indicators(
    session: Session,
    actor: Actor,
    data_dir: Path,
    business_id: int,
    purpose: Purpose,
    *,
    month: date | None = None,
    pack_ref: str | None = None,
    today: date | None = None,
) -> IndicatorsView:
    """Indicator values of ``month`` (any day of it; None: the latest month with values) with
    the peer band (p25–p75, median) of the business's peer group and the business's percentile
    in it (stored by the run as ``pct_<indicator>``). ``as_of`` is the month's last day.

    A month without values gives a view without values (``as_of`` None), as before any run."""
    access_business_by_id(
        session,
        actor,
        business_id,
        Category.FINANCIALS,
        purpose,
        action="read_indicators",
        today=today,
    )
    ref = pack_ref or default_pack().ref
    as_of = None if month is None else month_start(month)
    return _indicators_view(
        ref, *analytics.indicators_with_peers(data_dir, business_id, ref, as_of)
    )


def read_indicator_history(
    session: Session,
    actor: Actor,
    data_dir: Path,
    business_id: int,
    purpose: Purpose,
    *,
    pack_ref: str | None = None,
    today: date | None = None,
) -> list[IndicatorsView]:
    """Every month with indicator values, oldest first (one access decision for the whole)."""
    access_business_by_id(
        session,
        actor,
        business_id,
        Category.FINANCIALS,
        purpose,
        action="read_indicator_history",
        today=today,
    )
    ref = pack_ref or default_pack().ref
    return [
        _indicators_view(ref, *analytics.indicators_with_peers(data_dir, business_id, ref, m))
        for m in analytics.indicator_months(data_dir, business_id, ref)
    ]


def _indicators_view(
    ref: str, row: dict[str, Any] | None, peer_stats: tuple[dict[str, Any], ...]
) -> IndicatorsView:
    if row is None:
        return IndicatorsView(ref, None, None, None, None, [])
    peers = {p["indicator"]: p for p in peer_stats}
    values = []
    for ind in load_indicators():
        if ind.id not in row:
            continue
        p = peers.get(ind.id, {})
        v = row[ind.id]
        values.append(
            IndicatorValue(
                id=ind.id,
                ja=ind.ja,
                en=ind.en,
                unit=ind.unit,
                better=ind.better,
                group=ind.group,
                value=None if v is None else float(v),
                score=row.get(f"score_{ind.id}"),
                peer_n=p.get("n"),
                peer_p25=p.get("p25"),
                peer_median=p.get("median"),
                peer_p75=p.get("p75"),
                peer_percentile=whole_percent(row.get(percentile_column(ind.id))),
            )
        )
    return IndicatorsView(
        ref,
        month_end(row["as_of"]),
        row["peer_group"],
        row.get("locaben_rating"),
        row.get("locaben_total"),
        values,
        peer_group_label(row["peer_group"]),
    )


def peer_group_label(code: str | None) -> dict[str, str] | None:
    """``D|small`` → 建設業・小(6〜20人) / Construction · Small (6–20): words, not codes."""
    if not code:
        return None
    major, _, size = code.partition("|")
    group = major_groups().get(major)
    band = next((b for b in load_thresholds().size_bands if b.code == size), None)
    ja = [group.ja if group else major, band.ja if band else size]
    en = [group.en if group else major, band.en if band else size]
    return {"ja": "・".join(x for x in ja if x), "en": " · ".join(x for x in en if x)}


def read_summary(
    session: Session, actor: Actor, business_id: int, purpose: Purpose, *, today: date | None = None
) -> MonitoringSummary | None:
    access_business_by_id(
        session, actor, business_id, Category.FLAGS, purpose, action="read_summary", today=today
    )
    return session.execute(
        select(MonitoringSummary).where(
            MonitoringSummary.business_id == business_id,
            MonitoringSummary.pack_ref == default_pack().ref,
        )
    ).scalar_one_or_none()
