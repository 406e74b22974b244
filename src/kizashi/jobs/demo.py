"""``kizashi demo``: institutions, logins, a synthetic portfolio, a monitoring run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import select

from kizashi.access import Actor
from kizashi.actions.organisations import do_add_organisation, do_add_user
from kizashi.domain.vocabulary import Role
from kizashi.settings import Settings
from kizashi.store.db import Store
from kizashi.store.models import Business, Organisation

from .demo_consent import add_consent_day
from .demo_corrections import add_late_correction
from .demo_loans import add_loan_day
from .demo_plans import add_plans
from .demo_referrals import add_referrals
from .demo_reports import add_reports
from .demo_support import add_support_cases
from .demo_teams import MANAGER_LOGINS, add_teams
from .demo_world import BANKS, DEMO_PASSWORD, GUARANTOR, INSTITUTIONS, OWNER_ACCOUNTS, SUPPORTERS
from .portfolio_load import Institutions, LoadSummary, load_synthetic_portfolio


@dataclass(frozen=True)
class DemoLogin:
    login: str
    password: str
    organisation: str
    role: str
    note: str


def demo_exists(store: Store) -> bool:
    with store.session() as s:
        return (
            s.execute(select(Organisation.id).where(Organisation.code == GUARANTOR.code)).first()
            is not None
        )


def _create_institutions(store: Store) -> Institutions:
    actor = Actor.system()
    ids: dict[str, int] = {}
    with store.session() as s:
        for spec in INSTITUTIONS:
            org = do_add_organisation(s, actor, kind=spec.kind, name=spec.name, code=spec.code)
            ids[spec.code] = org.id
            for login, role, display in spec.users:
                do_add_user(
                    s,
                    actor,
                    org=org,
                    login=login,
                    password=DEMO_PASSWORD,
                    display_name=display,
                    role=role,
                )
    return Institutions(
        guarantor_id=ids[GUARANTOR.code],
        bank_ids=tuple(ids[b.code] for b in BANKS),
        supporter_ids=tuple(ids[t.code] for t in SUPPORTERS),
    )


def _create_owner_logins(store: Store) -> list[DemoLogin]:
    actor = Actor.system()
    out = []
    with store.session() as s:
        businesses = (
            s.execute(select(Business).order_by(Business.id).limit(OWNER_ACCOUNTS)).scalars().all()
        )
        for n, biz in enumerate(businesses, 1):
            login = f"owner{n}"
            do_add_user(
                s,
                actor,
                org=biz.organisation,
                login=login,
                password=DEMO_PASSWORD,
                display_name=f"{biz.name} 経営者",
                role=Role.OWNER,
            )
            out.append(
                DemoLogin(login, DEMO_PASSWORD, biz.name, "owner", "事業者ポータル (自社のみ)")
            )
    return out


def demo_logins(store: Store) -> list[DemoLogin]:
    """Every demo login with what it shows (printed by ``kizashi demo``)."""
    notes = {
        Role.OFFICER: "同意を得た事業者のデータを閲覧",
        Role.ADMIN: "利用者の管理 (事業者データは見えません)",
        Role.AUDITOR: "監査ログ (事業者データは見えません)",
    }
    out = [
        DemoLogin(
            login,
            DEMO_PASSWORD,
            spec.name,
            role.value,
            "チームの管理職: 対話の優先順位を割り当て・付け替え"
            if login in MANAGER_LOGINS
            else notes[role],
        )
        for spec in INSTITUTIONS
        for login, role, _ in spec.users
    ]
    with store.session() as s:
        from kizashi.store.models import User

        owners = (
            s.execute(
                select(User).where(User.role == Role.OWNER).order_by(User.id).limit(OWNER_ACCOUNTS)
            )
            .scalars()
            .all()
        )
        out += [
            DemoLogin(
                u.login, DEMO_PASSWORD, u.organisation.name, "owner", "事業者ポータル (自社のみ)"
            )
            for u in owners
        ]
    return out


def build_demo(
    store: Store,
    settings: Settings,
    *,
    businesses: int = 2000,
    seed: int = 20261125,
    months: int = 36,
    end_month: date = date(2026, 9, 1),
    progress: Callable[[int], None] | None = None,
) -> LoadSummary:
    """Create the demo institutions, logins and portfolio in an empty store."""
    if demo_exists(store):
        raise RuntimeError(
            "the demo is already loaded in this database (use --reset to start again)"
        )
    inst = _create_institutions(store)
    last_day = (
        date(end_month.year, end_month.month, 30)
        if end_month.month != 2
        else date(end_month.year, 2, 28)
    )
    summary = load_synthetic_portfolio(
        store,
        settings,
        inst,
        n=businesses,
        seed=seed,
        months=months,
        end_month=end_month,
        today=last_day,
        progress=progress,
    )
    _create_owner_logins(store)
    # owner1 re-submits a past month with other figures: a late correction (真贋性) to talk about
    add_late_correction(store, settings.raw_dir)
    # plans the owners have fallen short of: the monitoring run raises plan flags on them
    add_plans(store)
    # a day of consent: the council's grants, requests waiting, grants ending soon
    added = add_consent_day(
        store, owner_businesses=OWNER_ACCOUNTS, expiry_days=settings.consent_request_days
    )
    # loans, a guarantee, a schedule, a 完済 and credit events entered by a bank and the 保証協会
    loans = add_loan_day(store, as_of=last_day)
    # support cases with dialogue records and due reminders for every institution's officer
    add_support_cases(store, settings.raw_dir)
    # referrals: waiting at the council, the 保証協会 and a tax office, one waiting for its owner
    granted = add_referrals(store)
    # デモ第一銀行's two teams with their managers and capacities (triage per team)
    add_teams(store)
    # reports: the accountant's monitoring report sent to a bank, owner1's progress report due soon
    add_reports(store)
    return replace(
        summary,
        consents=summary.consents + added + granted,
        loans=summary.loans + len(loans.loans),
        credit_events=summary.credit_events + len(loans.events),
    )
