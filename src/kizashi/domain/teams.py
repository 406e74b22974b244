"""Teams of officers within an organisation and who may move a business on the triage queue.

A team (チーム) has a name and members; a member is an officer of the organisation in at most one
team, and is either a plain member or the team's manager (``TeamRole``; a team may have more
than one manager, e.g. a deputy). The organisation's administrator forms the teams; the queue
proposes work per team (``domain.triage.allocate``) and a manager assigns or reassigns.

Who may assign (docs/support.md, "Teams and managers"), pure:

- an organisation without teams works as one group: any of its officers assigns any officer;
- otherwise an officer may take an unassigned business for themselves, or give back their own;
- a manager assigns or reassigns to a member of a team they manage, a business that is
  unassigned or held by a member of a team they manage (never one of another team's).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .vocabulary import TeamRole


@dataclass(frozen=True)
class Membership:
    team_id: int
    role: TeamRole


def managed_by(user_id: int, members: Mapping[int, Membership]) -> set[int]:
    """The officers in the teams ``user_id`` manages (themselves included)."""
    mine = members.get(user_id)
    teams = {mine.team_id} if mine is not None and mine.role == TeamRole.MANAGER else set()
    return {u for u, m in members.items() if m.team_id in teams}


def why_not_assign(
    actor_id: int,
    holder_id: int | None,
    target_id: int,
    members: Mapping[int, Membership],
    has_teams: bool,
) -> str | None:
    """None when ``actor_id`` may give the business (held by ``holder_id``, None: nobody) to
    ``target_id``; otherwise the reason of the refusal (for the audit record)."""
    if not has_teams or holder_id == target_id:
        return None
    if target_id == actor_id and holder_id is None:
        return None  # taking an unassigned business for oneself
    team = managed_by(actor_id, members)
    if not team:
        return "only a team's manager assigns a business to someone else"
    if target_id not in team:
        return "the officer is not in a team the manager manages"
    if holder_id is not None and holder_id not in team:
        return "the business is held by another team"
    return None


def why_not_unassign(
    actor_id: int, holder_id: int, members: Mapping[int, Membership], has_teams: bool
) -> str | None:
    """None when ``actor_id`` may take the business off ``holder_id``'s list."""
    if not has_teams or holder_id == actor_id or holder_id in managed_by(actor_id, members):
        return None
    return "only the holder or their team's manager takes a business off a list"
