"""The demo's late correction: owner1's business re-submits a past month with different figures.

Run once by ``build_demo`` after the portfolio is loaded, through ``actions.submissions`` like a
person (the owner uploads a corrected trial balance; the import stores it as a new version and
audits it): five months before the demo's last month, sales are ¥2,400,000 higher (received in
cash, so the trial balance still balances). Later months had been delivered already, so the
first monitoring run opens ``authenticity.late_correction`` on that business, for the bank, the
保証協会 and the owner to talk about.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from kizashi.access import Actor
from kizashi.actions.submissions import do_import_submission
from kizashi.domain.vocabulary import Role, StatementKind
from kizashi.ingest.writers import write
from kizashi.store.db import Store
from kizashi.store.models import Business, Statement, StatementLine, User

EXTRA_SALES = 2_400_000
MONTHS_BACK = 4  # the corrected month: the demo's last month minus 4 (May for September)


def add_late_correction(store: Store, raw_dir: Path) -> int | None:
    """Re-submit a past month of the first owner's business; its id, or None without one."""
    with store.session() as s:
        owner = s.execute(
            select(User).where(User.role == Role.OWNER).order_by(User.id).limit(1)
        ).scalar_one_or_none()
        if owner is None:
            return None
        business = (
            s.execute(select(Business).where(Business.org_id == owner.org_id).order_by(Business.id))
            .scalars()
            .first()
        )
        if business is None:
            return None
        months = list(
            s.execute(
                select(Statement)
                .where(
                    Statement.business_id == business.id,
                    Statement.kind == StatementKind.MONTHLY_TB,
                    Statement.superseded_by_id.is_(None),
                )
                .order_by(Statement.period_end)
            ).scalars()
        )
        if len(months) <= MONTHS_BACK:
            return None
        st = months[-1 - MONTHS_BACK]
        amounts = {
            code: int(total)
            for code, total in s.execute(
                select(StatementLine.item_code, func.sum(StatementLine.amount))
                .where(StatementLine.statement_id == st.id)
                .group_by(StatementLine.item_code)
            )
        }
        amounts["sales"] = amounts.get("sales", 0) + EXTRA_SALES
        amounts["cash_and_deposits"] = amounts.get("cash_and_deposits", 0) + EXTRA_SALES
        data = write(
            "table",
            [
                {
                    "period_end": st.period_end,
                    "fiscal_year_start": st.fiscal_year_start,
                    "amounts": amounts,
                }
            ],
        )
        name = f"{st.period_end:%Y年%m月}_試算表_修正.csv"
        out = do_import_submission(
            s,
            Actor.from_user(owner),
            business_id=business.id,
            files=[(data, name)],
            raw_dir=raw_dir,
        )
        if not out.stored:
            raise RuntimeError(f"the demo's corrected trial balance was not stored: {name}")
        return business.id
