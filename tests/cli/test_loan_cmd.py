"""``kizashi loan …`` and ``kizashi credit-event …`` in Japanese: a file stored whole or not at
all (problems by file, line and column), 完済 shown, each write audited, reads under consent."""

from __future__ import annotations

from sqlalchemy import func, select

from kizashi.store.models import AuditEvent, Loan
from tests.world import make_world

HEADER = (
    "事業者ID,融資番号,貸付金融機関コード,保証協会コード,保証番号,保証割合,当初金額,残高,"
    "残高基準日,金利,実行日,据置期間終了日,最終期限"
)


def test_loans_and_credit_events_at_the_command_line(cli, store, tmp_path):
    with store.session() as s:
        w = make_world(s)
        bid = w.business.id
    good = tmp_path / "loans.csv"
    good.write_text(
        HEADER + "\n"
        f"{bid},A-2,bank-a,cgc,H-1,80,6000000,6000000,2026-10-31,1.25,2026-04-01,2027-03-31,2031-03-31\n",
        encoding="cp932",
    )
    bad = tmp_path / "bad.csv"
    bad.write_text(
        HEADER + "\n"
        f"{bid},A-3,bank-a,,,0,1000000,1000000,2026-10-31,1.0,2026-04-01,,2030-03-31\n"
        f"{bid},A-4,bank-a,,,0,1000000,2000000,2026-10-31,x,2026-04-01,,2030-03-31\n",
        encoding="utf-8",
    )
    r = cli("loan", "import", str(bad), "--as", "a_officer")
    assert r.exit_code == 1
    assert "bad.csv:3: 列「残高」" in r.output and "bad.csv:3: 列「金利」" in r.output
    assert "何も登録していません" in r.output
    with store.session() as s:
        assert s.execute(select(func.count()).where(Loan.loan_number == "A-3")).scalar_one() == 0
    r = cli("loan", "import", str(good), "--as", "a_officer")
    assert r.exit_code == 0 and "融資 1 件を登録しました" in r.output, r.output

    events = tmp_path / "events.csv"
    events.write_text(
        f"事業者ID,融資番号,種別,発生日,延滞日数,メモ\n{bid},A-2,延滞,2026-11-30,45,遅延\n",
        encoding="utf-8",
    )
    r = cli("credit-event", "import", str(events), "--as", "cgc_officer")
    assert r.exit_code == 0 and "1 件" in r.output, r.output
    with store.session() as s:
        a2 = s.execute(select(Loan).where(Loan.loan_number == "A-2")).scalar_one()
    r = cli("credit-event", "add", "条件変更", "--loan", str(a2.id), "--on", "2026-12-01",
            "--as", "a_officer", "--note", "元金据置")  # fmt: skip
    assert r.exit_code == 0 and "条件変更" in r.output, r.output
    r = cli(
        "credit-event",
        "add",
        "延滞",
        "--loan",
        str(a2.id),
        "--on",
        "2026-12-01",
        "--as",
        "a_officer",
    )
    assert r.exit_code == 1 and "延滞日数" in r.output
    r = cli("loan", "close", str(a2.id), "--on", "2026-12-15", "--as", "a_officer")
    assert r.exit_code == 0 and "完済" in r.output, r.output

    r = cli("loan", "list", "--business", str(bid), "--as", "cgc_officer")
    assert r.exit_code == 0, r.output
    line = next(x for x in r.output.splitlines() if "A-2" in x)
    assert "完済 (2026-12-15)" in line and "責任共有" in line and "保証番号 H-1" in line
    assert "据置期間終了 2027-03-31" in line
    r = cli("credit-event", "list", "--business", str(bid), "--as", "cgc_officer")
    assert "延滞 45 日" in r.output and "条件変更" in r.output
    # bank B sees only its own loan; another business's owner nothing
    r = cli("loan", "list", "--business", str(bid), "--as", "b_officer")
    assert "B-1" in r.output and "A-2" not in r.output
    r = cli("loan", "list", "--business", str(bid), "--as", "other_owner")
    assert r.exit_code == 1 and "認められていません" in r.output
    r = cli("loan", "close", str(a2.id), "--as", "b_officer")
    assert r.exit_code == 1
    with store.session() as s:
        actions = set(s.execute(select(AuditEvent.action)).scalars())
    assert {"add_loan", "record_credit_event", "close_loan"} <= actions
