"""The triage queue of an organisation: which businesses its officers should contact first in a
month, within each officer's capacity (ranking and allocation: ``domain.triage``).

Candidates are the businesses whose flags the reader may see (category ``flags``) with at least
one flag still open **for the reader's organisation** (新規, 確認済, 対応中: one it handled —
対応不要 or 解消 — does not count), minus those in an open support case of the organisation.
Exposure and guarantee share come from the organisation's own loans (it lends or guarantees);
the risk model's probability (the organisation's own model, else the deployment's: ADR 0010) is
used only where the reader may read the business's ``financials``. The listing is audited once
(category ``flags``, object ``triage``).

With teams (access/teams.py) the queue is proposed per team: each team's capacity is its members'
summed, and the queue says which officers the reader may assign to (``assignable``: everyone
without teams, a manager's team members, otherwise the reader alone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from kizashi.domain.teams import managed_by
from kizashi.domain.triage import (
    DEFAULT_SCORE_PCT,
    Candidate,
    Officer,
    OpenFlag,
    Proposal,
    allocate,
    remaining,
)
from kizashi.domain.vocabulary import OPEN_STATES, Category, Purpose, Role
from kizashi.store.models import Business, Flag, FlagResponse, Loan, User
from kizashi.store.risk_scores import month_scores, score_months
from kizashi.store.triage_models import StaffCapacity, TriageAssignment

from .actor import Actor
from .monitoring import pack_for_ref
from .org_models import active_model
from .policy import accessible_business_ids, audit_listing
from .risk_admin import read_risk_weight
from .rule import flag_rows
from .teams import memberships, org_teams

try:  # support cases (issue 13, built alongside): skip businesses in an open case
    from kizashi.store.support_models import SupportCase
except ImportError:  # pragma: no cover - before the cases module exists
    SupportCase = None  # type: ignore[assignment,misc]


@dataclass(frozen=True)
class OfficerLoad:
    user_id: int
    name: str
    capacity: int | None  # None: not set (takes none)
    assigned: int
    proposed: int
    left: int
    team_id: int | None = None


@dataclass(frozen=True)
class TeamLoad:
    """A team's share of the month: its members' capacities summed (unset counts 0)."""

    id: int
    name: str
    managers: tuple[str, ...]
    capacity: int
    assigned: int
    proposed: int
    left: int


@dataclass(frozen=True)
class TriageQueue:
    period: date
    rows: tuple[Proposal, ...]
    officers: tuple[OfficerLoad, ...]
    names: dict[int, str]  # officer id → name
    teams: tuple[TeamLoad, ...] = ()
    assignable: tuple[int, ...] = ()  # the officers the reader may assign to
    reader_id: int | None = None
    manages: bool = False  # the reader manages a team
    score_pct: int = DEFAULT_SCORE_PCT  # the risk model's share of the priority (risk_weight)

    def may_move(self, p: Proposal) -> bool:
        """Whether the reader may assign (or reassign) this row to someone in ``assignable``."""
        holder = p.officer_id if p.assigned else None
        if not self.assignable:
            return False
        if not self.teams or holder is None:
            return True
        return self.manages and holder in self.assignable

    def officer_name(self, user_id: int | None) -> str:
        return self.names.get(user_id, "") if user_id is not None else ""

    def team_name(self, team_id: int | None) -> str:
        return next((t.name for t in self.teams if t.id == team_id), "")

    def mine(self) -> tuple[Proposal, ...]:
        """The reader's own assignments for the month."""
        return tuple(p for p in self.rows if p.assigned and p.officer_id == self.reader_id)


def month_of(day: date) -> date:
    return day.replace(day=1)


def officers_with_capacity(session: Session, org_id: int) -> list[tuple[int, str, int | None]]:
    """The organisation's active officers with their capacity per month (None: not set).
    Not business data: one's own colleagues."""
    rows = session.execute(
        select(User.id, User.display_name, StaffCapacity.per_month)
        .outerjoin(StaffCapacity, StaffCapacity.user_id == User.id)
        .where(User.org_id == org_id, User.active.is_(True), User.role == Role.OFFICER)
        .order_by(User.display_name, User.id)
    ).all()
    return [(int(i), str(n), None if c is None else int(c)) for i, n, c in rows]


def _open_case_businesses(session: Session, org_id: int) -> set[int]:
    if SupportCase is None:
        return set()
    return set(
        session.execute(
            select(SupportCase.business_id).where(
                SupportCase.org_id == org_id, SupportCase.closed_at.is_(None)
            )
        ).scalars()
    )


def _probabilities(
    session: Session, actor: Actor, data_dir: Path | None, ids: set[int], purpose: Purpose, on: date
) -> dict[int, float]:
    if data_dir is None or not ids:
        return {}
    active = active_model(session, data_dir, actor.org_id)  # its own model, else the deployment's
    if active is None:
        return {}
    version = active.version
    months = score_months(data_dir, version)
    if not months:
        return {}
    table = month_scores(data_dir, version, months[-1]["as_of"])
    if table is None:
        return {}
    allowed = set(
        session.execute(
            select(Business.id).where(
                Business.id.in_(ids),
                Business.id.in_(accessible_business_ids(actor, Category.FINANCIALS, purpose, on)),
            )
        ).scalars()
    )
    out: dict[int, float] = {}
    for b, p in zip(
        table.column("business_id").to_pylist(),
        table.column("probability").to_pylist(),
        strict=True,
    ):
        if b in allowed and p is not None:
            out[int(b)] = float(p)
    return out


def read_triage_queue(
    session: Session,
    actor: Actor,
    *,
    period: date | None = None,
    purpose: Purpose = Purpose.MONITORING,
    data_dir: Path | None = None,
    lang: str = "ja",
    today: date | None = None,
    default_score_pct: int | None = None,
) -> TriageQueue:
    """The organisation's queue for the month ``period`` (default: this month), ranked with the
    organisation's weighting of the risk model's score (``risk_weight``; none set:
    ``default_score_pct``, the deployment's ``KIZASHI_RISK_WEIGHT``)."""
    on = today or date.today()
    month = month_of(period or on)
    org_id = actor.org_id if actor.org_id is not None else -1
    r = aliased(FlagResponse)
    open_for_me = Flag.is_open & (r.id.is_(None) | r.state.in_(sorted(OPEN_STATES)))
    rows = session.execute(
        select(
            Flag.business_id,
            Business.name,
            Flag.pack_ref,
            Flag.rule_id,
            Flag.severity,
            Flag.opened_month,
        )
        .join(Business, Business.id == Flag.business_id)
        .outerjoin(r, (r.flag_id == Flag.id) & (r.org_id == org_id))
        .where(flag_rows(actor, purpose, on), open_for_me)
        .order_by(Flag.business_id, Flag.id)
    ).all()
    skip = _open_case_businesses(session, org_id)
    packs: dict[str, object] = {}
    flags: dict[int, list[OpenFlag]] = {}
    names: dict[int, str] = {}
    for business_id, name, pack_ref, rule_id, severity, opened in rows:
        if business_id in skip:
            continue
        pack = packs.get(pack_ref)
        if pack is None:
            pack = packs[pack_ref] = pack_for_ref(session, pack_ref)
        try:
            label = pack.rule(rule_id).title.get(lang) or rule_id  # type: ignore[attr-defined]
        except StopIteration:
            label = rule_id
        flags.setdefault(business_id, []).append(OpenFlag(rule_id, severity, opened, label))
        names[business_id] = name
    exposure: dict[int, list[int]] = {}
    if flags:
        for loan in session.execute(
            select(Loan).where(
                Loan.business_id.in_(list(flags)),
                Loan.paid_off_on.is_(None),
                (Loan.lender_org_id == org_id) | (Loan.guarantor_org_id == org_id),
            )
        ).scalars():
            e = exposure.setdefault(loan.business_id, [0, 0])
            e[0] += loan.balance
            e[1] += loan.balance * loan.guarantee_ratio_pct // 100
    probs = _probabilities(session, actor, data_dir, set(flags), purpose, on)
    candidates = [
        Candidate(
            b,
            names[b],
            tuple(fs),
            exposure.get(b, [0, 0])[0],
            exposure.get(b, [0, 0])[1],
            probs.get(b),
        )
        for b, fs in flags.items()
    ]
    staff = officers_with_capacity(session, org_id)
    officers = [Officer(i, n, c or 0) for i, n, c in staff]
    assigned = {
        int(b): int(u)
        for b, u in session.execute(
            select(TriageAssignment.business_id, TriageAssignment.officer_user_id).where(
                TriageAssignment.org_id == org_id, TriageAssignment.period == month
            )
        ).all()
    }
    org_kind = actor.org_kind.value if actor.org_kind is not None else ""
    members = memberships(session, org_id)
    team_of = {u: m.team_id for u, m in members.items()}
    weight = read_risk_weight(
        session, org_id, DEFAULT_SCORE_PCT if default_score_pct is None else default_score_pct
    )
    proposals = allocate(
        candidates, officers, assigned, month, org_kind, team_of, score_pct=weight.score_pct
    )
    left = remaining(officers, assigned)
    loads = tuple(
        OfficerLoad(
            i,
            n,
            c,
            sum(1 for u in assigned.values() if u == i),
            sum(1 for p in proposals if p.officer_id == i and not p.assigned),
            left.get(i, 0),
            team_of.get(i),
        )
        for i, n, c in staff
    )
    teams = tuple(
        TeamLoad(
            t.id,
            t.name,
            tuple(m.name for m in t.managers),
            sum(o.capacity or 0 for o in loads if o.team_id == t.id),
            sum(o.assigned for o in loads if o.team_id == t.id),
            sum(o.proposed for o in loads if o.team_id == t.id),
            sum(o.left for o in loads if o.team_id == t.id),
        )
        for t in org_teams(session, org_id)
    )
    me = actor.user_id
    team = managed_by(me or 0, members)
    if actor.role != Role.OFFICER:
        assignable: tuple[int, ...] = ()
    elif not teams:
        assignable = tuple(i for i, _, _ in staff)
    else:
        assignable = tuple(i for i, _, _ in staff if i in team or i == me)
    audit_listing(
        session,
        actor,
        Category.FLAGS,
        purpose,
        len(proposals),
        {"view": "triage", "period": month.isoformat()},
    )
    return TriageQueue(
        month,
        tuple(proposals),
        loads,
        {i: n for i, n, _ in staff},
        teams,
        assignable,
        me,
        bool(team),
        weight.score_pct,
    )
