"""Business plans: versions kept, files stored all or none, plan against actual exact to the
yen on hand-made trial balances, and the sustained-shortfall check firing and clearing."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from kizashi.access.plans import list_plans, read_plan, read_plan_progress
from kizashi.actions.plans import do_add_plan, do_add_plan_version, do_import_plan
from kizashi.actions.submissions import do_import_submission
from kizashi.domain.plans import Granularity, PlanKind
from kizashi.ingest.plans import PlanFileError
from kizashi.store.errors import NotFound
from kizashi.store.models import AuditEvent
from kizashi.store.plan_models import PlanTarget, PlanVersion
from tests.world import make_world


@pytest.fixture
def world(store):
    with store.session() as s:
        return make_world(s)


# cumulative trial balances from the fiscal year's start (April): month, sales, purchases,
# salaries, long-term borrowings — cash balances the sheet
CUMULATIVE = [
    ("2025-04", 1_000_000, 600_000, 300_000, 5_000_000),
    ("2025-05", 1_800_000, 1_100_000, 600_000, 4_900_000),
    ("2025-06", 2_650_000, 1_600_000, 900_000, 4_800_000),
    ("2025-07", 3_500_000, 2_100_000, 1_200_000, 4_700_000),
    ("2025-08", 4_900_000, 2_900_000, 1_500_000, 4_600_000),
]


def tb(rows) -> bytes:
    out = ["月,科目,当月残高"]
    for month, sales, purchases, salaries, loans in rows:
        cash = 1_000_000 + loans + sales - purchases - salaries
        out += [
            f"{month},普通預金,{cash}",
            f"{month},仕入高,{purchases}",
            f"{month},給料手当,{salaries}",
            f"{month},資本金,1000000",
            f"{month},長期借入金,{loans}",
            f"{month},売上高,{sales}",
        ]
    return ("\n".join(out) + "\n").encode("utf-8")


PLAN_CSV = (
    "年月,売上高,売上総利益,営業利益,現預金,借入金,期日,アクション,担当\n"
    + "".join(f"2025-{m:02d},1000000,400000,100000,6000000,4800000,,,\n" for m in range(4, 10))
    + ",,,,,,2025-06-30,新規取引先3社に提案,社長\n"
).encode("utf-8")


def _upload(store, actor, bid, rows, tmp_path, name):
    with store.session() as s:
        out = do_import_submission(
            s, actor, business_id=bid, files=[(tb(rows), name)], raw_dir=tmp_path / "raw"
        )
    assert out.stored, out.reason


def _plan(store, actor, bid, data=PLAN_CSV, name="計画.csv"):
    with store.session() as s:
        plan = do_add_plan(s, actor, bid, kind=PlanKind.EARNINGS_ACTION, title="収益力改善計画")
        do_import_plan(s, actor, plan.id, data, name)
        return plan.id


def test_plan_against_actual_is_exact_to_the_yen_and_the_shortfall_fires_then_clears(
    store, world, tmp_path
):
    owner, bid = world.actors["owner"], world.business.id
    _upload(store, owner, bid, CUMULATIVE[:4], tmp_path, "tb-04-07.csv")
    plan_id = _plan(store, owner, bid)
    with store.session() as s:
        progress = read_plan_progress(s, owner, plan_id)
    by = {pc.period: pc for pc in progress.comparison}
    apr, may, jun, jul = (by[date(2025, m, 1)] for m in (4, 5, 6, 7))
    # by hand: monthly sales 1,000,000 / 800,000 / 850,000 / 850,000 against 1,000,000 each
    assert [by[date(2025, m, 1)].item("sales").deviation for m in (4, 5, 6, 7)] == [
        0,
        -200_000,
        -150_000,
        -150_000,
    ]
    assert jul.item("sales").cumulative_plan == 4_000_000
    assert jul.item("sales").cumulative_actual == 3_500_000
    assert jul.item("sales").cumulative_deviation == -500_000
    assert [p.item("gross_profit").deviation for p in (apr, may, jun, jul)] == [
        0,
        -100_000,
        -50_000,
        -50_000,
    ]
    assert [p.item("operating_profit").actual for p in (apr, may, jun, jul)] == [
        100_000,
        0,
        50_000,
        50_000,
    ]
    assert [p.item("cash").deviation for p in (apr, may, jun, jul)] == [
        100_000,
        0,
        -50_000,
        -100_000,
    ]
    assert [p.item("borrowings").deviation for p in (apr, may, jun, jul)] == [
        200_000,
        100_000,
        0,
        -100_000,
    ]
    assert all(isinstance(p.item("sales").deviation, int) for p in (apr, may, jun, jul))
    # no trial balance yet for August and September: unknown, not zero
    assert by[date(2025, 8, 1)].item("sales").actual is None
    assert by[date(2025, 8, 1)].item("sales").cumulative_deviation is None
    # May is exactly 10 % below (1,800,000 vs 2,000,000): it holds; three months → fires
    sf = progress.shortfall
    assert [(m.holds, m.run, m.firing) for m in sf.history] == [
        (False, 0, False),
        (True, 1, False),
        (True, 2, False),
        (True, 3, True),
    ]
    assert sf.firing and sf.since == date(2025, 7, 1)

    # August's trial balance arrives: cumulative 4,900,000 vs 5,000,000 (2 %) → it clears
    _upload(store, owner, bid, CUMULATIVE, tmp_path, "tb-04-08.csv")
    with store.session() as s:
        progress = read_plan_progress(s, owner, plan_id)
    aug = next(p for p in progress.comparison if p.period == date(2025, 8, 1))
    assert aug.item("sales").deviation == 400_000
    assert aug.item("sales").cumulative_deviation == -100_000
    assert aug.item("operating_profit").deviation == 200_000
    assert not progress.shortfall.firing and progress.shortfall.since is None
    assert progress.shortfall.history[-1].holds is False


def test_a_new_version_never_overwrites_and_actions_are_kept(store, world):
    owner, bid = world.actors["owner"], world.business.id
    plan_id = _plan(store, owner, bid)
    with store.session() as s:
        do_add_plan_version(
            s,
            owner,
            plan_id,
            granularity=Granularity.MONTHLY,
            targets={date(2025, 4, 1): {"sales": 900_000}},
            note="下方修正",
        )
    with store.session() as s:
        [view] = list_plans(s, owner, bid)
        assert [v.version for v in view.versions] == [1, 2]
        v1 = read_plan(s, owner, plan_id, version=1)
        v2 = read_plan(s, owner, plan_id)
        assert v1.targets[date(2025, 4, 1)]["sales"] == 1_000_000 and len(v1.targets) == 6
        assert v1.actions == ((date(2025, 6, 30), "新規取引先3社に提案", "社長"),)
        assert v2.version.version == 2 and v2.targets == {
            date(2025, 4, 1): {
                "sales": 900_000,
                "gross_profit": None,
                "operating_profit": None,
                "cash": None,
                "borrowings": None,
            }
        }
        actions = set(
            s.scalars(
                select(AuditEvent.action).where(
                    AuditEvent.action.in_(["add_plan", "add_plan_version"])
                )
            )
        )
        assert actions == {"add_plan", "add_plan_version"}


def test_a_bad_file_stores_nothing_and_names_file_line_and_column(store, world):
    owner, bid = world.actors["owner"], world.business.id
    bad = (
        "年月,売上高,現預金\n2025-04,1000000,5000000\n2025-05,百万,5000000\n2025-13,1,-5\n".encode()
    )
    with store.session() as s:
        plan = do_add_plan(s, owner, bid, kind=PlanKind.BUSINESS, title="事業計画")
        plan_id = plan.id
    with pytest.raises(PlanFileError) as err, store.session() as s:
        do_import_plan(s, owner, plan_id, bad, "plan.csv")
    lines = err.value.lines()
    assert "plan.csv:3: 列「売上高」: 金額として読めません (百万)" in lines
    assert any(line.startswith("plan.csv:4: 列「年月」") for line in lines)
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(PlanVersion)) == 0
        assert s.scalar(select(func.count()).select_from(PlanTarget)) == 0


def test_without_consent_another_bank_neither_reads_nor_writes(store, world):
    owner, bid = world.actors["owner"], world.business.id
    plan_id = _plan(store, owner, bid)
    stranger = world.actors["b_officer"]
    with pytest.raises(NotFound), store.session() as s:
        read_plan(s, stranger, plan_id)
    with pytest.raises(NotFound), store.session() as s:
        do_add_plan(s, stranger, bid, kind=PlanKind.BUSINESS, title="x")


def test_an_xlsx_plan_with_annual_targets_is_read(store, world, tmp_path):
    import io

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["年度末", "売上高", "営業利益", "借入金"])
    ws.append(["2026年3月", 12_000_000, -300_000, 4_000_000])
    buf = io.BytesIO()
    wb.save(buf)
    owner, bid = world.actors["owner"], world.business.id
    _upload(store, owner, bid, CUMULATIVE, tmp_path, "tb.csv")
    plan_id = _plan(store, owner, bid, buf.getvalue(), "計画.xlsx")
    with store.session() as s:
        progress = read_plan_progress(s, owner, plan_id)
    assert progress.detail.version.granularity == "annual" and progress.shortfall is None
    [year] = progress.comparison
    assert year.period == date(2026, 3, 1)
    assert year.item("sales").plan == 12_000_000
    assert year.item("operating_profit").plan == -300_000
    # only April–August 2025 delivered: the year's sales are unknown, not a partial sum
    assert year.item("sales").actual is None and year.item("sales").deviation is None
