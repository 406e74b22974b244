"""全銀協 fixed-length files: 03 入出金取引明細, 01 振込入金通知 (200 bytes), 21 総合振込 (120).

formats.md §2.1. Records are split on newlines when the file has any (each right-padded to the
record length: real files arrive right-trimmed), else cut every 200/120 bytes. Several
header…trailer groups (accounts) may precede one end record. Dates in the 200-byte formats
are 和暦 YYMMDD without the era: the era is inferred (:func:`wareki_yymmdd`). Trailer counts
and sums, the end record's counts and each account's balance arithmetic (取引前残高 + 入金 −
出金 = 取引後残高) are verified. EBCDIC files are refused with a clear error. 21 総合振込 is a
payment *request*: its records are planned payments, not money moved.

Issues name the file, the record number (``line``), the byte position (``column``) and the
field by its 全銀 name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from kizashi.domain.bank import (
    ZENGIN_ACCOUNT_TYPES,
    AccountType,
    BankAccountRef,
    BankTransaction,
    MoneyFile,
    Party,
    PlannedPayment,
    classify,
)

from ..errors import IngestError, Issue, error, warning
from ..money import MoneyOptions, MoneyResult
from .base import Sniff

RECORD_LENGTH = {"01": 200, "02": 200, "03": 200, "04": 200, "11": 120, "12": 120, "21": 120}
SUPPORTED = ("01", "03", "21")
KIND_NAMES = {"01": "振込入金通知", "03": "入出金取引明細", "21": "総合振込"}

# (field, first byte 1-based, length, N/C)
Layout = tuple[tuple[str, int, int, str], ...]

H03: Layout = (
    ("作成日", 5, 6, "N"),
    ("勘定日(自)", 11, 6, "N"),
    ("勘定日(至)", 17, 6, "N"),
    ("銀行コード", 23, 4, "N"),
    ("銀行名", 27, 15, "C"),
    ("支店コード", 42, 3, "N"),
    ("支店名", 45, 15, "C"),
    ("預金種目", 63, 1, "N"),
    ("口座番号", 64, 10, "N"),
    ("口座名", 74, 40, "C"),
    ("貸越区分", 114, 1, "N"),
    ("取引前残高", 116, 14, "N"),
)
D03: Layout = (
    ("照会番号", 2, 8, "N"),
    ("勘定日", 10, 6, "N"),
    ("預入・払出日", 16, 6, "N"),
    ("入払区分", 22, 1, "N"),
    ("取引区分", 23, 2, "N"),
    ("取引金額", 25, 12, "N"),
    ("振込依頼人名", 82, 48, "C"),
    ("仕向銀行名", 130, 15, "C"),
    ("仕向店名", 145, 15, "C"),
    ("摘要内容", 160, 20, "C"),
    ("EDI情報", 180, 20, "C"),
)
T03: Layout = (
    ("入金件数", 2, 6, "N"),
    ("入金額合計", 8, 13, "N"),
    ("出金件数", 21, 6, "N"),
    ("出金額合計", 27, 13, "N"),
    ("貸越区分", 40, 1, "N"),
    ("取引後残高", 41, 14, "N"),
    ("データ・レコード件数", 55, 7, "N"),
)
E03: Layout = (("レコード総件数", 2, 10, "N"), ("口座数", 12, 5, "N"))
H01: Layout = (
    ("作成日", 5, 6, "N"),
    ("勘定日(自)", 11, 6, "N"),
    ("勘定日(至)", 17, 6, "N"),
    ("銀行コード", 23, 4, "N"),
    ("銀行名", 27, 15, "C"),
    ("支店コード", 42, 3, "N"),
    ("支店名", 45, 15, "C"),
    ("預金種目", 60, 1, "N"),
    ("口座番号", 61, 7, "N"),
    ("口座名", 68, 40, "C"),
)
D01: Layout = (
    ("照会番号", 2, 6, "N"),
    ("勘定日", 8, 6, "N"),
    ("起算日", 14, 6, "N"),
    ("金額", 20, 10, "N"),
    ("振込依頼人名", 50, 48, "C"),
    ("仕向銀行名", 98, 15, "C"),
    ("仕向店名", 113, 15, "C"),
    ("取消区分", 128, 1, "N"),
    ("EDI情報", 129, 20, "C"),
)
D01B_AMOUNT = ("金額(2)", 129, 12, "N")
D01B_EDI = ("EDI情報", 153, 20, "C")
T01: Layout = (
    ("振込合計件数", 2, 6, "N"),
    ("振込合計金額", 8, 12, "N"),
    ("取消合計件数", 20, 6, "N"),
    ("取消合計金額", 26, 12, "N"),
)
H21: Layout = (
    ("振込依頼人コード", 5, 10, "N"),
    ("振込依頼人名", 15, 40, "C"),
    ("取組日", 55, 4, "N"),
    ("仕向銀行番号", 59, 4, "N"),
    ("仕向支店番号", 78, 3, "N"),
    ("預金種目(依頼人)", 96, 1, "N"),
    ("口座番号(依頼人)", 97, 7, "N"),
)
D21: Layout = (
    ("被仕向銀行番号", 2, 4, "N"),
    ("被仕向支店番号", 21, 3, "N"),
    ("預金種目", 43, 1, "N"),
    ("口座番号", 44, 7, "N"),
    ("受取人名", 51, 30, "C"),
    ("振込金額", 81, 10, "N"),
)
T21: Layout = (("合計件数", 2, 6, "N"), ("合計金額", 8, 12, "N"))

REIWA_START = date(2019, 5, 1)
HEISEI_START = date(1989, 1, 8)


def wareki_yymmdd(text: str, reference: date) -> date:
    """A 和暦 YYMMDD without its era: the 平成 or 令和 reading nearest ``reference`` that
    lies inside its era (``310430`` → 2019-04-30, ``010501`` → 2019-05-01). A file is never
    dated far in the future, so a reading more than 400 days after ``reference`` loses.
    Raises ``ValueError`` when no reading is a real date in its era."""
    if len(text) != 6 or not text.isdigit():
        raise ValueError(text)
    yy, mm, dd = int(text[:2]), int(text[2:4]), int(text[4:])
    readings: list[date] = []
    for base, first, last in (
        (1988, HEISEI_START, date(2019, 4, 30)),
        (2018, REIWA_START, date(9999, 12, 31)),
    ):
        if yy == 0:
            continue  # there is no year 0 of an era
        try:
            d = date(base + yy, mm, dd)
        except ValueError:
            continue
        if first <= d <= last:
            readings.append(d)
    if not readings:
        raise ValueError(text)
    horizon = reference + timedelta(days=400)
    plausible = [d for d in readings if d <= horizon] or readings
    return min(plausible, key=lambda d: abs((d - reference).days))


def mmdd(text: str, reference: date) -> date | None:
    """An MMDD (総合振込 取組日) as the date nearest ``reference``; None when invalid."""
    if len(text) != 4 or not text.isdigit():
        return None
    options = []
    for year in (reference.year - 1, reference.year, reference.year + 1):
        try:
            options.append(date(year, int(text[:2]), int(text[2:])))
        except ValueError:
            continue
    return min(options, key=lambda d: abs((d - reference).days)) if options else None


def split_records(data: bytes, filename: str) -> tuple[str, list[tuple[int, bytes]]]:
    """(種別コード, [(record number, padded record)]); ``IngestError`` when not 全銀."""
    body = data.rstrip(b"\x1a")  # an old DOS end-of-file mark
    if not body:
        raise IngestError(
            f"{filename}: 空のファイルです", f"{filename}: the file is empty", file=filename
        )
    if body[:1] in (b"\xf1",) or body[1:3] in (b"\xf0\xf1", b"\xf0\xf3", b"\xf2\xf1"):
        raise IngestError(
            f"{filename}: 1 レコード目: EBCDIC の全銀ファイルは読めません。JIS (コード区分 0) で"
            " 出力し直してください",
            f"{filename}: record 1: an EBCDIC Zengin file; ask the bank for the JIS"
            " (コード区分 0) variant",
            file=filename,
            line=1,
        )
    kind = body[1:3].decode("ascii", errors="replace")
    if body[:1] != b"1" or kind not in RECORD_LENGTH:
        raise IngestError(
            f"{filename}: 1 レコード目 データ区分・種別コード: 全銀ヘッダーではありません",
            f"{filename}: record 1, データ区分/種別コード: not a Zengin header record",
            file=filename,
            line=1,
            column=1,
            field="データ区分",
        )
    if body[3:4] == b"1":
        raise IngestError(
            f"{filename}: 1 レコード目 コード区分 (4 バイト目): EBCDIC (1) の全銀ファイルは"
            "読めません。JIS (0) で出力し直してください",
            f"{filename}: record 1, byte 4, コード区分: EBCDIC (1) is not supported;"
            " ask for JIS (0)",
            file=filename,
            line=1,
            column=4,
            field="コード区分",
        )
    length = RECORD_LENGTH[kind]
    records: list[tuple[int, bytes]] = []
    if b"\n" in body or b"\r" in body:
        lines = body.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
        n = 0
        for line in lines:
            if not line.strip():
                continue
            n += 1
            if len(line) > length:
                raise IngestError(
                    f"{filename}: {n} レコード目: {len(line)} バイトで {length} バイトを超えています",
                    f"{filename}: record {n}: {len(line)} bytes, longer than the {length}-byte"
                    " record",
                    file=filename,
                    line=n,
                    column=length + 1,
                )
            records.append((n, line.ljust(length, b" ")))
    else:
        if len(body) % length and body[len(body) // length * length :].strip():
            n = len(body) // length + 1
            raise IngestError(
                f"{filename}: {n} レコード目: ファイルの長さが {length} バイトの倍数ではありません",
                f"{filename}: record {n}: the file is not a whole number of {length}-byte records",
                file=filename,
                line=n,
            )
        for i in range(len(body) // length):
            records.append((i + 1, body[i * length : (i + 1) * length]))
    return kind, records


@dataclass
class _Reader:
    """Reads fields of one record and reports located issues."""

    filename: str
    issues: list[Issue]
    today: date

    def fields(self, rec: bytes, n: int, layout: Layout) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, start, length, attr in layout:
            raw = rec[start - 1 : start - 1 + length]
            try:
                text = raw.decode("cp932")
            except UnicodeDecodeError:
                self.issues.append(
                    error(
                        "zengin.bad_characters",
                        f"{self.filename}: record {n}, {name}: not JIS/CP932 text",
                        file=self.filename,
                        line=n,
                        column=start,
                        field=name,
                    )
                )
                text = raw.decode("cp932", errors="replace")
            out[name] = text.strip() if attr == "N" else text.rstrip()
        return out

    def number(self, f: dict[str, str], name: str, n: int, layout: Layout) -> int | None:
        text = f[name]
        if text == "":
            return 0
        if not text.isdigit() or not text.isascii():
            self._bad(n, name, layout, text, "zengin.bad_number", "not a number")
            return None
        return int(text)

    def day(self, f: dict[str, str], name: str, n: int, layout: Layout, ref: date) -> date | None:
        text = f[name]
        if text in ("", "000000"):
            return None
        try:
            return wareki_yymmdd(text, ref)
        except ValueError:
            self._bad(n, name, layout, text, "zengin.bad_date", "not a 和暦 YYMMDD date")
            return None

    def _bad(self, n: int, name: str, layout: Layout, text: str, code: str, what: str) -> None:
        column = next(s for fname, s, _, _ in layout if fname == name)
        self.issues.append(
            error(
                code,
                f"{self.filename}: record {n}, {name} (byte {column}): {what}: {text!r}",
                file=self.filename,
                line=n,
                column=column,
                field=name,
                value=text,
            )
        )

    def fail(self, n: int, code: str, message: str, field: str | None = None) -> None:
        self.issues.append(
            error(
                code,
                f"{self.filename}: record {n}: {message}",
                file=self.filename,
                line=n,
                field=field,
            )
        )

    def warn(self, n: int, code: str, message: str, field: str | None = None) -> None:
        self.issues.append(
            warning(
                code,
                f"{self.filename}: record {n}: {message}",
                file=self.filename,
                line=n,
                field=field,
            )
        )


class ZenginFile:
    name = "zengin"
    label_ja = "全銀協フォーマット (入出金取引明細・振込入金通知・総合振込)"
    label_en = "Zengin fixed-length (statement, incoming-transfer notice, bulk transfer)"
    kind = "bank"

    def sniff(self, data: bytes, filename: str) -> Sniff | None:
        head = data[:3]
        if head[:1] == b"\xf1" and data[1:3] in (b"\xf0\xf1", b"\xf0\xf3", b"\xf2\xf1"):
            return Sniff(0.9, "EBCDIC 全銀 header")
        if head[:1] != b"1" or head[1:3].decode("ascii", "replace") not in SUPPORTED:
            return None
        first = data.split(b"\n", 1)[0].rstrip(b"\r")
        if b"," in first or b"\t" in first:
            return None
        length = RECORD_LENGTH[head[1:3].decode()]
        if len(first) > length and b"\n" in data:
            return None
        return Sniff(0.95, f"全銀 header record, 種別コード {head[1:3].decode()}")

    def parse(self, data: bytes, filename: str, options: MoneyOptions) -> MoneyResult:
        kind, records = split_records(data, filename)
        if kind not in SUPPORTED:
            raise IngestError(
                f"{filename}: 1 レコード目 種別コード: {kind} の全銀ファイルには対応していません"
                "（対応: 01, 03, 21）",
                f"{filename}: record 1, 種別コード: Zengin kind {kind} is not supported"
                " (01, 03, 21 are)",
                file=filename,
                line=1,
                column=2,
                field="種別コード",
            )
        result = MoneyResult(
            self.name, "planned_payments" if kind == "21" else "bank", MoneyFile(), filename
        )
        reader = _Reader(filename, result.issues, options.today or date.today())
        if kind == "21":
            _parse_21(records, reader, result.file)
        else:
            _parse_statement(kind, records, reader, result.file)
        result.notes.append(f"全銀 {kind} {KIND_NAMES[kind]}")
        return result


def _account(f: dict[str, str], number_field: str, type_field: str) -> BankAccountRef:
    number = f[number_field].lstrip("0") or "0"
    return BankAccountRef(
        bank_code=f.get("銀行コード", ""),
        branch_code=f.get("支店コード", ""),
        account_type=ZENGIN_ACCOUNT_TYPES.get(f[type_field], AccountType.OTHER),
        number=number.zfill(7),
        bank_name=f.get("銀行名", ""),
        branch_name=f.get("支店名", ""),
        holder=f.get("口座名", ""),
    )


def _parse_statement(
    kind: str, records: list[tuple[int, bytes]], r: _Reader, out: MoneyFile
) -> None:
    header_layout = H03 if kind == "03" else H01
    group: dict[str, object] | None = None
    groups = 0
    ended = False
    for n, rec in records:
        tag = rec[:1]
        if ended:
            r.fail(
                n, "zengin.after_end", "a record after the end record (データ区分 9)", "データ区分"
            )
            break
        if tag == b"1":
            if group is not None:
                r.fail(
                    n,
                    "zengin.missing_trailer",
                    "a header before the previous trailer",
                    "データ区分",
                )
            if rec[1:3].decode("ascii", "replace") != kind:
                r.fail(
                    n,
                    "zengin.mixed_kinds",
                    f"種別コード differs from the first header ({kind})",
                    "種別コード",
                )
            f = r.fields(rec, n, header_layout)
            created = r.day(f, "作成日", n, header_layout, r.today) or r.today
            account = _account(f, "口座番号", "預金種目")
            opening: int | None = None
            if kind == "03":
                amount = r.number(f, "取引前残高", n, header_layout)
                if amount is not None:
                    opening = -amount if f["貸越区分"] == "2" else amount
                if f["預金種目"] in ("5", "6", "7"):
                    r.fail(
                        n,
                        "zengin.time_deposit",
                        "定期性預金 (預金種目 5/6/7) statements are not supported",
                        "預金種目",
                    )
            out.accounts[account.key] = account
            out.named_parties.append(Party(name=account.holder))
            group = {
                "n": n,
                "account": account,
                "created": created,
                "opening": opening,
                "ins": 0,
                "outs": 0,
                "in_sum": 0,
                "out_sum": 0,
                "data": 0,
                "cancels": 0,
                "cancel_sum": 0,
                "balance": opening,
            }
            groups += 1
        elif tag == b"2":
            if group is None:
                r.fail(
                    n, "zengin.data_without_header", "a data record before any header", "データ区分"
                )
                continue
            if kind == "03":
                _data_03(rec, n, r, group, out)
            else:
                _data_01(rec, n, r, group, out)
        elif tag == b"8":
            if group is None:
                r.fail(
                    n, "zengin.trailer_without_header", "a trailer before any header", "データ区分"
                )
                continue
            _trailer(kind, rec, n, r, group, out)
            group = None
        elif tag == b"9":
            if group is not None:
                r.fail(
                    n, "zengin.missing_trailer", "the end record before the trailer", "データ区分"
                )
            if kind == "03":
                f = r.fields(rec, n, E03)
                total = r.number(f, "レコード総件数", n, E03)
                accounts = r.number(f, "口座数", n, E03)
                if total is not None and total not in (0, n, n - 1, len(records)):
                    r.fail(
                        n,
                        "zengin.end_count",
                        f"レコード総件数 {total} but the file has {n} records",
                        "レコード総件数",
                    )
                if accounts is not None and accounts not in (0, groups):
                    r.fail(
                        n,
                        "zengin.end_accounts",
                        f"口座数 {accounts} but the file has {groups} accounts",
                        "口座数",
                    )
            ended = True
        else:
            r.fail(
                n,
                "zengin.bad_record_type",
                f"データ区分 {rec[:1].decode('cp932', 'replace')!r} is not 1, 2, 8 or 9",
                "データ区分",
            )
    if group is not None:
        r.fail(
            records[-1][0],
            "zengin.missing_trailer",
            "the file ends without a trailer",
            "データ区分",
        )
    if not ended:
        r.warn(
            records[-1][0],
            "zengin.missing_end",
            "the file has no end record (データ区分 9)",
            "データ区分",
        )


def _data_03(rec: bytes, n: int, r: _Reader, g: dict[str, object], out: MoneyFile) -> None:
    f = r.fields(rec, n, D03)
    ref = g["created"]
    assert isinstance(ref, date)
    booked = r.day(f, "勘定日", n, D03, ref)
    value = r.day(f, "預入・払出日", n, D03, ref)
    amount = r.number(f, "取引金額", n, D03)
    g["data"] = int(g["data"]) + 1  # type: ignore[call-overload]
    direction = f["入払区分"]
    if direction not in ("1", "2"):
        r._bad(n, "入払区分", D03, direction, "zengin.bad_direction", "not 1 (入金) or 2 (出金)")
        return
    if booked is None:
        if f["勘定日"] in ("", "000000"):
            r._bad(n, "勘定日", D03, f["勘定日"], "zengin.bad_date", "missing")
        return
    if amount is None:
        return
    signed = amount if direction == "1" else -amount
    if direction == "1":
        g["ins"] = int(g["ins"]) + 1  # type: ignore[call-overload]
        g["in_sum"] = int(g["in_sum"]) + amount  # type: ignore[call-overload]
    else:
        g["outs"] = int(g["outs"]) + 1  # type: ignore[call-overload]
        g["out_sum"] = int(g["out_sum"]) + amount  # type: ignore[call-overload]
    balance = g["balance"]
    new_balance = None if balance is None else int(balance) + signed  # type: ignore[call-overload]
    g["balance"] = new_balance
    counterparty = f["振込依頼人名"].strip()
    description = f["摘要内容"].strip() or _TRADE_KIND.get(f["取引区分"], "")
    account = g["account"]
    assert isinstance(account, BankAccountRef)
    out.transactions.append(
        BankTransaction(
            account=account,
            booked_on=booked,
            amount_yen=signed,
            description=description,
            counterparty=counterparty,
            balance_yen=new_balance,
            reference=f["照会番号"],
            value_on=value,
            kind=classify(description, counterparty, signed),
            line=n,
        )
    )


_TRADE_KIND = {
    "10": "現金",
    "11": "振込",
    "12": "他店券入金",
    "13": "交換",
    "14": "振替",
    "15": "継続",
    "18": "その他",
    "19": "訂正",
}


def _data_01(rec: bytes, n: int, r: _Reader, g: dict[str, object], out: MoneyFile) -> None:
    layout = D01
    b_part = rec[128:152]
    if b_part.isdigit():  # format B: 12-digit amounts at bytes 129–152
        layout = (*(x for x in D01 if x[0] != "EDI情報"), D01B_AMOUNT, D01B_EDI)
    f = r.fields(rec, n, layout)
    ref = g["created"]
    assert isinstance(ref, date)
    booked = r.day(f, "勘定日", n, layout, ref)
    value = r.day(f, "起算日", n, layout, ref)
    amount = r.number(f, "金額", n, layout)
    if "金額(2)" in f:
        amount2 = r.number(f, "金額(2)", n, layout)
        if amount is not None and amount2:
            amount = amount2 if amount == 0 else amount
    g["data"] = int(g["data"]) + 1  # type: ignore[call-overload]
    if booked is None:
        if f["勘定日"] in ("", "000000"):
            r._bad(n, "勘定日", layout, f["勘定日"], "zengin.bad_date", "missing")
        return
    if amount is None:
        return
    cancelled = f["取消区分"] == "1"
    if cancelled:
        g["cancels"] = int(g["cancels"]) + 1  # type: ignore[call-overload]
        g["cancel_sum"] = int(g["cancel_sum"]) + amount  # type: ignore[call-overload]
    else:
        g["ins"] = int(g["ins"]) + 1  # type: ignore[call-overload]
        g["in_sum"] = int(g["in_sum"]) + amount  # type: ignore[call-overload]
    signed = -amount if cancelled else amount
    counterparty = f["振込依頼人名"].strip()
    description = "振込取消" if cancelled else "振込入金"
    account = g["account"]
    assert isinstance(account, BankAccountRef)
    out.transactions.append(
        BankTransaction(
            account=account,
            booked_on=booked,
            amount_yen=signed,
            description=description,
            counterparty=counterparty,
            reference=f["照会番号"] + (f["EDI情報"] and f" EDI:{f['EDI情報'].strip()}"),
            value_on=value,
            kind=classify("", counterparty, signed) if not cancelled else classify("", "", signed),
            line=n,
        )
    )


def _trailer(
    kind: str, rec: bytes, n: int, r: _Reader, g: dict[str, object], out: MoneyFile
) -> None:
    account = g["account"]
    assert isinstance(account, BankAccountRef)
    if kind == "03":
        f = r.fields(rec, n, T03)
        checks = (
            ("入金件数", "ins"),
            ("入金額合計", "in_sum"),
            ("出金件数", "outs"),
            ("出金額合計", "out_sum"),
            ("データ・レコード件数", "data"),
        )
        for field_name, key in checks:
            stated = r.number(f, field_name, n, T03)
            if stated is not None and stated != g[key]:
                r.fail(
                    n,
                    "zengin.trailer_mismatch",
                    f"{field_name} {stated:,} but the records give {int(g[key]):,}",  # type: ignore[call-overload]
                    field_name,
                )
        closing_raw = r.number(f, "取引後残高", n, T03)
        closing = None
        if closing_raw is not None:
            closing = -closing_raw if f["貸越区分"] == "2" else closing_raw
            if g["balance"] is not None and closing != g["balance"]:
                r.fail(
                    n,
                    "zengin.balance_mismatch",
                    f"取引後残高 {closing:,} but 取引前残高 + 入金 − 出金 = {int(g['balance']):,}",  # type: ignore[call-overload]
                    "取引後残高",
                )
        opening = g["opening"]
        out.balances[account.key] = (opening if isinstance(opening, int) else None, closing)
    else:
        f = r.fields(rec, n, T01)
        checks01: tuple[tuple[str, str], ...] = (
            ("振込合計件数", "ins"),
            ("振込合計金額", "in_sum"),
            ("取消合計件数", "cancels"),
            ("取消合計金額", "cancel_sum"),
        )
        for field_name, key in checks01:
            stated = r.number(f, field_name, n, T01)
            if stated is not None and stated != g[key]:
                r.fail(
                    n,
                    "zengin.trailer_mismatch",
                    f"{field_name} {stated:,} but the records give {int(g[key]):,}",  # type: ignore[call-overload]
                    field_name,
                )


def _parse_21(records: list[tuple[int, bytes]], r: _Reader, out: MoneyFile) -> None:
    pay_on: date | None = None
    count = total = 0
    seen_header = False
    for n, rec in records:
        tag = rec[:1]
        if tag == b"1":
            f = r.fields(rec, n, H21)
            seen_header = True
            pay_on = mmdd(f["取組日"], r.today)
            if pay_on is None:
                r._bad(n, "取組日", H21, f["取組日"], "zengin.bad_date", "not an MMDD date")
            out.named_parties.append(Party(name=f["振込依頼人名"].strip()))
        elif tag == b"2":
            if not seen_header:
                r.fail(
                    n, "zengin.data_without_header", "a data record before any header", "データ区分"
                )
                continue
            f = r.fields(rec, n, D21)
            amount = r.number(f, "振込金額", n, D21)
            if amount is None:
                continue
            count += 1
            total += amount
            out.planned_payments.append(
                PlannedPayment(
                    pay_on=pay_on,
                    amount_yen=amount,
                    payee=f["受取人名"].strip(),
                    bank_code=f["被仕向銀行番号"],
                    branch_code=f["被仕向支店番号"],
                    account_number=f["口座番号"],
                    line=n,
                )
            )
        elif tag == b"8":
            f = r.fields(rec, n, T21)
            for field_name, got in (("合計件数", count), ("合計金額", total)):
                stated = r.number(f, field_name, n, T21)
                if stated is not None and stated != got:
                    r.fail(
                        n,
                        "zengin.trailer_mismatch",
                        f"{field_name} {stated:,} but the records give {got:,}",
                        field_name,
                    )
            count = total = 0
        elif tag == b"9":
            pass
        else:
            r.fail(
                n,
                "zengin.bad_record_type",
                f"データ区分 {rec[:1].decode('cp932', 'replace')!r} is not 1, 2, 8 or 9",
                "データ区分",
            )
