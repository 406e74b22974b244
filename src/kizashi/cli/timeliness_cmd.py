"""``kizashi timeliness --business ID --as LOGIN``: a business's submission timeliness — months
delivered, on time, late and missing over the twelve months before this one (deadline: month end
+ ``submission_deadline_days``), read under consent and audited. Output is Japanese."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from kizashi.access.timeliness import read_timeliness
from kizashi.domain.calendar import format_month
from kizashi.domain.vocabulary import Purpose
from kizashi.store.errors import NotFound

from .app import app
from .context import actor_for, console, fail, settings, store

STATUS_JA = {"on_time": "期限内", "late": "遅延", "missing": "未提出", "due": "期限前"}


@app.command("timeliness")
def timeliness_cmd(
    business: Annotated[int, typer.Option("--business", help="Business id")],
    as_: Annotated[str, typer.Option("--as", help="Act as this user (login)")],
    purpose: Annotated[Purpose, typer.Option(help="Purpose")] = Purpose.MONITORING,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False,
) -> None:
    """試算表の提出の適時性を表示する (submission timeliness)."""
    try:
        with store().session() as s:
            t = read_timeliness(
                s,
                actor_for(as_),
                business,
                purpose,
                deadline_days=settings().submission_deadline_days,
            )
    except NotFound:
        fail("事業者が見つからないか、閲覧できません")
    if as_json:
        print(
            json.dumps(
                {
                    "deadline_days": t.deadline_days,
                    "months_delivered": t.delivered,
                    "on_time": t.on_time,
                    "late": t.late,
                    "missing": t.missing,
                    "months": [
                        {
                            **m.__dict__,
                            "month": m.month.isoformat(),
                            "deadline": m.deadline.isoformat(),
                            "delivered_on": m.delivered_on.isoformat() if m.delivered_on else None,
                        }
                        for m in t.months
                    ],
                },
                ensure_ascii=False,
            )
        )
        return
    console.print(
        f"直近12か月: 提出 {t.delivered}か月 (期限内 {t.on_time}、遅延 {t.late})、未提出 {t.missing}か月"
        f" — 期限は月末から {t.deadline_days}日"
    )
    for m in t.months:
        got = m.delivered_on.isoformat() if m.delivered_on else "—"
        console.print(
            f"  {format_month(m.month, 'ja')}  期限 {m.deadline.isoformat()}  提出 {got}  "
            f"{STATUS_JA[m.status]}"
        )
