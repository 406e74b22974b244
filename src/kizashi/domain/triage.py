"""Triage under staff limits: rank the businesses an organisation should contact first and share
them among its officers without exceeding anyone's capacity. Pure (no I/O): the caller reads the
candidates (open flags for its organisation, exposure, guarantee share, the risk model's
probability) and the officers' capacities and existing assignments.

Ranking (docs/support.md, "Triage"):

- each flag still open for the organisation counts its severity weight (critical 8, high 4,
  medium 2, low 1) times a newness factor: ×1.5 when it opened in the period's month or the one
  before, ×1.2 within three months, ×1 older;
- times an exposure factor ``1 + min(1, own_yen / 100,000,000)`` where ``own_yen`` is the part of
  the balance the organisation itself carries: the unguaranteed part for a lender, the guaranteed
  part for a 保証協会 (all of it for anyone else);
- that is the business's rules' points (``score``). Its triage priority (``priorities``, 0–100)
  weighs the percentile rank of those points among the organisation's candidates against the
  percentile rank of the risk model's probability (unscored: 0): ``score_pct`` % the score's,
  the rest the rules' (ties share their mean rank). ``score_pct`` is the organisation's own
  weighting (``risk_weight``; 0: rules only, 100: the score only; default 50).

Allocation: businesses already assigned for the period keep their officer (and use up their
capacity); the others, best first, go to the team with the most capacity left (its members'
capacities summed, minus what they already hold; officers in no team form one group of their
own), and within it to the member with the most capacity left (ties: the team, then the officer,
listed first). An organisation without teams is one group: the officer with the most capacity
left. A business nobody has room for stays unassigned, marked over capacity.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

SEVERITY_WEIGHTS = {"critical": 8, "high": 4, "medium": 2, "low": 1}
EXPOSURE_SCALE_YEN = 100_000_000
DEFAULT_SCORE_PCT = 50  # the risk model's share of the triage priority when none is set


@dataclass(frozen=True)
class OpenFlag:
    rule_id: str
    severity: str
    opened_month: date
    label: str = ""  # the rule's title in the reader's language (empty: the rule id)


@dataclass(frozen=True)
class Candidate:
    business_id: int
    name: str
    flags: tuple[OpenFlag, ...]
    exposure_yen: int = 0
    guaranteed_yen: int = 0
    probability: float | None = None


@dataclass(frozen=True)
class Officer:
    user_id: int
    name: str
    capacity: int  # contacts per period (0: takes none)


@dataclass(frozen=True)
class Reason:
    """The reason in parts, worded by the caller's language (``reason_text``)."""

    flags: tuple[tuple[str, str, int], ...]  # (label, severity, months since it opened)
    exposure_yen: int
    guarantee_share_pct: int | None  # None: no balance
    probability: float | None


@dataclass(frozen=True)
class Proposal:
    rank: int
    business_id: int
    name: str
    score: float  # the triage priority, 0–100 (``priorities``)
    reason: Reason
    officer_id: int | None
    assigned: bool  # True: a person assigned it; False: proposed
    over_capacity: bool = False
    team_id: int | None = None  # the officer's team (None: no team, or nobody)


@dataclass
class Load:
    officer: Officer
    used: int = 0
    businesses: list[int] = field(default_factory=list)

    @property
    def left(self) -> int:
        return max(0, self.officer.capacity - self.used)


def months_between(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def newness_factor(opened: date, period: date) -> float:
    age = months_between(opened, period)
    if age <= 1:
        return 1.5
    if age <= 3:
        return 1.2
    return 1.0


def own_share(exposure_yen: int, guaranteed_yen: int, org_kind: str) -> int:
    """The yen the organisation itself carries (see the module text)."""
    if org_kind == "bank":
        return max(0, exposure_yen - guaranteed_yen)
    if org_kind == "guarantor":
        return guaranteed_yen
    return exposure_yen


def score(c: Candidate, period: date, org_kind: str) -> float:
    points = sum(
        SEVERITY_WEIGHTS.get(f.severity, 1) * newness_factor(f.opened_month, period)
        for f in c.flags
    )
    own = own_share(c.exposure_yen, c.guaranteed_yen, org_kind)
    exposure = 1 + min(1.0, own / EXPOSURE_SCALE_YEN)
    return round(points * exposure, 4)


def percentile_ranks(values: Sequence[float]) -> list[float]:
    """0–100 per value: the share of values below it plus half the equal ones (ties share)."""
    xs = sorted(values)
    n = len(xs)
    return [100 * (bisect_left(xs, v) + bisect_right(xs, v)) / (2 * n) for v in values]


def priorities(
    candidates: Sequence[Candidate], period: date, org_kind: str, score_pct: int = DEFAULT_SCORE_PCT
) -> dict[int, float]:
    """Each candidate's (with an open flag) triage priority, 0–100 (see the module text)."""
    cs = [c for c in candidates if c.flags]
    if not cs:
        return {}
    rules = percentile_ranks([score(c, period, org_kind) for c in cs])
    risk = percentile_ranks([c.probability or 0.0 for c in cs])
    w = score_pct / 100
    return {
        c.business_id: round((1 - w) * a + w * b, 4)
        for c, a, b in zip(cs, rules, risk, strict=True)
    }


def reason_of(c: Candidate, period: date) -> Reason:
    flags = tuple(
        sorted(
            (
                (f.label or f.rule_id, f.severity, max(0, months_between(f.opened_month, period)))
                for f in c.flags
            ),
            key=lambda t: (-SEVERITY_WEIGHTS.get(t[1], 1), t[2], t[0]),
        )
    )
    share = round(100 * c.guaranteed_yen / c.exposure_yen) if c.exposure_yen > 0 else None
    return Reason(flags, c.exposure_yen, share, c.probability)


def rank(
    candidates: Sequence[Candidate], period: date, org_kind: str, score_pct: int = DEFAULT_SCORE_PCT
) -> list[Candidate]:
    """Best first: priority, then the rules' points, then more exposure, then name and id (a
    stable, total order)."""
    prio = priorities(candidates, period, org_kind, score_pct)
    return sorted(
        (c for c in candidates if c.flags),
        key=lambda c: (
            -prio[c.business_id],
            -score(c, period, org_kind),
            -c.exposure_yen,
            c.name,
            c.business_id,
        ),
    )


def allocate(
    candidates: Sequence[Candidate],
    officers: Sequence[Officer],
    assigned: dict[int, int],
    period: date,
    org_kind: str,
    team_of: Mapping[int, int] | None = None,
    score_pct: int = DEFAULT_SCORE_PCT,
) -> list[Proposal]:
    """The queue for ``period``: every candidate with an open flag, ranked, each either
    assigned (``assigned``: business → officer, kept), proposed to an officer with capacity
    left, or over capacity. ``team_of`` maps an officer to their team (officers missing from it
    are in no team). No team is proposed more than its members' capacities summed, and no
    officer more than their capacity, minus what is already assigned to them."""
    team_of = team_of or {}
    loads = {o.user_id: Load(o) for o in officers}
    groups: dict[int | None, list[Load]] = {}
    for o in officers:
        groups.setdefault(team_of.get(o.user_id), []).append(loads[o.user_id])
    for officer_id in assigned.values():
        if officer_id in loads:
            loads[officer_id].used += 1
    out: list[Proposal] = []
    prio = priorities(candidates, period, org_kind, score_pct)
    for i, c in enumerate(rank(candidates, period, org_kind, score_pct), start=1):
        s = prio[c.business_id]
        why = reason_of(c, period)
        if c.business_id in assigned:
            who = assigned[c.business_id]
            out.append(
                Proposal(i, c.business_id, c.name, s, why, who, True, team_id=team_of.get(who))
            )
            continue
        room = {t: sum(ld.left for ld in lds) for t, lds in groups.items()}
        free = [t for t in groups if room[t] > 0]
        if not free:
            out.append(Proposal(i, c.business_id, c.name, s, why, None, False, True))
            continue
        team = max(free, key=lambda t: room[t])  # max keeps the first of equals
        best = max((ld for ld in groups[team] if ld.left > 0), key=lambda ld: ld.left)
        best.used += 1
        best.businesses.append(c.business_id)
        out.append(
            Proposal(i, c.business_id, c.name, s, why, best.officer.user_id, False, team_id=team)
        )
    return out


def remaining(officers: Sequence[Officer], assigned: dict[int, int]) -> dict[int, int]:
    """Each officer's capacity left after the period's assignments."""
    used: dict[int, int] = {}
    for officer_id in assigned.values():
        used[officer_id] = used.get(officer_id, 0) + 1
    return {o.user_id: max(0, o.capacity - used.get(o.user_id, 0)) for o in officers}


SEVERITY_JA = {"critical": "重大", "high": "高", "medium": "中", "low": "低"}


def reason_text(r: Reason, lang: str) -> str:
    """The reason in words: which flags and how new, the exposure, the guarantee share, the
    model's probability."""
    ja = lang == "ja"
    parts: list[str] = []
    for label, sev, age in r.flags:
        if ja:
            when = "今月" if age == 0 else f"{age}か月前"
            parts.append(f"{label}（{SEVERITY_JA.get(sev, sev)}・{when}に発生）")
        else:
            when = "this month" if age == 0 else f"{age} month{'s' if age != 1 else ''} ago"
            parts.append(f"{label} ({sev}, opened {when})")
    text = ("、" if ja else "; ").join(parts)
    if r.exposure_yen > 0:
        if ja:
            text += f"。残高 {r.exposure_yen:,}円（保証割合 {r.guarantee_share_pct}%）"
        else:
            text += f". Balance ¥{r.exposure_yen:,} (guaranteed {r.guarantee_share_pct}%)"
    if r.probability is not None:
        pct = f"{100 * r.probability:.1f}%"
        text += f"。モデルの確率 {pct}" if ja else f". Model probability {pct}"
    return text
