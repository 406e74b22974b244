"""Bank, e-invoice and open-item importers on the real samples and on hand-made files."""

from __future__ import annotations

from datetime import date

import pytest

from kizashi.domain.bank import OpenItemSide, TxKind
from kizashi.ingest import IngestError
from kizashi.ingest.importers.zengin import wareki_yymmdd
from kizashi.ingest.money import MoneyOptions, analyse_money

from . import zengin_builder as zb
from .conftest import SAMPLES

MONEY = SAMPLES.parent
TODAY = MoneyOptions(today=date(2024, 5, 10))


def _issues(result: object) -> list[tuple[str, int | None, str | None]]:
    return [(i.code, i.line, i.field) for i in result.issues]  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- 全銀


def test_wareki_era_is_inferred() -> None:
    ref = date(2024, 5, 1)
    assert wareki_yymmdd("060401", ref) == date(2024, 4, 1)  # 令和6
    assert wareki_yymmdd("310430", ref) == date(2019, 4, 30)  # 平成31 (令和31 is 2049)
    assert wareki_yymmdd("010501", ref) == date(2019, 5, 1)  # 令和元年
    assert wareki_yymmdd("301231", ref) == date(2018, 12, 31)  # 平成30
    assert wareki_yymmdd("080401", date(1996, 4, 10)) == date(1996, 4, 1)  # 平成8 in 1996
    assert wareki_yymmdd("010430", ref) == date(1989, 4, 30)  # 令和元年4月 did not exist
    with pytest.raises(ValueError):
        wareki_yymmdd("000401", ref)  # no year 0 in any era


def test_wareki_heisei_first_year() -> None:
    # 平成元年 began 1989-01-08: 010107 is no 平成 date and no 令和 date
    with pytest.raises(ValueError):
        wareki_yymmdd("010107", date(1989, 2, 1))
    assert wareki_yymmdd("010108", date(1989, 2, 1)) == date(1989, 1, 8)


@pytest.mark.parametrize("newlines", [b"\r\n", b"\n", b""])
def test_zengin_03_two_accounts(newlines: bytes) -> None:
    recs = zb.statement03()
    # with newlines, each line right-trimmed as real files arrive; else one byte stream
    data = newlines.join(r.rstrip(b" ") for r in recs) + newlines if newlines else b"".join(recs)
    r = analyse_money(data, "meisai.txt", options=TODAY)
    assert r.format == "zengin" and r.kind == "bank"
    assert r.issues == []
    tx = r.file.transactions
    assert [t.amount_yen for t in tx] == [500_000, -300_000, -120_000, -50_000]
    assert [t.balance_yen for t in tx] == [1_500_000, 1_200_000, 1_080_000, -40_000]
    assert tx[0].booked_on == date(2024, 4, 1)
    assert tx[0].counterparty == "ｶ)ｽｽﾞｷｼﾖｳｶｲ"  # half-width kana kept as in the file
    assert [t.kind for t in tx] == [
        TxKind.SALES_RECEIPT,
        TxKind.PAYROLL,
        TxKind.RENT,
        TxKind.SOCIAL_INSURANCE,
    ]
    assert len(r.file.accounts) == 2
    balances = sorted(r.file.balances.values())
    assert balances == [(10_000, -40_000), (1_000_000, 1_080_000)]
    assert r.file.named_parties[0].name == "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ"


def test_zengin_03_trailer_and_balance_errors_name_record_and_field() -> None:
    recs = zb.statement03()
    recs[4] = zb.trailer03(1, 500_001, 2, 420_000, 1_080_001, 3)
    r = analyse_money(b"\n".join(recs), "bad.txt", options=TODAY)
    got = _issues(r)
    assert ("zengin.trailer_mismatch", 5, "入金額合計") in got
    assert ("zengin.balance_mismatch", 5, "取引後残高") in got
    assert all(i.file == "bad.txt" for i in r.issues)


def test_zengin_03_bad_field_is_located() -> None:
    recs = zb.statement03()
    recs[2] = recs[2][:24] + b"12345X789012" + recs[2][36:]
    r = analyse_money(b"\n".join(recs), "x.txt", options=TODAY)
    issue = next(i for i in r.issues if i.code == "zengin.bad_number")
    assert (issue.line, issue.column, issue.field) == (3, 25, "取引金額")


def test_zengin_end_record_counts() -> None:
    recs = zb.statement03()
    recs[-1] = zb.end03(9, 3)
    r = analyse_money(b"".join(recs), "x.txt", options=TODAY)
    assert ("zengin.end_accounts", 9, "口座数") in _issues(r)


def test_zengin_ebcdic_refused() -> None:
    ebcdic = "1030060430".encode("cp500")
    with pytest.raises(IngestError, match="EBCDIC"):
        analyse_money(ebcdic + b"\x40" * 190, "e.txt", format="zengin")
    jis_header_says_ebcdic = zb.header03("060430", "060401", "060430", "1", "ｱ", 0, code="1")
    with pytest.raises(IngestError, match="EBCDIC"):
        analyse_money(jis_header_says_ebcdic, "e2.txt")


def test_zengin_01_incoming_transfers() -> None:
    recs = [
        zb.header01("060515", "1234567", "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ"),
        zb.data01("000001", "060515", 110_000, "ｽｽﾞｷｼﾖｳｶｲ", edi="INV-156"),
        zb.data01("000002", "060515", 5_000, "ﾀﾅｶ ﾀﾛｳ"),
        zb.data01("000003", "060516", 5_000, "ﾀﾅｶ ﾀﾛｳ", cancel=True),
        zb.trailer01(2, 115_000, 1, 5_000),
        zb.end01(),
    ]
    r = analyse_money(b"\r\n".join(recs), "nyukin.txt", options=TODAY)
    assert r.issues == []
    assert [t.amount_yen for t in r.file.transactions] == [110_000, 5_000, -5_000]
    assert "EDI:INV-156" in r.file.transactions[0].reference
    recs[4] = zb.trailer01(2, 115_001, 1, 5_000)
    bad = analyse_money(b"\r\n".join(recs), "nyukin.txt", options=TODAY)
    assert ("zengin.trailer_mismatch", 5, "振込合計金額") in _issues(bad)


def test_zengin_21_real_kyash_sample_is_planned_payments() -> None:
    data = (MONEY / "bank" / "zengin" / "sample.txt").read_bytes()
    r = analyse_money(data, "sample.txt", options=MoneyOptions(today=date(2026, 2, 1)))
    assert r.kind == "planned_payments" and r.errors == []
    assert [p.amount_yen for p in r.file.planned_payments] == [1, 2, 3]
    assert {p.pay_on for p in r.file.planned_payments} == {date(2026, 2, 24)}
    assert r.file.planned_payments[0].payee == "ｷﾔﾂｼ ｼﾖｳｼﾞ"
    assert r.file.transactions == []


def test_zengin_21_trailer_checked() -> None:
    data = (MONEY / "bank" / "zengin" / "sample.txt").read_bytes()
    bad = data.replace(b"8000003000000000006", b"8000003000000000007")
    r = analyse_money(bad, "sample.txt", options=TODAY)
    assert ("zengin.trailer_mismatch", 5, "合計金額") in _issues(r)


def test_zengin_record_too_long_or_ragged() -> None:
    recs = zb.statement03()
    with pytest.raises(IngestError, match="2 レコード目: 202 バイト") as info:
        analyse_money(recs[0] + b"\n" + recs[1] + b"XX\n", "x.txt", format="zengin")
    assert "record 2: 202 bytes" in info.value.english
    assert (info.value.file, info.value.line, info.value.column) == ("x.txt", 2, 201)
    with pytest.raises(IngestError, match="200 バイトの倍数") as info:
        analyse_money(b"".join(recs) + b"2XYZ", "x.txt", format="zengin")
    assert "200-byte" in info.value.english and info.value.line == 10


# --------------------------------------------------------------------------- bank CSV


REGIONAL = """\
口座番号,普通 1234567
日付,摘要,お支払金額,お預り金額,差引残高
R6.4.1,ﾌﾘｺﾐ ｶ)ｽｽﾞｷｼﾖｳｶｲ,,"500,000","1,500,000"
R6.4.25,ｷﾕｳﾖ,"300,000",,"1,200,000"
R6.4.27,家賃,"120,000",,"1,080,000"
"""

SBI_NEWEST_FIRST = """\
"日付","内容","出金金額(円)","入金金額(円)","残高(円)","メモ"
"2024/04/27","家賃","120000","","1080000",""
"2024/04/25","給与","300000","","1200000",""
"2024/04/01","振込 スズキ商会","","500000","1500000","-"
"""


@pytest.mark.parametrize("encoding", ["cp932", "utf-8", "utf-8-sig"])
def test_netbank_regional_layout(encoding: str) -> None:
    r = analyse_money(REGIONAL.encode(encoding), "meisai.csv")
    assert r.format == "netbank_csv" and r.errors == []
    assert [t.amount_yen for t in r.file.transactions] == [500_000, -300_000, -120_000]
    assert r.file.transactions[0].booked_on == date(2024, 4, 1)
    assert r.file.transactions[1].kind == TxKind.PAYROLL
    assert r.file.transactions[2].kind == TxKind.RENT
    (account,) = r.file.accounts.values()
    assert account.number == "1234567"
    assert r.file.balances[account.key] == (1_000_000, 1_080_000)


def test_netbank_newest_first_is_reordered() -> None:
    r = analyse_money(SBI_NEWEST_FIRST.encode("utf-8"), "sbi.csv")
    assert r.errors == []
    assert [t.booked_on.day for t in r.file.transactions] == [1, 25, 27]


def test_netbank_balance_break_is_located() -> None:
    bad = REGIONAL.replace('"1,200,000"', '"1,200,001"')
    r = analyse_money(bad.encode("cp932"), "meisai.csv")
    issue = next(i for i in r.errors if i.code == "bank.balance_mismatch")
    assert (issue.line, issue.column, issue.field) == (4, 5, "差引残高")


def test_netbank_bad_date_and_amount() -> None:
    bad = REGIONAL.replace("R6.4.25", "R6.13.25").replace('"120,000"', '"12O,000"')
    r = analyse_money(bad.encode("utf-8"), "m.csv")
    got = {(i.code, i.line, i.field) for i in r.errors}
    assert ("bank.bad_date", 4, "日付") in got
    assert ("bank.bad_amount", 5, "お預り金額") in got or (
        "bank.bad_amount",
        5,
        "お支払金額",
    ) in got


def test_netbank_preset_names_the_columns() -> None:
    odd = "取引年月日,ご利用内容,引落額,振込額,口座残高\n2024-04-01,ｳﾘｱｹﾞ,,100,1100\n"
    with pytest.raises(IngestError):
        analyse_money(odd.encode(), "odd.csv", format="netbank_csv")
    preset = {
        "date": "取引年月日",
        "description": "ご利用内容",
        "out": "引落額",
        "in": "振込額",
        "balance": "口座残高",
        "account": "7654321",
    }
    r = analyse_money(
        odd.encode(), "odd.csv", format="netbank_csv", options=MoneyOptions(preset=preset)
    )
    assert r.errors == [] and r.file.transactions[0].amount_yen == 100
    assert next(iter(r.file.accounts.values())).number == "7654321"


# --------------------------------------------------------------------------- open items


AR = """\
売掛金残高一覧,基準日 2024/04/30
得意先,請求書番号,入金予定日,残高
㈱スズキ商会,INV-1,2024/05/31,"110,000"
ﾀﾅｶ商店,INV-2,R6.6.30,"55,000"
合計,,,"165,000"
"""


def test_open_items_receivables() -> None:
    r = analyse_money(AR.encode("cp932"), "urikake.csv")
    assert r.format == "open_items" and r.errors == []
    items = r.file.open_items
    assert [(i.side, i.counterparty, i.amount_yen, i.due_date) for i in items] == [
        (OpenItemSide.RECEIVABLE, "㈱スズキ商会", 110_000, date(2024, 5, 31)),
        (OpenItemSide.RECEIVABLE, "ﾀﾅｶ商店", 55_000, date(2024, 6, 30)),
    ]


def test_open_items_total_and_bad_cells_located() -> None:
    r = analyse_money(AR.replace('"165,000"', '"165,001"').encode(), "u.csv")
    assert ("open_items.total_mismatch", 5, "残高") in _issues(r)
    r = analyse_money(AR.replace("2024/05/31", "2024/02/30").encode(), "u.csv")
    assert ("open_items.bad_date", 3, "入金予定日") in _issues(r)


def test_open_items_side_column_and_xlsx() -> None:
    openpyxl = pytest.importorskip("openpyxl")
    import io

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["区分", "取引先", "金額", "期日"])
    ws.append(["買掛金", "山田製作所", 80_000, "2024-05-20"])
    ws.append(["売掛金", "スズキ商会", 110_000, "2024-05-31"])
    buf = io.BytesIO()
    wb.save(buf)
    r = analyse_money(buf.getvalue(), "schedule.xlsx")
    assert r.errors == []
    assert [(i.side, i.amount_yen) for i in r.file.open_items] == [
        (OpenItemSide.PAYABLE, 80_000),
        (OpenItemSide.RECEIVABLE, 110_000),
    ]


def test_open_items_without_side_asks() -> None:
    text = "取引先,金額,期日\n山田,100,2024/05/01\n"
    r = analyse_money(text.encode(), "x.csv", format="open_items")
    assert ("open_items.no_side", 2, "side") in _issues(r)
    ok = analyse_money(
        text.encode(), "x.csv", format="open_items", options=MoneyOptions(side="payable")
    )
    assert ok.errors == [] and ok.file.open_items[0].side == OpenItemSide.PAYABLE
