"""What an importer's issue says, in English and Japanese: one catalogue, keyed by the issue's code.

Every code an importer reports (``errors.error`` / ``errors.warning``) has an entry here with an
English and a Japanese text (``tests/ingest/test_messages.py`` finds every code used in
``kizashi.ingest`` and fails when one has no entry). A text is a ``str.format`` template over
the issue's ``params`` and its place (``file``, ``line``, ``column``, ``field``, ``value``).

* The English text is the issue's ``message``: ``error(code, params=…)`` builds it from here
  (the API and ``kizashi ingest --json`` show it as before).
* ``issue_text(issue, "ja")`` renders the Japanese text for the upload pages and ``kizashi
  ingest``: numbers keep their separators, ISO months and dates become 和暦, a standard item's
  code its Japanese name. When an issue lacks a parameter its template names (an importer that
  does not give it), the Japanese text is the code's general sentence (``GENERAL``), never the
  English.
* One code may say different things (``period.unknown`` in a 決算書's title and in a table):
  ``params["variant"]`` picks ``code:variant``.

The limits' messages (``LIMIT_MESSAGES``, which ``limits`` uses) are part of the catalogue.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from datetime import date
from typing import Any

from kizashi.domain.calendar import format_date, format_month
from kizashi.domain.chart import load_chart

# code[:variant] → (English, Japanese)
MESSAGES: dict[str, tuple[str, str]] = {
    # ----------------------------------------------------------------- reading cells
    "amount.invalid:empty": ("amount is empty", "金額が空欄です"),
    "amount.invalid:not_amount": (
        "not an amount: {text!r}",
        "「{text}」は金額として読めません",
    ),
    "amount.invalid:fraction": (
        "yen amount with a fraction: {text!r}",
        "「{text}」は円未満の端数を含みます",
    ),
    "amount.invalid:too_large": (
        "amount too large: {text!r}",
        "「{text}」は大きすぎる金額です",
    ),
    "date.invalid:empty": ("date is empty", "日付が空欄です"),
    "date.invalid:no_such_date": ("no such date: {text!r}", "「{text}」という日付はありません"),
    "date.invalid:not_a_date": ("not a date: {text!r}", "「{text}」は日付として読めません"),
    "date.invalid:no_year_zero": (
        "{era} has no year 0: {text!r}",
        "{era}に0年はありません（「{text}」）",
    ),
    "date.invalid:outside_era": (
        "{text!r} is outside {era} ({first} … {last})",
        "「{text}」は{era}の期間（{first}〜{last}）の外です",
    ),
    "row.columns:exact": (
        "{columns} columns; expected exactly {width}",
        "列が{columns}個あります（{width}個のはずです）",
    ),
    "row.columns:at_least": (
        "{columns} columns; expected at least {width}",
        "列が{columns}個しかありません（{width}個以上のはずです）",
    ),
    "header.missing": ("missing columns: {columns}", "必要な列が見つかりません: {columns}"),
    "header.missing:no_header": (
        "no header row with 科目 and amount columns in the first {rows} rows",
        "最初の{rows}行に、科目と金額の列がある見出し行が見つかりません",
    ),
    "header.account": ("no account (科目) column", "勘定科目（科目）の列がありません"),
    "table.empty": ("no account rows with amounts", "金額のある勘定科目の行がありません"),
    "account.missing": ("amount without an account", "勘定科目のない金額です"),
    "period.unknown": (
        "the period end is not in the file; give it in the column mapping (period_end)",
        "ファイルに期末日がありません。列の対応づけ（期末日）で指定してください",
    ),
    "period.unknown:title": (
        "the fiscal-year end is not in the title lines (至 … or … 現在); give it as the period end",
        "表題の行に決算期末（「至 …」または「… 現在」）がありません。期末日を指定してください",
    ),
    # ----------------------------------------------------------------- accounting checks
    "entry.unbalanced": (
        "entry {entry}: debits {debit:,} ≠ credits {credit:,} (difference {difference:,})",
        "伝票 {entry}: 借方 {debit:,} と貸方 {credit:,} が一致しません（差額 {difference:,}）",
    ),
    "tb.arithmetic": (
        "{account}: 前月残高 {opening:,} ± 借方 {debit:,} ∓ 貸方 {credit:,} ≠ 残高 {closing:,}",
        "{account}: 前月残高 {opening:,} ± 借方 {debit:,} ∓ 貸方 {credit:,} が"
        "残高 {closing:,} と一致しません",
    ),
    "tb.unbalanced": (
        "{month}: 借方合計 {debit:,} ≠ 貸方合計 {credit:,} (difference {difference:,})",
        "{month}: 借方合計 {debit:,} と貸方合計 {credit:,} が一致しません（差額 {difference:,}）",
    ),
    "bs.unbalanced": (
        "{date}: 資産合計 − 負債・純資産合計 = {difference:,} (should be 0)",
        "{date}: 資産合計 − 負債・純資産合計 = {difference:,}（0 のはずです）",
    ),
    "sign.unusual": (
        "{item_ja} is negative ({amount:,} at {date}; {months} month(s))",
        "{item_ja}がマイナスです（{date} に {amount:,}、{months} か月）",
    ),
    "subtotal.mismatch": (
        "{name}: the file says {amount:,}, its items sum to {computed:,}",
        "{name}: ファイルの記載は {amount:,} ですが、内訳の合計は {computed:,} です",
    ),
    "opening.mismatch": (
        "{account} {month}: opening {opening:,} ≠ previous closing {previous:,}",
        "{account} {month}: 期首の残高 {opening:,} が前月末の残高 {previous:,} と一致しません",
    ),
    "opening.missing": (
        "no opening balances (開始残高) were given: balance-sheet items start from zero at "
        "{month}. Upload them with the journal for a true balance sheet.",
        "開始残高がありません。貸借対照表の科目は {month} にゼロから始まります。"
        "正しい貸借対照表のため、仕訳と一緒に開始残高をアップロードしてください",
    ),
    "clearing.nonzero": (
        "{month}: clearing account {account} is {closing:,}, not zero",
        "{month}: 仮勘定「{account}」の残高が {closing:,} で、ゼロになっていません",
    ),
    "statement.no_pl": (
        "a balance sheet without a profit and loss statement: 繰越利益剰余金 is kept as "
        "reported (it includes the current year's profit)",
        "損益計算書のない貸借対照表です。繰越利益剰余金は記載どおり（当期の利益を含む）としました",
    ),
    # ----------------------------------------------------------------- periods
    "period.missing": (
        "no data between {from_month} and {to_month}",
        "{from_month}と{to_month}の間の月のデータがありません",
    ),
    "period.missing:journal": (
        "{month}: no journal entries in this month",
        "{month}: この月の仕訳がありません",
    ),
    "period.overlap": (
        "{month} appears in more than one file or table; the later one is used",
        "{month}が複数のファイルまたは表にあります。後のものを使います",
    ),
    "fiscal_year.assumed": (
        "the fiscal-year start month is not given; assumed {start_month} (April). "
        "Pass --fiscal-year-start-month to be exact.",
        "会計年度の開始月の指定がないため、{start_month}月始まりとしました。"
        "正確にするには開始月を指定してください",
    ),
    # ----------------------------------------------------------------- account mapping
    "mapping.unmapped": (
        "「{name}」: no standard item found; confirm one",
        "「{name}」: 標準科目が見つかりません。どの科目か選んでください",
    ),
    "mapping.unmapped_zero": (
        "「{name}」: no standard item found (all amounts are zero)",
        "「{name}」: 標準科目が見つかりません（金額はすべてゼロです）",
    ),
    "mapping.confirm": (
        "「{name}」 → {item} ({method}, confidence {confidence}); please confirm",
        "「{name}」を「{item_ja}」としました（確からしさ {confidence_pct}%）。確認してください",
    ),
    # ----------------------------------------------------------------- formats
    "freee.kind": ("収支区分 must be 収入 or 支出", "収支区分は「収入」か「支出」にしてください"),
    "yayoi.flag": ("unknown 識別フラグ", "識別フラグ「{value}」は弥生の形式にありません"),
    "yayoi.voucher": (
        "voucher continuation row without a 2110 first row",
        "伝票の続きの行（識別フラグ {value}）の前に、伝票の最初の行（2110）がありません",
    ),
    "bugyo.columns": (
        "勘定奉行: cannot find {columns} in the header; the OBC item codes for these columns "
        "are not in our notes. Save a column mapping for this layout.",
        "勘定奉行: 見出しに {columns} が見つかりません。これらの列の OBC 項目コードは"
        "登録されていません。この形式の列の対応づけを保存してください",
    ),
    "bugyo.voucher": (
        "first voucher row lacks '*' in 伝票区切",
        "伝票の最初の行の伝票区切に「*」がありません",
    ),
    # ----------------------------------------------------------------- bank and invoice files
    "bank.bad_date": ("not a date", "日付として読めません（「{value}」）"),
    "bank.bad_amount": ("not a yen amount", "円の金額として読めません（「{value}」）"),
    "bank.no_rows": ("no transactions under the header", "見出しの下に取引の行がありません"),
    "bank.balance_mismatch": (
        "the balance does not follow from the previous balance and the amount",
        "残高が、前の行の残高と入出金額から計算した値と一致しません",
    ),
    "bank.year_inferred": (
        "the dates have no year; each is read as the latest such day on or before {today}",
        "日付に年がありません。それぞれ {today} 以前で最も近いその月日として読みました",
    ),
    "open_items.bad_date": ("not a date", "日付として読めません（「{value}」）"),
    "open_items.bad_amount": ("not a yen amount", "円の金額として読めません（「{value}」）"),
    "open_items.no_counterparty": ("no counterparty", "取引先がありません"),
    "open_items.no_side": (
        "receivable or payable? (区分 column, header words, or choose the side)",
        "売掛金か買掛金かがわかりません（区分の列、見出しの言葉、または画面で選んでください）",
    ),
    "open_items.total_mismatch": (
        "the stated total differs from the sum of the rows",
        "記載の合計が、行の金額の合計と一致しません",
    ),
    "open_items.no_rows": ("no rows under the header", "見出しの下に行がありません"),
    "invoice.invalid": (
        "the invoice cannot be read as stated",
        "請求書の記載を読み取れません（{field}）",
    ),
    "invoice.check": (
        "the invoice's figures do not agree",
        "請求書の金額の記載が互いに一致しません（{field}）",
    ),
    "zengin.bad_characters": ("not JIS/CP932 text", "JIS/CP932 の文字ではありません（{field}）"),
    "zengin.bad_number": ("not a number", "数字ではありません（{field}: 「{value}」）"),
    "zengin.bad_date": ("not a date", "日付として読めません（{field}: 「{value}」）"),
    "zengin.bad_direction": (
        "not 1 (入金) or 2 (出金)",
        "入払区分が 1（入金）でも 2（出金）でもありません（「{value}」）",
    ),
    "zengin.bad_record_type": (
        "データ区分 is not 1, 2, 8 or 9",
        "データ区分が 1・2・8・9 のいずれでもありません",
    ),
    "zengin.after_end": (
        "a record after the end record (データ区分 9)",
        "エンドレコード（データ区分 9）の後にレコードがあります",
    ),
    "zengin.missing_trailer": (
        "a trailer record is missing",
        "トレーラレコード（データ区分 8）がありません",
    ),
    "zengin.missing_end": (
        "the file has no end record (データ区分 9)",
        "エンドレコード（データ区分 9）がありません",
    ),
    "zengin.data_without_header": (
        "a data record before any header",
        "ヘッダーレコードより前にデータレコードがあります",
    ),
    "zengin.trailer_without_header": (
        "a trailer before any header",
        "ヘッダーレコードより前にトレーラレコードがあります",
    ),
    "zengin.mixed_kinds": (
        "種別コード differs from the first header",
        "種別コードが最初のヘッダーと違います",
    ),
    # a refusal (``IngestError.issue``) carries its own texts as params "ja" and "en"
    "upload.rejected": ("the file cannot be read", "ファイルを読み取れません"),
    "upload.other_company": (
        "{file}: the file names {company}, not {business}; confirm to store it for this business",
        "{file}: このファイルの会社は「{company}」で、「{business}」ではありません。"
        "この事業者のデータとして保存するなら確認してください",
    ),
    "zengin.time_deposit": (
        "定期性預金 (預金種目 5/6/7) statements are not supported",
        "定期性預金（預金種目 5・6・7）の明細には対応していません",
    ),
    "zengin.end_count": (
        "レコード総件数 differs from the records in the file",
        "レコード総件数がファイルのレコード数と一致しません",
    ),
    "zengin.end_accounts": (
        "口座数 differs from the accounts in the file",
        "口座数がファイルの口座の数と一致しません",
    ),
    "zengin.trailer_mismatch": (
        "the trailer's total differs from the records",
        "トレーラの合計（{field}）がデータレコードの合計と一致しません",
    ),
    "zengin.balance_mismatch": (
        "取引後残高 differs from 取引前残高 + 入金 − 出金",
        "取引後残高が「取引前残高 + 入金 − 出金」と一致しません",
    ),
}

# Japanese for a code when its template cannot be filled (an importer gave fewer parameters).
GENERAL: dict[str, str] = {
    "amount.invalid": "金額として読めません",
    "date.invalid": "日付として読めません",
    "row.columns": "列の数が見出しと違います",
    "header.missing": "必要な列が見つかりません",
    "period.unknown": "期末日がわかりません",
    "period.missing": "データのない月があります",
}

_MONTH = re.compile(r"\d{4}-\d{2}\Z")
_ASIDE = re.compile(r"（[^（）]*\{[^}]*\}[^（）]*）")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


def catalogue() -> dict[str, tuple[str, str]]:
    """Every entry, the limits' included."""
    return {**MESSAGES, **LIMIT_MESSAGES}


def key_of(code: str, params: Mapping[str, Any] | None) -> str:
    variant = (params or {}).get("variant")
    return f"{code}:{variant}" if variant else code


def english(code: str, params: Mapping[str, Any] | None) -> str:
    """The English text of an issue being made (its ``message``)."""
    en, _ = MESSAGES[key_of(code, params)]
    return en.format(**dict(params or {}))


def _japanese_value(value: Any) -> Any:
    if isinstance(value, str) and _DAY.match(value):
        return format_date(date.fromisoformat(value), "ja")
    if isinstance(value, str) and _MONTH.match(value):
        return format_month(date.fromisoformat(value + "-01"), "ja")
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    return value


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def issue_text(issue: Any, locale: str) -> str:
    """The issue's details in ``locale`` ("ja" or "en"); "" when there is nothing to add.

    English is the issue's own message. Japanese is the catalogue's template filled with the
    issue's parameters and place, else the code's general sentence, else nothing (the
    headline and the place already say what and where)."""
    params = dict(issue.params or {})
    own = params.get("ja" if locale == "ja" else "en")
    if issue.code == "upload.rejected" and isinstance(own, str):
        return own  # a refusal (``IngestError.issue``) said in both languages by the importer
    if locale != "ja":
        if issue.code in LIMIT_MESSAGES and params:  # a limit's message is Japanese (the API's)
            place = {"file": issue.file, "line": issue.line, "column": issue.column}
            place = {**place, "field": issue.field, **params}
            return LIMIT_MESSAGES[issue.code][0].format(**message_params(place))
        return str(issue.message)
    entries = catalogue()
    key = key_of(issue.code, params)
    if key not in entries:
        return GENERAL.get(issue.code, "")
    _, ja = entries[key]
    if issue.code.startswith("upload."):
        values: dict[str, Any] = {
            "file": issue.file,
            "line": issue.line,
            "column": issue.column,
            "field": issue.field,
        }
        values = {**{k: "" if v is None else v for k, v in values.items()}, **params}
        try:
            return ja.format(**message_params(values))
        except (KeyError, IndexError, ValueError):
            return GENERAL.get(issue.code, "")
    values = {
        "file": issue.file,
        "line": issue.line,
        "column": issue.column,
        "field": _item_name(issue.field),
        "value": issue.value,
        **params,
    }
    if "item" in values:
        values.setdefault("item_ja", _item_name(values["item"]))
    if any(values.get(name) in (None, "") for name in placeholders(ja)):
        ja = _ASIDE.sub("", ja)  # drop the parenthesis that names what this issue lacks
    if any(values.get(name) in (None, "") for name in placeholders(ja)):
        return GENERAL.get(issue.code, "")
    try:
        return ja.format(**{k: _japanese_value(v) for k, v in values.items()})
    except (KeyError, IndexError, ValueError):
        return GENERAL.get(issue.code, "")


def headline(code: str, locale: str) -> str:
    """A short title for a code a page has no label for: the catalogue's text without its
    parameters (a parenthesis that names one is dropped), else the general sentence."""
    entries = catalogue()
    candidates = [v for k, v in entries.items() if k == code or k.startswith(code + ":")]
    for en, ja in candidates:
        text = _ASIDE.sub("", ja) if locale == "ja" else en
        if not placeholders(text):
            return text
    if locale == "ja":
        return GENERAL.get(code, "ファイルの内容を確かめてください")
    return code.replace("_", " ").replace(".", ": ")


def _item_name(code: Any) -> Any:
    """A standard item's code as its Japanese name (other fields as they are)."""
    chart = load_chart()
    return chart[code].ja if isinstance(code, str) and code in chart else code


# The upload limits' messages (``limits``): English templates (msgids of the web catalogue,
# which has the Japanese) and the Japanese text used in the bilingual message for the API and
# the CLI.
LIMIT_MESSAGES: dict[str, tuple[str, str]] = {
    "upload.too_many_lines": (
        "{file}: more than {limit} lines (line {line} is over the limit); "
        "split the file by period and upload the parts separately",
        "{file}: 行数が上限の {limit} 行を超えています ({line} 行目で超過)。"
        "期間を分けて別々にアップロードしてください",
    ),
    "upload.too_many_cells": (
        "{file}: more than {limit} cells (the limit is passed at line {line}, column {column}); "
        "remove unused columns or split the file by period",
        "{file}: セル数が上限の {limit} 個を超えています ({line} 行目 {column} 列目で超過)。"
        "不要な列を削るか、期間を分けてください",
    ),
    "upload.unpacked_too_large": (
        "{file}: the workbook unpacks to more than {limit} (part {field}); "
        "save only the needed sheet, or export it as CSV",
        "{file}: ブックを展開すると {limit} を超えます (部品 {field})。"
        "必要なシートだけを保存するか、CSV で書き出してください",
    ),
    "upload.compression_ratio": (
        "{file}: the workbook is compressed more than {limit} to 1 (part {field}); refused",
        "{file}: ブックの圧縮率が {limit} 対 1 を超えるため受け付けられません (部品 {field})",
    ),
    "upload.too_many_parts": (
        "{file}: the workbook has more than {limit} parts; refused",
        "{file}: ブックの部品が {limit} 個を超えるため受け付けられません",
    ),
    "upload.memory_limit": (
        "{file}: reading the upload needed more than {limit} of memory; "
        "split the file by period and upload the parts separately",
        "{file}: 読み取りに {limit} を超えるメモリが必要でした。"
        "期間を分けて別々にアップロードしてください",
    ),
    "upload.busy": (
        "{file}: every upload worker stayed busy for {limit} seconds; try again in a moment",
        "{file}: 取り込み処理が {limit} 秒間すべて使用中でした。少し待ってからもう一度送ってください",
    ),
    "upload.timeout": (
        "{file}: reading the upload took longer than {limit} seconds; "
        "split the file by period and upload the parts separately",
        "{file}: 読み取りが {limit} 秒を超えました。期間を分けて別々にアップロードしてください",
    ),
}


def format_size(n: int) -> str:
    """20 MB / 512 KB / 900 bytes — the same text in both languages."""
    if n >= 1024 * 1024:
        mb = n / (1024 * 1024)
        return f"{mb:.0f} MB" if mb == int(mb) else f"{mb:.1f} MB"
    if n >= 1024:
        return f"{n // 1024} KB"
    return f"{n} bytes"


def message_params(params: dict[str, Any]) -> dict[str, str]:
    """The numbers of a limit message as text (sizes as MB, counts with separators)."""
    out: dict[str, str] = dict.fromkeys(("file", "line", "column", "field", "limit"), "")
    for k, v in params.items():
        if k in ("limit_bytes",):
            out["limit"] = format_size(int(v))
        elif isinstance(v, int) and not isinstance(v, bool):
            out[k] = f"{v:,}"
        else:
            out[k] = "" if v is None else str(v)
    return out
