"""``kizashi cash --business ID --as LOGIN``: the 13-week forecast from a stored bank statement,
in Japanese, read under consent; weekly balances checked by hand to the yen."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from kizashi.actions.consent import do_grant_consent
from kizashi.domain.vocabulary import Category, Purpose
from tests.web.japanese_only import latin_words
from tests.world import make_world


def _statement(path: Path) -> Path:
    """Jul–Sep 2026: opening deposit 2,000,000; each month +1,300,000 on the 10th, payroll
    −1,000,000 on the 25th, rent −200,000 on the 27th; +1 interest on Sep 30 (2,300,001)."""
    rows, bal = [], 0

    def add(d: str, desc: str, amount: int) -> None:
        nonlocal bal
        bal += amount
        rows.append((d, desc, amount, bal))

    add("2026/07/01", "振込 スズキ商会", 2_000_000)
    for m in (7, 8, 9):
        add(f"2026/{m:02d}/10", "振込 スズキ商会", 1_300_000)
        add(f"2026/{m:02d}/25", "給与", -1_000_000)
        add(f"2026/{m:02d}/27", "家賃", -200_000)
    add("2026/09/30", "受取利息", 1)
    lines = ['"日付","内容","出金金額(円)","入金金額(円)","残高(円)","メモ"']
    for d, desc, a, b in reversed(rows):
        lines.append(f'"{d}","{desc}","{-a if a < 0 else ""}","{a if a > 0 else ""}","{b}",""')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def banked(cli, store, tmp_path):
    with store.session() as s:
        w = make_world(s)
        do_grant_consent(
            s,
            w.actors["owner"],
            business=w.business,
            grantee=w.bank_a,
            categories=[Category.BANK_TRANSACTIONS],
            purpose=Purpose.MONITORING,
            valid_from=date(2026, 4, 1),
        )
        bid = w.business.id
    r = cli(
        "ingest", str(_statement(tmp_path / "meisai.csv")), "--business", str(bid), "--as", "owner"
    )
    assert r.exit_code == 0, r.output
    return bid


def test_weekly_balances_to_the_yen(cli, banked):
    r = cli("cash", "--business", str(banked), "--as", "a_officer", "--json")
    assert r.exit_code == 0, r.output
    body = json.loads(r.output)
    assert (body["as_of"], body["opening_yen"]) == ("2026-09-30", 2_300_001)
    # receipts +1,300,000 on Oct 10 (week 2), Nov 10 (week 6), Dec 10 (week 11); payroll on the
    # 25th (weeks 4, 8, 13), rent on the 27th (weeks 4, 9, 13)
    assert [w["closing_yen"] for w in body["weeks"]] == [
        2_300_001,
        3_600_001,
        3_600_001,
        2_400_001,
        2_400_001,
        3_700_001,
        3_700_001,
        2_700_001,
        2_500_001,
        2_500_001,
        3_800_001,
        3_800_001,
        2_600_001,
    ]
    assert body["shortfall"] is None
    rec = {x["kind"]: (x["amount_yen"], x["day"]) for x in body["recurring"]}
    assert rec == {
        "payroll": (-1_000_000, 25),
        "rent": (-200_000, 27),
        "sales_receipt": (1_300_000, 10),
    }
    # bank A may read the bank data and its own loans (no instalments scheduled), not invoices
    assert body["missing_categories"] == ["invoices"]
    assert body["grace_period_ends"] == []


def test_japanese_output(cli, banked):
    r = cli("cash", "--business", str(banked), "--as", "a_officer")
    assert r.exit_code == 0, r.output
    assert "資金繰り予測" in r.output and "2,600,001円" in r.output
    assert "資金不足は見込まれません" in r.output
    assert "請求書を見る同意がない" in r.output
    assert latin_words(r.output) == [], r.output


def test_without_bank_consent_nothing_is_shown(cli, banked):
    for login in ("cgc_officer", "b_officer", "other_owner"):
        r = cli("cash", "--business", str(banked), "--as", login)
        assert r.exit_code == 1
        assert "同意がありません" in r.output and "円" not in r.output


def test_grace_period_list(cli, store, banked):
    """A loan whose grace period ends on 2026-12-31: principal 250,000 a month from 2027-01-20;
    the bank balance of 2,300,001 covers 9 months of it."""
    from sqlalchemy import select

    from kizashi.actions.loans import LoanInput, do_add_loan, do_import_schedule
    from kizashi.store.models import Organisation
    from tests.world import SYSTEM

    with store.session() as s:
        bank_a = s.execute(select(Organisation).where(Organisation.code == "bank-a")).scalar_one()
        do_add_loan(
            s,
            SYSTEM,
            LoanInput(
                business_id=banked,
                lender_org_id=bank_a.id,
                guarantor_org_id=None,
                loan_number="A-9",
                original_amount=6_000_000,
                balance=6_000_000,
                balance_as_of=date(2026, 9, 30),
                guarantee_ratio_pct=0,
                interest_rate_bp=100,
                start_date=date(2026, 1, 20),
                grace_end_date=date(2026, 12, 31),
                maturity_date=date(2028, 12, 20),
            ),
        )
        csv = "事業者ID,融資番号,約定返済日,元金,利息,返済日\n" + "\n".join(
            [
                f"{banked},A-9,2026-11-20,0,5000,",
                f"{banked},A-9,2027-01-20,250000,5000,",
                f"{banked},A-9,2027-02-20,250000,4800,",
            ]
        )
        do_import_schedule(s, SYSTEM, csv.encode("utf-8"), "schedule.csv")
    r = cli("grace", "--as", "a_officer", "--today", "2026-10-01", "--json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    assert len(rows) == 1 and rows[0]["business_id"] == banked
    assert rows[0]["loans"] == [
        {"loan": "A-9", "first_principal_on": "2027-01-20", "monthly_principal_yen": 250_000}
    ]
    assert (rows[0]["bank_balance_yen"], rows[0]["months_covered"]) == (2_300_001, 9)
    # the November interest (week 8) is in the forecast; the lowest is still the opening balance
    assert rows[0]["lowest_13w_yen"] == 2_300_001
    r = cli("grace", "--as", "a_officer", "--today", "2026-10-01")
    assert "据置期間" in r.output and "9 か月" in r.output and latin_words(r.output) == []
    r = cli("grace", "--as", "b_officer", "--today", "2026-10-01", "--json")
    assert json.loads(r.output) == []
    r = cli("cash", "--business", str(banked), "--as", "a_officer", "--json")
    weeks = json.loads(r.output)["weeks"]
    assert weeks[7]["by_kind_yen"]["loan_interest"] == -5_000
    assert weeks[7]["closing_yen"] == 2_695_001


def test_twelve_month_outlook_from_the_trial_balances(cli, store, banked, tmp_path):
    """Trial balances to 2026-09 with 0 ordinary profit and 2,000,000 cash; A-9's principal of
    250,000 in Jan and Feb 2027: the outlook falls to 1,500,000 from February."""
    from tests.jobs.test_reimport import _history, _import

    _import(cli, tmp_path, banked, _history(None), "tb.csv")
    test_grace_period_list(cli, store, banked)  # adds loan A-9 and its schedule
    r = cli("cash", "--business", str(banked), "--as", "a_officer", "--json")
    out = json.loads(r.output)["outlook_12_months"]
    assert [o["month"] for o in out][:1] == ["2026-10"] and len(out) == 12
    assert [o["closing_yen"] for o in out][2:6] == [2_000_000, 1_750_000, 1_500_000, 1_500_000]
    assert {o["operating_yen"] for o in out} == {0}
    r = cli("cash", "--business", str(banked), "--as", "a_officer")
    assert "12か月の見通し" in r.output and "1,500,000円" in r.output
    assert latin_words(r.output) == [], r.output
