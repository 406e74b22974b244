"""The triage queue as rows: one shape for the page, the API and the CSV/.xlsx downloads."""

from __future__ import annotations

from typing import Any

from kizashi.access.triage import TriageQueue
from kizashi.domain.triage import reason_text

HEADERS = {
    "ja": ["順位", "事業者ID", "事業者名", "優先度", "担当者", "状態", "理由", "チーム"],
    "en": ["Rank", "Business id", "Business", "Priority", "Officer", "Status", "Reason", "Team"],
}
STATUS = {
    "ja": {"assigned": "割当済", "proposed": "提案", "over": "担当者の上限超過"},
    "en": {"assigned": "assigned", "proposed": "proposed", "over": "over capacity"},
}


def status_of(assigned: bool, over: bool) -> str:
    return "assigned" if assigned else "over" if over else "proposed"


def queue_rows(q: TriageQueue, lang: str, *, mine: bool = False) -> list[dict[str, Any]]:
    """The queue's rows (``mine``: only the reader's own assignments)."""
    return [
        {
            "rank": p.rank,
            "business_id": p.business_id,
            "name": p.name,
            "score": p.score,
            "officer_user_id": p.officer_id,
            "officer_name": q.officer_name(p.officer_id) or None,
            "status": status_of(p.assigned, p.over_capacity),
            "reason": reason_text(p.reason, lang),
            "team_id": p.team_id,
            "team_name": q.team_name(p.team_id) or None,
            "may_move": q.may_move(p),
        }
        for p in (q.mine() if mine else q.rows)
    ]


def table(q: TriageQueue, lang: str, *, mine: bool = False) -> tuple[list[str], list[list[Any]]]:
    lang = lang if lang in HEADERS else "en"
    return HEADERS[lang], [
        [
            r["rank"],
            r["business_id"],
            r["name"],
            r["score"],
            r["officer_name"] or "",
            STATUS[lang][r["status"]],
            r["reason"],
            r["team_name"] or "",
        ]
        for r in queue_rows(q, lang, mine=mine)
    ]
